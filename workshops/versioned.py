"""Versioned saves of a step's artifact and summary: one version at a time, every version
kept, a stale save merged. Part of workshops.services (which validates, checks who may
act and calls `versioned_save`); nothing else calls this module directly.

Optimistic locking: a save carries the version the user read. The row is
updated with `UPDATE … SET …, version = version + 1 WHERE workshop_step = …
AND version = n` (one statement); if no row matched, someone saved first: the
saved row is locked and the save merged against the version it was based on
(workshops.merge), saved when clean, `VersionConflict` otherwise. Version 0
means "there was no row when I read": the first save inserts version 1, and a
concurrent first save loses on the unique constraint and merges the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model

from config.errors import Stale
from tenancy.citus import violated_constraint
from tenancy.models import User
from workshops.merge import MISSING, Conflict, merge
from workshops.models import StepVersion, WorkshopStep
from workshops.schemas import title_of

VERSION_CONFLICT = (
    "Someone else saved this after you opened it. Nothing was overwritten: "
    "compare their version with yours below."
)
NOTHING_NEW = (
    "Nothing new to save: your changes were already in version {version} (saved by {who})."
)


class VersionConflict(Stale):
    """A save carried a stale version; the row holds someone else's newer value."""

    def __init__(
        self,
        *,
        current_value: Any,
        current_version: int,
        attempted_value: Any,
        conflicts: list[Conflict] | None = None,
        base_value: Any = None,
        saved_by: str = "someone",
    ) -> None:
        super().__init__(VERSION_CONFLICT)
        self.current_value = current_value  # None when the row has gone
        self.current_version = current_version  # 0 when the row has gone
        self.attempted_value = attempted_value
        # The fields both sides changed (base, theirs, mine each), from workshops.merge.
        self.conflicts = conflicts or []
        self.base_value = base_value  # the version the save was based on (None: nothing)
        self.saved_by = saved_by  # who saved since: "Priya", "you, in another tab"
        # The fields that did merge (theirs and mine), without the conflicting ones.
        self.merged_value: dict[str, Any] = {}


# --- versioned saves ---------------------------------------------------------------


def _as_fields(kind: str, value: Any) -> dict[str, Any]:
    """What the merge works on: the artifact's fields, or the summary as one field."""
    if kind == StepVersion.Kind.SUMMARY:
        return {"summary": value}
    return value if isinstance(value, dict) else {}


def _who(saved_by: Any, user: User) -> str:
    if saved_by is None:
        return "someone"
    if saved_by.pk == user.pk:
        return "you, in another tab"
    return str(saved_by)


def _saved_since(
    workshop_step: WorkshopStep, kind: str, base_version: int, current_version: int
) -> tuple[Any, list[Any]]:
    """The base version's content (None if there was none) and who saved each version since."""
    rows = list(
        StepVersion.objects.filter(
            tenant_id=workshop_step.tenant_id,
            workshop_step=workshop_step,
            kind=kind,
            version__gte=base_version,
            version__lte=current_version,
        )
        .select_related("saved_by")
        .order_by("version")
    )
    base = next((r.content for r in rows if r.version == base_version), None)
    return base, [r.saved_by for r in rows if r.version > base_version]


def _names(people: list[Any], user: User) -> str:
    names: list[str] = []
    for person in people:
        name = _who(person, user)
        if name not in names:
            names.append(name)
    return " and ".join(names) if names else "someone"


def _labels(fields: list[str], labels: dict[str, str]) -> str:
    return ", ".join(labels.get(f, f.replace("_", " ")).lower() for f in fields)


def merged_message(
    *, others: list[Any], user: User, fields: list[str], labels: dict[str, str]
) -> str:
    """`Merged with Priya's change to evidence.` (`your change … (you, in another tab)`)."""
    what = _labels(fields, labels)
    if others and all(o is not None and o.pk == user.pk for o in others):
        return f"Merged with your change to {what} (you, in another tab)."
    return f"Merged with {_names(others, user)}'s change to {what}."


def versioned_save(
    model: type[Model],
    *,
    kind: str,
    workshop_step: WorkshopStep,
    user: User,
    expected_version: int,
    value_field: str,
    values: dict[str, Any],
    finish: Callable[[Any], dict[str, Any]],
    labels: dict[str, str],
    note: str = "",
) -> Any:
    """Insert (expected 0) or compare-and-increment update, recording the version.

    When `expected_version` is stale, the saved value is locked and `values`
    merged into it against the version they were based on: a clean merge is
    saved as the next version (the returned object's `merge_message` says
    what came from the other side); otherwise VersionConflict carries the
    fields in conflict. `finish(value)` re-derives the other columns (and
    validates) for a merged value. Each saved object carries `merge_message`.
    """
    rows = model._default_manager.filter(
        tenant_id=workshop_step.tenant_id, workshop_step=workshop_step
    )
    value = values[value_field]

    def record(saved: Any, note: str) -> Any:
        StepVersion.objects.create(
            tenant_id=workshop_step.tenant_id,
            workshop_step=workshop_step,
            kind=kind,
            version=saved.version,
            content=getattr(saved, value_field),
            saved_by=user,
            note=note,
        )
        saved.merge_message = ""
        return saved

    if expected_version == 0:
        try:
            with transaction.atomic():  # a savepoint: the request goes on after a lost race
                created = model._default_manager.create(
                    tenant_id=workshop_step.tenant_id,
                    workshop_step=workshop_step,
                    step_id=workshop_step.step_id,
                    version=1,
                    **values,
                )
                return record(created, note)
        except IntegrityError as error:
            if not violated_constraint(error).endswith("_workshop_step_id_unique"):
                raise
    elif rows.filter(version=expected_version).update(**values, version=F("version") + 1):
        return record(rows.get(), note)
    # Stale. Lock the saved row: the merged value below becomes exactly the next version.
    current = rows.select_for_update().values_list(value_field, "version").first()
    if current is None:
        raise VersionConflict(current_value=None, current_version=0, attempted_value=value)
    theirs, current_version = current
    base, others = _saved_since(workshop_step, kind, expected_version, current_version)
    base_fields = _as_fields(kind, base) if base is not None else None
    result = merge(base_fields, _as_fields(kind, theirs), _as_fields(kind, value))
    conflict = VersionConflict(
        current_value=theirs,
        current_version=current_version,
        attempted_value=value,
        conflicts=result.conflicts,
        base_value=base,
        saved_by=_names(others, user),
    )
    conflict.merged_value = result.value
    if not result.clean:
        raise conflict
    merged = result.value["summary"] if kind == StepVersion.Kind.SUMMARY else result.value
    if merged == theirs:
        # Nothing of mine that is not saved already: no empty new version.
        saved = rows.get()
        saved.merge_message = NOTHING_NEW.format(who=_names(others, user), version=current_version)
        return saved
    try:
        merged_values = finish(merged)
    except ValidationError:
        # Each side was valid alone, together they are not (say, a list now too long):
        # the person decides, field by field, as for any conflict.
        conflict.conflicts = _both_changed(base_fields, theirs, value, kind)
        conflict.merged_value = dict(_as_fields(kind, theirs))
        raise conflict from None
    message = (
        merged_message(others=others, user=user, fields=result.from_theirs, labels=labels)
        if result.from_theirs
        else ""
    )
    rows.filter(version=current_version).update(**merged_values, version=F("version") + 1)
    saved = record(rows.get(), message)
    saved.merge_message = message
    return saved


def _both_changed(base: Any, theirs: Any, mine: Any, kind: str) -> list[Conflict]:
    base, theirs, mine = base or {}, _as_fields(kind, theirs), _as_fields(kind, mine)
    return [
        Conflict(name, base.get(name, MISSING), theirs.get(name, MISSING), mine.get(name, MISSING))
        for name in dict.fromkeys([*theirs, *mine])
        if theirs.get(name, MISSING) != mine.get(name, MISSING)
    ]


def field_labels(schema: dict[str, Any]) -> dict[str, str]:
    """Top-level field name -> its title, for messages about merged fields."""
    return {name: title_of(schema, (name,)) for name in schema.get("properties", {})}
