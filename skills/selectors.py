from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse

from skills.models import Skill
from tenancy.models import User


@dataclass(frozen=True)
class TreeRow:
    skill: Skill
    depth: int


def skill_tree(*, tenant_id: int) -> list[TreeRow]:
    """The tenant's skills as a depth-first tree, siblings by name (one query)."""
    skills = list(Skill.objects.for_tenant(tenant_id).select_related("author").order_by("name"))
    children: dict[int | None, list[Skill]] = {}
    ids = {s.pk for s in skills}
    for s in skills:
        # A parent outside the visible set cannot happen under RLS, but a row
        # must never vanish from the list because of it.
        key = s.parent_id if s.parent_id in ids else None
        children.setdefault(key, []).append(s)

    rows: list[TreeRow] = []
    stack = [(s, 0) for s in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        skill, depth = stack.pop()
        if skill.pk in seen:  # defensive: a cycle written behind our back
            continue
        seen.add(skill.pk)
        rows.append(TreeRow(skill, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(skill.pk, [])))
    return rows


def skill_ancestors(*, skill: Skill) -> list[Skill]:
    """From the root down to the skill's parent (one query per level; trees are shallow)."""
    chain: list[Skill] = []
    current = skill.parent
    while current is not None and len(chain) < 50:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


def dashboard_card(user: User) -> dict:
    counts = Skill.objects.for_tenant(user.tenant_id).aggregate(
        total=Count("id"), mine=Count("id", filter=Q(author=user))
    )
    return {
        "title": "Skills",
        "value": counts["total"],
        "detail": f"{counts['mine']} authored by you",
        "url": reverse("skills:list"),
    }
