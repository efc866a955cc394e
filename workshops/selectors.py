"""Reads for the workshop pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from tenancy.models import User
from workshops.models import (
    ChatMessage,
    StepArtifact,
    StepSummary,
    StepVersion,
    Workshop,
    WorkshopStep,
)
from workshops.schemas import format_value, ordered_properties, title_of

DONE = WorkshopStep.Status.DONE


def workshop_list(*, user: User) -> QuerySet[Workshop]:
    """My workshops, newest first, with their step counts (one query)."""
    return Workshop.objects.owned_by(user).annotate(
        step_count=Count("steps"),
        done_count=Count("steps", filter=Q(steps__status=DONE)),
    )


def workshop_steps(*, workshop: Workshop) -> list[WorkshopStep]:
    """The workshop's steps in order, with what each has saved (one query)."""
    return list(
        WorkshopStep.objects.filter(tenant_id=workshop.tenant_id, workshop=workshop)
        .select_related("step_definition")
        .annotate(
            has_artifact=Exists(StepArtifact.objects.filter(workshop_step=OuterRef("pk"))),
            has_summary=Exists(StepSummary.objects.filter(workshop_step=OuterRef("pk"))),
        )
        .order_by("step_definition__order")
    )


@dataclass(frozen=True)
class StepPage:
    step: WorkshopStep
    steps: list[WorkshopStep]
    chat: list[ChatMessage]
    artifact: StepArtifact | None
    summary: StepSummary | None

    @property
    def awaiting_reply(self) -> bool:
        return bool(self.chat) and self.chat[-1].role == ChatMessage.Role.USER

    @property
    def next_step(self) -> WorkshopStep | None:
        later = [s for s in self.steps if s.step_definition.order > self.step.step_definition.order]
        return later[0] if later else None


def step_page(*, step: WorkshopStep) -> StepPage:
    """Everything the step page shows: four queries, however long the chat."""
    scoped = {"tenant_id": step.tenant_id, "workshop_step": step}
    return StepPage(
        step=step,
        steps=workshop_steps(workshop=step.workshop),
        chat=list(ChatMessage.objects.filter(**scoped).order_by("created_at", "id")),
        artifact=StepArtifact.objects.filter(**scoped).first(),
        summary=StepSummary.objects.filter(**scoped).first(),
    )


def dashboard_card(user: User) -> dict:
    counts = WorkshopStep.objects.filter(tenant_id=user.tenant_id, workshop__owner=user).aggregate(
        workshops=Count("workshop", distinct=True),
        steps=Count("id"),
        done=Count("id", filter=Q(status=DONE)),
    )
    return {
        "title": "Workshops",
        "value": counts["workshops"],
        "detail": f"{counts['done']} of {counts['steps']} steps done",
        "url": reverse("workshops:list"),
    }


def step_history(*, step: WorkshopStep, kind: str) -> list[StepVersion]:
    """Every saved version of the step's artifact or summary, newest first, with who saved
    it (one query, by the unique index on tenant, step, kind, version)."""
    return list(
        StepVersion.objects.filter(tenant_id=step.tenant_id, workshop_step=step, kind=kind)
        .select_related("saved_by")
        .order_by("-version")
    )


@dataclass(frozen=True)
class FieldDiff:
    label: str
    old: str
    new: str
    added: list[str]  # list fields: items only in the newer version
    removed: list[str]  # list fields: items only in the older version

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _items(value: Any) -> list[str]:
    return [format_value(item) for item in value] if isinstance(value, list) else []


def version_diff(
    *, step: WorkshopStep, kind: str, old: StepVersion | None, new: StepVersion
) -> list[FieldDiff]:
    """Field by field (in schema order), what changed from `old` (None: nothing) to `new`."""
    if kind == StepVersion.Kind.SUMMARY:
        before = old.content if old else ""
        return [FieldDiff("Summary", before, new.content, [], [])]
    schema = step.step_definition.schema
    a = old.content if old and isinstance(old.content, dict) else {}
    b = new.content if isinstance(new.content, dict) else {}
    names = [name for name, _ in ordered_properties(schema)]
    names += [name for name in [*a, *b] if name not in names]
    rows = []
    for name in dict.fromkeys(names):
        if name not in a and name not in b:
            continue
        old_items, new_items = _items(a.get(name)), _items(b.get(name))
        rows.append(
            FieldDiff(
                title_of(schema, (name,)),
                format_value(a.get(name)),
                format_value(b.get(name)),
                [i for i in new_items if i not in old_items] if old else [],
                [i for i in old_items if i not in new_items] if old else [],
            )
        )
    return rows
