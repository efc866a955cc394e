"""The skills profile: a member confirms a skill with the artifacts that show it.

Views, the admin and seed_demo come through here, so the rules hold on every path:
the evidence must be the member's own artifacts, the skill must be in the member's
tenant's catalogue, one entry per skill per member (a unique constraint with
tenant_id behind the check), and at most MAX_EVIDENCE_PER_SKILL artifacts each.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction

from portfolio.models import (
    MAX_EVIDENCE_PER_SKILL,
    Level,
    ProfileEvidence,
    ProfileSkill,
    WorkArtifact,
)
from skills.models import Skill
from tenancy.models import User
from tenancy.text import is_storable

LEVEL_INVALID = "Choose a level: " + ", ".join(Level.labels).lower() + "."
EVIDENCE_REQUIRED = "Choose at least one of your artifacts that shows this skill."
EVIDENCE_NOT_YOURS = "Evidence can only be your own artifacts."
EVIDENCE_TOO_MANY = f"A skill can have at most {MAX_EVIDENCE_PER_SKILL} artifacts as evidence."
SKILL_NOT_FOUND = "No such skill in your organisation's catalogue."
ENTRY_NOT_FOUND = "That skill is not on your profile."


class ProfileSkillNotFound(ObjectDoesNotExist):
    """Not the caller's profile entry (or no such id): the same answer either way."""


def _check_level(level: str) -> None:
    if level not in Level.values:
        raise ValidationError({"level": LEVEL_INVALID})


def _own_artifact_ids(*, user: User, artifact_ids: Iterable[str]) -> set[str]:
    ids = {str(i) for i in artifact_ids}
    if not ids:
        raise ValidationError({"artifacts": EVIDENCE_REQUIRED})
    if not all(is_storable(i) for i in ids):
        raise ValidationError({"artifacts": EVIDENCE_NOT_YOURS})
    found = set(WorkArtifact.objects.owned_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    if found != ids:  # a teammate's, another tenant's or a made-up id: all refused alike
        raise ValidationError({"artifacts": EVIDENCE_NOT_YOURS})
    return ids


@transaction.atomic
def profile_skill_confirm(
    *, user: User, skill_id: int | str, artifact_ids: Iterable[str], level: str
) -> ProfileSkill:
    """Put a skill on the member's profile (or add evidence to it and set its level).

    Confirming a skill already on the profile keeps its evidence and adds the new
    artifacts, within MAX_EVIDENCE_PER_SKILL; the level is the one given now.
    """
    _check_level(level)
    if not str(skill_id).isdigit() or len(str(skill_id)) > 18:
        raise ValidationError({"skill": SKILL_NOT_FOUND})
    # The tenant test is explicit: a skill id of another tenant is "not found".
    skill = Skill.objects.for_tenant(user.tenant_id).filter(pk=int(skill_id)).first()
    if skill is None:
        raise ValidationError({"skill": SKILL_NOT_FOUND})
    ids = _own_artifact_ids(user=user, artifact_ids=artifact_ids)
    # Lock the member's entry for this skill if there is one, so two confirms at
    # once take turns (the unique constraint catches two first confirms).
    entry, _ = ProfileSkill.objects.select_for_update().get_or_create(
        tenant_id=user.tenant_id, user=user, skill=skill, defaults={"level": level}
    )
    if entry.level != level:
        entry.level = level
        entry.save(update_fields=["level", "updated_at"])
    have = set(entry.evidence.values_list("artifact_id", flat=True))
    if len(have | ids) > MAX_EVIDENCE_PER_SKILL:
        raise ValidationError({"artifacts": EVIDENCE_TOO_MANY})
    ProfileEvidence.objects.bulk_create(
        ProfileEvidence(tenant_id=user.tenant_id, profile_skill=entry, artifact_id=artifact_id)
        for artifact_id in sorted(ids - have)
    )
    return entry


def _entry(*, user: User, entry_id: int | str) -> ProfileSkill:
    if not str(entry_id).isdigit() or len(str(entry_id)) > 18:
        raise ProfileSkillNotFound(ENTRY_NOT_FOUND)
    entry = (
        ProfileSkill.objects.held_by(user)
        .select_for_update()
        .select_related("skill")
        .filter(pk=int(entry_id))
        .first()
    )
    if entry is None:
        raise ProfileSkillNotFound(ENTRY_NOT_FOUND)
    return entry


@transaction.atomic
def profile_skill_set_level(*, user: User, entry_id: int | str, level: str) -> ProfileSkill:
    entry = _entry(user=user, entry_id=entry_id)  # first: another's id is a 404, whatever else
    _check_level(level)
    entry.level = level
    entry.save(update_fields=["level", "updated_at"])
    return entry


@transaction.atomic
def profile_skill_remove(*, user: User, entry_id: int | str) -> ProfileSkill:
    """Take a skill off the member's profile (its evidence rows go with it)."""
    entry = _entry(user=user, entry_id=entry_id)
    entry.delete()
    return entry
