from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from portfolio.models import ProfileEvidence, ProfileSkill, WorkArtifact
from skills.models import Skill
from tenancy.models import User
from tenancy.prepared import BoundRead, counts_of, prepared


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


@dataclass
class TreeNode:
    """A skill with its sub-skills, for the collapsible tree."""

    skill: Skill
    depth: int
    children: list[TreeNode] = field(default_factory=list)
    artifact_count: int = 0  # artifacts of the tenant that suggest this skill
    holders: int = 0  # members who confirmed it onto their profile
    evidence_count: int = 0  # artifacts those members gave as evidence
    matches: bool = False  # the search matched this skill itself (not only a descendant)


def skill_forest(*, tenant_id: int, q: str = "") -> list[TreeNode]:
    """The tenant's tree as nested nodes, each with its counts (three queries).

    With a search, only skills whose name or description contains `q` remain,
    with their ancestors so each stays in its place in the tree. The catalogue
    is read whole for the tree anyway, so the match happens on those rows.
    """
    counts, held = catalogue_counts(tenant_id=tenant_id)
    needle = q.strip().casefold()
    roots: list[TreeNode] = []
    path: list[TreeNode] = []  # the ancestors of the row being placed
    for row in skill_tree(tenant_id=tenant_id):
        node = TreeNode(row.skill, row.depth, artifact_count=counts.get(row.skill.pk, 0))
        node.holders, node.evidence_count = held.get(row.skill.pk, (0, 0))
        node.matches = bool(needle) and (
            needle in row.skill.name.casefold() or needle in row.skill.description.casefold()
        )
        del path[row.depth :]
        (path[-1].children if path else roots).append(node)
        path.append(node)
    return _pruned(roots) if needle else roots


def _pruned(nodes: list[TreeNode]) -> list[TreeNode]:
    kept = []
    for node in nodes:
        node.children = _pruned(node.children)
        if node.matches or node.children:
            kept.append(node)
    return kept


def count_nodes(nodes: list[TreeNode], *, matching: bool = False) -> int:
    return sum(
        (not matching or node.matches) + count_nodes(node.children, matching=matching)
        for node in nodes
    )


def suggestion_counts(*, tenant_id: int) -> dict[int, int]:
    """How many of the tenant's work artifacts suggest each skill: one aggregate query.

    Suggestions are an array column on the artifact, so the count unnests it;
    the tenant test is explicit and row-level security is the fence behind it.
    """
    with connection.cursor() as cursor:
        cursor.execute(SUGGESTION_COUNTS_SQL, [tenant_id])
        return {int(skill_id): count for skill_id, count in cursor.fetchall()}


SUGGESTION_COUNTS_SQL = f"""
SELECT skill_id, count(*)
FROM {WorkArtifact._meta.db_table} AS a, unnest(a.suggested_skill_ids) AS skill_id
WHERE a.tenant_id = %s AND skill_id ~ '^[0-9]{{1,18}}$'
GROUP BY skill_id
"""


def profile_counts(*, tenant_id: int) -> dict[int, tuple[int, int]]:
    """Per skill: how many members hold it and how many artifacts evidence it (one
    aggregate query, through the (tenant, skill) index of the profile entries)."""
    with connection.cursor() as cursor:
        cursor.execute(PROFILE_COUNTS_SQL, [tenant_id])
        return {skill_id: (holders, evidence) for skill_id, holders, evidence in cursor}


PROFILE_COUNTS_SQL = f"""
SELECT p.skill_id, count(DISTINCT p.user_id), count(DISTINCT e.artifact_id)
FROM {ProfileSkill._meta.db_table} AS p
LEFT JOIN {ProfileEvidence._meta.db_table} AS e
       ON e.tenant_id = p.tenant_id AND e.profile_skill_id = p.id
WHERE p.tenant_id = %s
GROUP BY p.skill_id
"""


# Both counts of the catalogue in one statement: the suggestion counts and the
# profile counts side by side, each through its own tenant index.
CATALOGUE_COUNTS_SQL = f"""
SELECT skill_id::bigint, sum(suggested)::int, sum(holders)::int, sum(evidence)::int
FROM (
    SELECT skill_id, count AS suggested, 0 AS holders, 0 AS evidence
    FROM ({SUGGESTION_COUNTS_SQL}) AS suggestions (skill_id, count)
    UNION ALL
    SELECT skill_id::text, 0, holders, evidence
    FROM ({PROFILE_COUNTS_SQL}) AS held (skill_id, holders, evidence)
) AS counts
GROUP BY skill_id
"""


def catalogue_counts(*, tenant_id: int) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """(suggestion counts, (holders, evidence) counts) per skill, in one query."""
    suggested: dict[int, int] = {}
    held: dict[int, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(CATALOGUE_COUNTS_SQL, [tenant_id, tenant_id])
        for skill_id, suggestions, holders, evidence in cursor:
            if suggestions:
                suggested[skill_id] = suggestions
            if holders:
                held[skill_id] = (holders, evidence)
    return suggested, held


@dataclass(frozen=True)
class CoverageBar:
    skill: Skill
    holders: int
    share: float  # of the members, 0-100: the bar's width


@dataclass(frozen=True)
class Coverage:
    members: int
    bars: list[CoverageBar]

    @property
    def thin(self) -> list[CoverageBar]:
        """Skills held by at most one member: where the organisation is fragile."""
        return [bar for bar in self.bars if bar.holders <= 1]


def skill_coverage(*, tenant_id: int) -> Coverage:
    """Every skill of the catalogue with how many members hold it, fewest first
    (three queries whatever the size: the skills, the counts, the members)."""
    held = profile_counts(tenant_id=tenant_id)
    members = User.objects.filter(tenant_id=tenant_id, is_active=True).count()
    skills = Skill.objects.for_tenant(tenant_id).only("id", "name")
    bars = [
        CoverageBar(
            skill=skill,
            holders=held.get(skill.pk, (0, 0))[0],
            share=round(100 * held.get(skill.pk, (0, 0))[0] / members, 1) if members else 0.0,
        )
        for skill in skills
    ]
    bars.sort(key=lambda bar: (bar.holders, bar.skill.name.casefold()))
    return Coverage(members=members, bars=bars)


def skill_ancestors(*, skill: Skill) -> list[Skill]:
    """From the root down to the skill's parent (one query per level; trees are shallow)."""
    chain: list[Skill] = []
    current = skill.parent
    while current is not None and len(chain) < 50:
        chain.append(current)
        current = current.parent
    return list(reversed(chain))


@prepared(user_id=int, tenant_id=int)
def _skill_counts(user_id: int, tenant_id: int) -> QuerySet:
    return (
        Skill.objects.for_tenant(tenant_id)
        .order_by()
        .values("tenant_id")
        .annotate(total=Count("id"), mine=Count("id", filter=Q(author_id=user_id)))
    )


def dashboard_read(user: User) -> BoundRead:
    """The Skills tile's one statement (config/dashboard.py runs every tile's together)."""
    return _skill_counts.bound(user_id=user.pk, tenant_id=user.tenant_id)


def dashboard_card(user: User, rows: list | None = None) -> dict:
    """The Skills tile; `rows`, dashboard_read's when the dashboard read them already."""
    counts = counts_of(dashboard_read(user).run() if rows is None else rows, "total", "mine")
    return {
        "title": "Skills",
        "value": counts["total"],
        "detail": f"{counts['mine']} authored by you",
        "url": reverse("skills:list"),
    }
