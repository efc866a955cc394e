"""Every write to the skills catalogue, and the grouping rules.

Messaging's "accept grouping" also moves skills through `skill_set_parent`,
so the cycle rule holds on every path.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from skills.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, Skill
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

NAME_REQUIRED = "Give the skill a name."
NAME_TOO_LONG = f"A skill name has at most {NAME_MAX_LENGTH} characters."
DESCRIPTION_TOO_LONG = f"A description has at most {DESCRIPTION_MAX_LENGTH} characters."
NAME_TAKEN = "Your organisation already has a skill with this name."
PARENT_IS_SELF = "A skill cannot be grouped under itself."
PARENT_MAKES_CYCLE = "That parent is grouped under this skill already; the grouping would loop."
PARENT_OTHER_TENANT = "That parent skill does not exist."
ONLY_AUTHOR_EDITS = "Only the skill's author can edit it."


# Namespace of the per-tenant advisory lock that serialises moves in the tree.
TREE_LOCK_NAMESPACE = 0x736B  # "sk"


def _lock_tree(tenant_id: int) -> None:
    """Serialise tree moves within a tenant until the transaction ends.

    Locking only the moved row is not enough: "A under B" and "B under A" lock
    different rows, both pass the cycle check, and together they make a loop.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TREE_LOCK_NAMESPACE, tenant_id])


def _save(skill: Skill, **kwargs) -> None:
    # The unique constraint is the last word when two people pick one name at once.
    try:
        with transaction.atomic():
            skill.save(**kwargs)
    except IntegrityError as error:
        raise ValidationError({"name": NAME_TAKEN}) from error


def would_create_cycle(*, skill: Skill, parent: Skill | None) -> bool:
    """True when `parent` is `skill` or one of its descendants (one query)."""
    if parent is None or skill.pk is None:
        return False
    if parent.pk == skill.pk:
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE ancestors(id, parent_id) AS (
                SELECT id, parent_id FROM {Skill._meta.db_table}
                WHERE tenant_id = %(tenant)s AND id = %(parent)s
                UNION
                SELECT s.id, s.parent_id FROM {Skill._meta.db_table} s
                JOIN ancestors a ON s.id = a.parent_id
                WHERE s.tenant_id = %(tenant)s
            )
            SELECT EXISTS (SELECT 1 FROM ancestors WHERE id = %(skill)s)
            """,
            # The tenant in both halves: Citus runs a recursive CTE only on one
            # shard, which it finds from the constant (RLS alone would agree).
            {"tenant": skill.tenant_id, "parent": parent.pk, "skill": skill.pk},
        )
        return cursor.fetchone()[0]


def validate_skill(
    *, tenant_id: int, name: str, description: str, skill: Skill | None
) -> tuple[str, str]:
    """Check name and description; return them stripped. Raises ValidationError by field."""
    name = (name or "").strip()
    description = (description or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = NAME_REQUIRED
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = NAME_TOO_LONG
    elif not is_storable(name):
        errors["name"] = UNSTORABLE_TEXT
    elif (
        Skill.objects.for_tenant(tenant_id)
        .filter(name__iexact=name)
        .exclude(pk=skill.pk if skill else None)
        .exists()
    ):
        errors["name"] = NAME_TAKEN
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = DESCRIPTION_TOO_LONG
    elif not is_storable(description):
        errors["description"] = UNSTORABLE_TEXT
    if errors:
        raise ValidationError(errors)
    return name, description


def validate_parent(*, skill: Skill, parent: Skill | None) -> None:
    if parent is None:
        return
    if parent.tenant_id != skill.tenant_id:
        raise ValidationError({"parent": PARENT_OTHER_TENANT})
    if skill.pk is not None and parent.pk == skill.pk:
        raise ValidationError({"parent": PARENT_IS_SELF})
    if would_create_cycle(skill=skill, parent=parent):
        raise ValidationError({"parent": PARENT_MAKES_CYCLE})


@transaction.atomic
def skill_create(
    *, author: User, name: str, description: str = "", parent: Skill | None = None
) -> Skill:
    name, description = validate_skill(
        tenant_id=author.tenant_id, name=name, description=description, skill=None
    )
    skill = Skill(tenant_id=author.tenant_id, author=author, name=name, description=description)
    validate_parent(skill=skill, parent=parent)
    skill.parent = parent
    _save(skill)
    return skill


@transaction.atomic
def skill_update(
    *, skill: Skill, user: User, name: str, description: str, parent: Skill | None
) -> Skill:
    if skill.author_id != user.pk:
        raise PermissionDenied(ONLY_AUTHOR_EDITS)
    name, description = validate_skill(
        tenant_id=skill.tenant_id, name=name, description=description, skill=skill
    )
    if parent is not None and parent.pk != skill.parent_id:
        _lock_tree(skill.tenant_id)
    validate_parent(skill=skill, parent=parent)
    skill.name, skill.description, skill.parent = name, description, parent
    _save(skill, update_fields=["name", "description", "parent", "updated_at"])
    return skill


@transaction.atomic
def skill_set_parent(*, skill: Skill, parent: Skill | None) -> Skill:
    """Move a skill under `parent` (None: top level), re-checking the rules now.

    Callers decide who may do it (the author editing, or the author accepting a
    proposal); this only guards the tree.
    """
    if parent is not None:
        _lock_tree(skill.tenant_id)
    locked = Skill.objects.select_for_update().get(pk=skill.pk)
    validate_parent(skill=locked, parent=parent)
    locked.parent = parent
    locked.save(update_fields=["parent", "updated_at"])
    skill.parent, skill.updated_at = locked.parent, locked.updated_at
    return skill
