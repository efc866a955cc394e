"""A workshop as a Markdown document: every step's artifact as readable sections,
the summaries, the people and the dates (issue 12 section 6).

Read in four queries whatever the workshop holds; the text is built in Python
so that the document a facilitator downloads and the tests read are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from tenancy.models import User
from workshops.models import (
    StepArtifact,
    StepSummary,
    Workshop,
    WorkshopParticipant,
    WorkshopStep,
)
from workshops.schemas import ordered_properties
from workshops.selectors import workshop_participants


@dataclass(frozen=True)
class ExportStep:
    step: WorkshopStep
    artifact: StepArtifact | None
    summary: StepSummary | None

    @property
    def sections(self) -> list[Section]:
        if self.artifact is None:
            return []
        return artifact_sections(self.artifact.artifact, self.step.step_definition.schema)


@dataclass(frozen=True)
class WorkshopExport:
    workshop: Workshop
    facilitator: User
    participant_rows: list[WorkshopParticipant]
    steps: list[ExportStep]

    @property
    def participants(self) -> list[User]:
        return [row.user for row in self.participant_rows]


def workshop_export_data(*, workshop: Workshop) -> WorkshopExport:
    scoped = {"tenant_id": workshop.tenant_id, "workshop_step__workshop": workshop}
    steps = list(
        WorkshopStep.objects.filter(tenant_id=workshop.tenant_id, workshop=workshop)
        .select_related("step_definition")
        .order_by("step_definition__order")
    )
    artifacts = {a.workshop_step_id: a for a in StepArtifact.objects.filter(**scoped)}
    summaries = {s.workshop_step_id: s for s in StepSummary.objects.filter(**scoped)}
    return WorkshopExport(
        workshop=workshop,
        facilitator=workshop.owner,
        participant_rows=workshop_participants(workshop=workshop),
        steps=[ExportStep(s, artifacts.get(s.pk), summaries.get(s.pk)) for s in steps],
    )


def export_filename(workshop: Workshop) -> str:
    return f"{slugify(workshop.title)[:80] or 'workshop'}.md"


def _date(value: datetime) -> str:
    return timezone.localtime(value).strftime("%-d %B %Y")


def _inline(text: Any) -> str:
    """One line of Markdown: newlines folded, characters that would start markup escaped."""
    line = " ".join(str(text).split())
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", line)


def _label(name: str, schema: dict[str, Any]) -> str:
    return schema.get("title") or name.replace("_", " ").capitalize()


def _flat(value: Any, schema: dict[str, Any]) -> str:
    """A list item on one line: an object's fields as "Label: value; …"."""
    if isinstance(value, dict):
        props = dict(ordered_properties(schema))
        keys = [k for k in props if k in value] + [k for k in value if k not in props]
        return "; ".join(
            f"{_label(k, props.get(k, {}))}: {_flat(value[k], props.get(k, {}))}"
            for k in keys
            if value[k] not in ("", None, [], {})
        )
    if isinstance(value, list):
        return ", ".join(_flat(item, schema.get("items", {})) for item in value)
    return " ".join(str(value).split())


@dataclass(frozen=True)
class Section:
    """One field of an artifact as a reader sees it: a paragraph or a list."""

    title: str
    text: str = ""
    items: tuple[str, ...] = ()


def artifact_sections(artifact: dict[str, Any], schema: dict[str, Any]) -> list[Section]:
    """Each top-level field of the artifact as a section (the page and the Markdown)."""
    props = dict(ordered_properties(schema))
    keys = [k for k in props if k in artifact] + [k for k in artifact if k not in props]
    sections = []
    for key in keys:
        value, sub = artifact[key], props.get(key, {})
        title = _label(key, sub)
        if isinstance(value, list):
            items = sub.get("items", {})
            sections.append(Section(title, items=tuple(_flat(v, items) for v in value)))
        elif isinstance(value, dict):
            inner = dict(ordered_properties(sub))
            sections.append(
                Section(
                    title,
                    items=tuple(
                        f"{_label(k, inner.get(k, {}))}: {_flat(v, inner.get(k, {}))}"
                        for k, v in value.items()
                    ),
                )
            )
        else:
            sections.append(Section(title, text=_flat(value, sub)))
    return sections


def _markdown_sections(artifact: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for section in artifact_sections(artifact, schema):
        lines += [f"### {_inline(section.title)}", ""]
        if section.items:
            lines += [f"- {_inline(item)}" for item in section.items]
        else:
            lines.append(_inline(section.text) or "_(empty)_")
        lines.append("")
    return lines


def workshop_markdown(export: WorkshopExport) -> str:
    workshop = export.workshop
    done = sum(1 for s in export.steps if s.step.status == WorkshopStep.Status.DONE)
    people = ", ".join(_inline(p) for p in export.participants) or "nobody else"
    lines = [
        f"# {_inline(workshop.title)}",
        "",
        f"- **Facilitator:** {_inline(export.facilitator)}",
        f"- **Participants:** {people}",
        f"- **Created:** {_date(workshop.created_at)}",
        f"- **Last changed:** {_date(workshop.updated_at)}",
        f"- **Steps done:** {done} of {len(export.steps)}",
        "",
    ]
    for item in export.steps:
        step, definition = item.step, item.step.step_definition
        lines += [f"## {definition.order}. {_inline(definition.name)}", ""]
        lines += [f"_{step.get_status_display()}_", ""]
        if item.artifact is not None:
            lines += [
                f"Artifact version {item.artifact.version}, saved "
                f"{_date(item.artifact.extracted_at)}.",
                "",
                *_markdown_sections(item.artifact.artifact, definition.schema),
            ]
        else:
            lines += ["No artifact saved.", ""]
        if item.summary is not None:
            lines += [
                "### Summary",
                "",
                *[
                    line
                    for paragraph in item.summary.summary.split("\n")
                    if paragraph.strip()
                    for line in (_inline(paragraph), "")
                ],
                f"Summary version {item.summary.version}, generated "
                f"{_date(item.summary.generated_at)}.",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
