"""Reads for the portfolio pages, the dashboard and JSON export (a fixed number of queries)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    OrderBy,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, JSONObject, Lower, TruncMonth
from django.urls import reverse

from portfolio.models import (
    MAX_ARTIFACTS_PER_USER,
    SEARCH_CONFIG,
    PortfolioShare,
    ProfileEvidence,
    ProfileSkill,
    WorkArtifact,
)
from skills.models import Skill
from tenancy.models import User
from tenancy.prepared import BoundRead, DigestedRows, prepared, read_together, stand_in
from tenancy.text import is_storable

# Columns a list never needs: the text can be 100,000 characters per row.
_HEAVY = ("extracted_text", "search_vector")


# ?sort= values: the column, then what breaks ties. A member has at most 50
# artifacts, all found through the (user, artifact_date) index, so sorting
# them by any column is an in-memory sort of 50 rows, not a reason for an
# index per column (tests/test_list_indexes.py checks each one).
SORTS: dict[str, tuple[OrderBy, ...]] = {
    "date": (F("artifact_date").asc(), F("created_at").asc()),
    "title": (Lower("title").asc(), F("created_at").asc()),
    "hours": (F("estimated_hours_saved").asc(nulls_first=True), F("artifact_date").asc()),
    "category": (F("category").asc(), F("artifact_date").desc()),
}
DEFAULT_SORT = "-date"
SORT_CHOICES = [key for name in SORTS for key in (name, f"-{name}")]


def _ordering(sort: str) -> list[OrderBy]:
    name = sort.removeprefix("-")
    if name not in SORTS:
        return _ordering(DEFAULT_SORT)
    if sort.startswith("-"):
        return [term.copy().reverse_ordering() for term in SORTS[name]]
    return list(SORTS[name])


class _Suggests(Func):
    """True for a skill whose id is among an artifact's suggested ids: `skill.id =
    ANY(...)` over the ids that are numbers (the column is text), so each is one
    lookup in the skills' primary key, however large the catalogue."""

    output_field = BooleanField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        skill, ids = (compiler.compile(e) for e in self.source_expressions)
        numbers = f"SELECT x::bigint FROM unnest({ids[0]}) AS x WHERE x ~ '^[0-9]{{1,18}}$'"
        return f"{skill[0]} = ANY(ARRAY({numbers}))", (*skill[1], *ids[1])


def suggested_skills() -> ArraySubquery:
    """Each artifact's suggested skills as {"pk", "name"}, in suggestion order, read with
    the artifact (one statement for a list, and its digest covers the names shown). A
    skill deleted since the suggestion was made simply drops out."""
    skills = (
        Skill.objects.filter(_Suggests(F("pk"), OuterRef("suggested_skill_ids")))
        # Annotated, not ordered by the expression: Django resolves an outer reference
        # in a subquery's annotations, not in its ORDER BY.
        .annotate(
            position=Func(
                OuterRef("suggested_skill_ids"),
                Cast("pk", CharField()),
                function="array_position",
                output_field=IntegerField(),
            )
        )
        .order_by("position")
        .values(json=JSONObject(pk="pk", name="name"))
    )
    return ArraySubquery(skills)


def artifact_list_queryset(
    *,
    user: User,
    q: str = "",
    sort: str = DEFAULT_SORT,
    category: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[WorkArtifact]:
    """My artifacts, newest artifact_date first unless `sort` says otherwise
    (date, title, hours, category; "-" for descending), optionally full-text
    searched and filtered by category and a date range (both ends included)."""
    artifacts = (
        WorkArtifact.objects.owned_by(user)
        .order_by(*_ordering(sort))
        .defer(*_HEAVY)
        .annotate(suggested_skills=suggested_skills())
    )
    q = q.strip()
    if q:
        artifacts = artifacts.filter(
            search_vector=SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        )
    if category:
        artifacts = artifacts.filter(category=category)
    if date_from:
        artifacts = artifacts.filter(artifact_date__gte=date_from)
    if date_to:
        artifacts = artifacts.filter(artifact_date__lte=date_to)
    return artifacts


@prepared(user_id=int, tenant_id=int)
def _plain_list(user_id: int, tenant_id: int) -> QuerySet[WorkArtifact]:
    return artifact_list_queryset(user=stand_in(user_id, tenant_id))


def artifact_list(*, user: User, **filters: Any) -> list[WorkArtifact] | DigestedRows:
    """artifact_list_queryset's rows, each with `suggested_skills` ({"pk", "name"}, in
    suggestion order). The list as it opens, the one most views ask for, is known by
    its digest until something iterates it (the page's cached rows need only that)."""
    if not _as_it_opens(filters):
        return list(artifact_list_queryset(user=user, **filters))
    return _plain_list.digested(user_id=user.pk, tenant_id=user.tenant_id)


def _as_it_opens(filters: dict[str, Any]) -> bool:
    """Whether these filters leave the list as it opens (_plain_list's rows)."""
    narrowed = any(filters.get(name) for name in ("q", "category", "date_from", "date_to"))
    return not narrowed and filters.get("sort", DEFAULT_SORT) == DEFAULT_SORT


def artifacts_by_ids(*, user: User, artifact_ids: Iterable[str]) -> list[WorkArtifact]:
    """The user's artifacts among these ids (others are simply absent), by title."""
    ids = [str(i) for i in artifact_ids if is_storable(str(i))]
    return list(
        WorkArtifact.objects.owned_by(user)
        .filter(pk__in=ids)
        .order_by(Lower("title"))
        .only("id", "title", "artifact_date", "estimated_hours_saved")
    )


def attach_suggested_skills(artifacts: Iterable[WorkArtifact], *, tenant_id: int) -> None:
    """Set `artifact.suggested_skills` on each artifact with one query for all of them."""
    artifacts = list(artifacts)
    ids = {i for a in artifacts for i in a.suggested_skill_ids if i.isdigit()}
    skills = (
        {
            str(s.pk): s
            for s in Skill.objects.for_tenant(tenant_id).filter(pk__in=ids).only("id", "name")
        }
        if ids
        else {}
    )
    for artifact in artifacts:
        # A skill deleted since the suggestion was made simply drops out.
        artifact.suggested_skills = [skills[i] for i in artifact.suggested_skill_ids if i in skills]


@dataclass(frozen=True)
class Totals:
    count: int
    hours: float
    limit: int = MAX_ARTIFACTS_PER_USER

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def at_limit(self) -> bool:
        return self.count >= self.limit


@prepared(user_id=int, tenant_id=int)
def _months(user_id: int, tenant_id: int) -> QuerySet:
    return (
        WorkArtifact.objects.owned_by(stand_in(user_id, tenant_id))
        .annotate(month=TruncMonth("artifact_date"))
        .values("month")
        .annotate(count=Count("pk"), hours=Sum("estimated_hours_saved"))
        .order_by("month")
    )


def monthly(*, user: User) -> tuple[Totals, list[tuple[datetime.date, float]]]:
    """`totals` and `hours_by_month` from one query (the list page and the dashboard
    show both): per month, its artifacts and hours; the totals are their sums."""
    return _monthly_from(_months(user_id=user.pk, tenant_id=user.tenant_id))


def list_page(
    *, user: User, **filters: Any
) -> tuple[list[WorkArtifact] | DigestedRows, Totals, list[tuple[datetime.date, float]]]:
    """The list page as it loads: artifact_list's rows and monthly's figures; the list
    as it opens, the one most views ask for, digested and read with the months in one
    round trip."""
    if not _as_it_opens(filters):
        return artifact_list(user=user, **filters), *monthly(user=user)
    person = {"user_id": user.pk, "tenant_id": user.tenant_id}
    artifacts, months = read_together(
        _plain_list.digested(**person, run=False), _months.bound(**person)
    )
    return artifacts, *_monthly_from(months)


def _monthly_from(rows: list[dict[str, Any]]) -> tuple[Totals, list[tuple[datetime.date, float]]]:
    summary = Totals(
        count=sum(row["count"] for row in rows),
        hours=sum(row["hours"] or 0.0 for row in rows),
    )
    return summary, [(row["month"], row["hours"] or 0.0) for row in rows]


def totals(*, user: User) -> Totals:
    row = WorkArtifact.objects.owned_by(user).aggregate(
        count=Count("pk"), hours=Sum("estimated_hours_saved")
    )
    return Totals(count=row["count"], hours=row["hours"] or 0.0)


def hours_by_month(*, user: User) -> list[tuple[datetime.date, float]]:
    """(first day of month, hours saved) for every month with artifacts, oldest first."""
    rows = (
        WorkArtifact.objects.owned_by(user)
        .annotate(month=TruncMonth("artifact_date"))
        .values("month")
        .annotate(hours=Sum("estimated_hours_saved"))
        .order_by("month")
    )
    return [(row["month"], row["hours"] or 0.0) for row in rows]


def user_artifacts(*, user: User) -> list[dict[str, Any]]:
    """The source's getUserArtifacts: plain data, dates as ISO strings, newest first."""
    rows = (
        WorkArtifact.objects.owned_by(user)
        .newest_first()
        .values(
            "id",
            "title",
            "description",
            "category",
            "artifact_date",
            "file_name",
            "file_type",
            "estimated_hours_saved",
            "suggested_skill_ids",
            "created_at",
        )
    )
    return [
        {
            "id": row["id"],
            "title": row["title"],
            "description": row["description"],
            "category": row["category"],
            "artifactDate": row["artifact_date"].isoformat(),
            "fileName": row["file_name"],
            "fileType": row["file_type"],
            "estimatedHoursSaved": row["estimated_hours_saved"],
            "suggestedSkillIds": list(row["suggested_skill_ids"]),
            "createdAt": row["created_at"].isoformat(),
        }
        for row in rows
    ]


def dashboard_read(user: User) -> BoundRead:
    """The Portfolio tile's one statement (config/dashboard.py runs every tile's together)."""
    return _months.bound(user_id=user.pk, tenant_id=user.tenant_id)


def dashboard_card(user: User, rows: list | None = None) -> dict[str, Any]:
    """The Portfolio tile and the chart's months; `rows`, dashboard_read's when the
    dashboard read them already."""
    summary, months = _monthly_from(dashboard_read(user).run() if rows is None else rows)
    return {
        "title": "Portfolio",
        "value": summary.count,
        "detail": f"of {summary.limit} artifacts · {summary.hours:g} hours saved",
        "url": reverse("portfolio:list"),
        "months": months,  # the dashboard's chart reuses them
    }


# --- the skills profile and shared portfolios ------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a skill was suggested, as stored with the suggestion (empty for old rows)."""

    terms: list[str]
    snippet: str
    confidence: float | None

    @property
    def percent(self) -> int | None:
        return None if self.confidence is None else round(self.confidence * 100)


def suggestion_reasons(artifact: WorkArtifact) -> dict[str, Reason]:
    """The stored reasons by skill id; a suggestion made before reasons were kept has none."""
    reasons = {}
    for skill_id, raw in (artifact.suggestion_reasons or {}).items():
        if isinstance(raw, dict):
            confidence = raw.get("confidence")
            reasons[skill_id] = Reason(
                terms=[str(t) for t in raw.get("terms") or []],
                snippet=str(raw.get("snippet") or ""),
                confidence=float(confidence) if confidence is not None else None,
            )
    return reasons


def attach_reasons(artifact: WorkArtifact) -> None:
    """Set `reason` on each of the artifact's `suggested_skills` (None when not recorded)."""
    reasons = suggestion_reasons(artifact)
    for skill in artifact.suggested_skills:
        skill.reason = reasons.get(str(skill.pk))


def _evidence(artifact_ids: Iterable[str] | None = None) -> Prefetch:
    evidence = ProfileEvidence.objects.select_related("artifact").only(
        "profile_skill_id", "artifact__id", "artifact__title", "artifact__artifact_date"
    )
    if artifact_ids is not None:
        evidence = evidence.filter(artifact_id__in=list(artifact_ids))
    return Prefetch(
        "evidence", queryset=evidence.order_by("-artifact__artifact_date"), to_attr="shown"
    )


def profile_entries(*, user: User, artifact_ids: Iterable[str] | None = None) -> list:
    """The member's confirmed skills by name, each with `shown` evidence (two queries).

    With `artifact_ids` (a share of chosen artifacts), evidence is limited to
    those artifacts and a skill none of them shows is left out.
    """
    entries = list(
        ProfileSkill.objects.held_by(user)
        .select_related("skill")
        .only("id", "level", "user_id", "tenant_id", "skill__id", "skill__name")
        .order_by(Lower("skill__name"))
        .prefetch_related(_evidence(artifact_ids))
    )
    return [entry for entry in entries if entry.shown or artifact_ids is None]


def evidence_choices(*, user: User, skill_id: int, artifact_id: str = "") -> list[WorkArtifact]:
    """The member's artifacts offered as evidence for a skill: those that suggest it,
    plus the one the member came from, newest first."""
    suggesting = Q(suggested_skill_ids__contains=[str(skill_id)])
    if artifact_id and is_storable(artifact_id):
        suggesting |= Q(pk=artifact_id)
    return list(
        WorkArtifact.objects.owned_by(user)
        .filter(suggesting)
        .newest_first()
        .only("id", "title", "artifact_date")
    )


def shares_of(*, user: User) -> list[PortfolioShare]:
    return list(PortfolioShare.objects.owned_by(user).order_by("-created_at"))


def shared_artifacts(*, share: PortfolioShare) -> list[WorkArtifact]:
    """Exactly what the share shows: the owner's artifacts, all or the chosen ones."""
    artifacts = WorkArtifact.objects.owned_by(share.user).newest_first().defer(*_HEAVY)
    if not share.whole_portfolio:
        artifacts = artifacts.filter(pk__in=share.artifact_ids)
    return list(artifacts)
