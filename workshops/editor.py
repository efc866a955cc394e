"""What the artifact editor shows: the generated form, the JSON editor, a conflict.

The views build the editor's template context here, from the saved artifact
or from the state a POST carries (a row action, a chosen side of a conflict,
a proposal, a failed save). A conflict's three values per field travel with
the form in one hidden input, so a row action or "keep mine" on one field
loses nothing of another field's conflict (and nothing needs JavaScript).
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from workshops.forms import ArtifactForm, artifact_text
from workshops.merge import MISSING, Conflict
from workshops.models import StepArtifact, WorkshopStep
from workshops.schema_form import build_fields
from workshops.schemas import Problem, format_value, in_schema_order, skeleton, title_of

CONFLICT_FIELD = "conflict"
EMPTY = "(empty)"


@dataclass(frozen=True)
class FieldConflict:
    """One field both sides changed, as the page shows it and carries it."""

    field: str
    label: str
    base: list[Any]  # [] when the field was absent, else [value]
    theirs: list[Any]
    mine: list[Any]

    @staticmethod
    def text(side: list[Any]) -> str:
        return format_value(side[0]) if side and side[0] not in ("", None, []) else EMPTY

    @property
    def base_text(self) -> str:
        return self.text(self.base)

    @property
    def theirs_text(self) -> str:
        return self.text(self.theirs)

    @property
    def mine_text(self) -> str:
        return self.text(self.mine)


@dataclass(frozen=True)
class ConflictState:
    version: int  # the version saved by the other side (the form now carries it)
    saved_by: str
    fields: list[FieldConflict]

    def dump(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "saved_by": self.saved_by,
                "fields": [f.__dict__ for f in self.fields],
            },
            ensure_ascii=False,
        )


def _side(value: Any) -> list[Any]:
    return [] if value is MISSING else [value]


def conflict_state(
    schema: dict[str, Any], *, version: int, saved_by: str, conflicts: list[Conflict]
) -> ConflictState:
    return ConflictState(
        version=version,
        saved_by=saved_by,
        fields=[
            FieldConflict(
                c.field,
                title_of(schema, (c.field,)),
                _side(c.base),
                _side(c.theirs),
                _side(c.mine),
            )
            for c in conflicts
        ],
    )


def conflict_from_post(data: Any) -> ConflictState | None:
    """The conflict the form carries, or None (absent or not ours: ignored)."""
    try:
        raw = json.loads(data.get(CONFLICT_FIELD) or "null")
        if not raw:
            return None
        fields = [
            FieldConflict(
                str(f["field"]),
                str(f["label"]),
                list(f["base"]),
                list(f["theirs"]),
                list(f["mine"]),
            )
            for f in raw["fields"]
        ]
        return ConflictState(int(raw["version"]), str(raw["saved_by"]), fields)
    except (ValueError, TypeError, KeyError):
        return None


def resolve(
    value: dict[str, Any], state: ConflictState | None, choice: str
) -> tuple[dict[str, Any], ConflictState | None]:
    """`keep mine` / `keep theirs` for one field (`mine:evidence`): that value in the
    form, the field's conflict settled; the others stay."""
    side, _, name = choice.partition(":")
    if state is None or side not in ("mine", "theirs"):
        return value, state
    chosen = next((f for f in state.fields if f.field == name), None)
    if chosen is None:
        return value, state
    value = dict(value)
    picked = chosen.mine if side == "mine" else chosen.theirs
    if picked:
        value[name] = picked[0]
    else:
        value.pop(name, None)
    rest = [f for f in state.fields if f.field != name]
    return value, ConflictState(state.version, state.saved_by, rest) if rest else None


def value_after_conflict(merged: dict[str, Any], conflicts: list[Conflict]) -> dict[str, Any]:
    """What the form shows after a conflict: everything that merged, and mine where the
    sides disagree (theirs is beside it, one click away)."""
    value = dict(merged)
    for c in conflicts:
        if c.mine is MISSING:
            value.pop(c.field, None)
        else:
            value[c.field] = c.mine
    return value


def lazy_editor_context(step: WorkshopStep, artifact: StepArtifact | None) -> dict[str, Any]:
    """editor_context(step, artifact), each value built when the template first uses it:
    the step page shows the editor from the fragment cache while the artifact is
    unchanged (workshops/views.py), and then never builds its fields and forms."""
    built = SimpleLazyObject(partial(editor_context, step, artifact))
    return {name: SimpleLazyObject(partial(operator.getitem, built, name)) for name in EDITOR_KEYS}


# The names editor_context gives the template (tests check the two agree).
EDITOR_KEYS = (
    "artifact_fields",
    "artifact_errors",
    "artifact_version",
    "artifact_json_form",
    "json_open",
    "editor_url",
    "history_url",
    "conflict",
    "conflict_json",
)


def editor_context(
    step: WorkshopStep,
    artifact: StepArtifact | None,
    *,
    value: Any = None,
    version: int | None = None,
    problems: list[Problem] | None = None,
    general_errors: list[str] | None = None,
    json_form: ArtifactForm | None = None,
    conflict: ConflictState | None = None,
) -> dict[str, Any]:
    """The template context of `workshops/partials/artifact.html`."""
    schema = step.step_definition.schema
    if value is None:
        value = artifact.artifact if artifact else skeleton(schema)
    if version is None:
        version = artifact.version if artifact else 0
    fields, unplaced = build_fields(schema, value, problems)
    if json_form is None:
        json_form = ArtifactForm(
            initial={"artifact": artifact_text(in_schema_order(schema, value)), "version": version}
        )
    return {
        "artifact_fields": fields,
        "artifact_errors": [*(general_errors or []), *unplaced],
        "artifact_version": version,
        "artifact_json_form": json_form,
        "json_open": json_form.is_bound,
        "editor_url": reverse("workshops:artifact", args=[step.workshop_id, step.step_id]),
        "history_url": reverse("workshops:artifact_history", args=[step.workshop_id, step.step_id]),
        "conflict": conflict,
        "conflict_json": conflict.dump() if conflict else "",
    }
