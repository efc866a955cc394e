"""Every read of the CRM: the review screens, the dashboard, the API's lists and
the source repository's reads, each a fixed number of queries, each limited to
the relationship manager's own customers.

Every list is backed by an index that leads with the tenant (see models.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Lower, NullIf, Trim, TruncWeek
from django.urls import reverse
from django.utils import timezone

from crm_artifacts.fields import FIELDS_BY_KEY
from crm_artifacts.history import Source
from crm_artifacts.models import (
    ArtifactType,
    Customer,
    CustomerProfileEvent,
    FollowUp,
    ProfileEditStatus,
    Proposal,
)
from crm_artifacts.services.access import ensure_rm_of_artifact, ensure_rm_of_customer, parse_id
from crm_artifacts.services.errors import (
    ARTIFACT_NOT_FOUND,
    BATCH_NOT_FOUND,
    CUSTOMER_NOT_FOUND,
    INVALID_LIMIT,
    INVALID_OFFSET,
    INVALID_ORDER,
    INVALID_STATUS_FILTER,
    UNKNOWN_ARTIFACT_TYPE,
    NotFound,
)
from tenancy.models import User
from tenancy.prepared import BoundRead, counts_of, prepared, read_together, stand_in
from tenancy.shortcuts import only_names_of

HISTORY_LIMIT = 100
PENDING_LIMIT = 500

PENDING = Q(artifacts__status=ProfileEditStatus.PENDING)


@dataclass
class Batch:
    batch_id: str
    artifacts: list[Proposal] = field(default_factory=list)
    # What accepting the pending ones also does (`_plan_follow_ups`), shown before the click.
    follow_ups: list[FollowUp] = field(default_factory=list)

    @property
    def created_at(self):
        return self.artifacts[0].created_at

    @property
    def created_by(self) -> str:
        first = self.artifacts[0]
        return first.created_by_id or first.created_by_type

    @property
    def pending_count(self) -> int:
        return sum(a.is_pending for a in self.artifacts)

    @property
    def pending(self) -> list[Proposal]:
        return [a for a in self.artifacts if a.is_pending]


def _batches(artifacts: list[Proposal]) -> list[Batch]:
    """Group artifacts by batch: proposals in the order made, newest batch first."""
    batches: dict[str, Batch] = {}
    for artifact in sorted(artifacts, key=lambda a: a.pk):
        batches.setdefault(artifact.batch_id, Batch(artifact.batch_id)).artifacts.append(artifact)
    return sorted(batches.values(), key=lambda b: b.artifacts[0].pk, reverse=True)


def _plan_follow_ups(batches: list[Batch], customer: Customer) -> list[Batch]:
    """Give each batch the follow-up tasks accepting its pending proposals creates:
    computed by the code the decision writes them with (no query)."""
    from crm_artifacts.services.follow_ups import follow_ups_planned

    for batch in batches:
        batch.follow_ups = follow_ups_planned(customer=customer, artifacts=batch.pending)
    return batches


def customers_of(user: User) -> QuerySet[Customer]:
    """The RM's customers by name, with their pending proposal counts (one query)."""
    return (
        Customer.objects.of_rm(user)
        .annotate(pending_count=Count("artifacts", filter=PENDING))
        .order_by(KT("profile__fullName"), "pk")
    )


def _flag_stale(proposals: list[Proposal], profile: dict[str, Any]) -> None:
    """Mark each pending proposal the profile moved away from since it was made
    (`ui_stale`: both values), so the page says so before anyone clicks. No query:
    the profile is in hand."""
    from crm_artifacts.services.decisions import stale_values

    for proposal in proposals:
        if proposal.is_pending:
            proposal.ui_stale = stale_values(proposal, profile, proposal.payload["proposed_value"])


class Overview:
    """The customer page's proposals and follow-ups. The batches and decisions are
    worked out from the rows when first asked for (no query): with the open batches
    digested (customer_overview(digested=True)), a page whose proposals come from the
    fragment cache never reads them, and its heading's count comes with their digest."""

    def __init__(
        self,
        customer: Customer,
        open_rows: Sequence[Proposal],
        decided_rows: Sequence[Proposal],
        follow_ups: list[FollowUp],
    ) -> None:
        self.customer = customer
        self.open_rows = open_rows  # whole batches with something pending
        self.decided_rows = decided_rows  # the other decisions, one more than shown
        self.follow_ups = follow_ups
        # Called once with the batches and decisions when they are worked out: the page
        # puts its refusals, warnings and edit forms on the rows (crm_artifacts/views.py).
        self.on_rows: Callable[[list[Batch], list[Proposal]], None] | None = None

    @cached_property
    def _worked_out(self) -> tuple[list[Batch], list[Proposal]]:
        rows = list(self.open_rows)
        _flag_stale(rows, self.customer.profile)
        batches = _plan_follow_ups(_batches(rows), self.customer)
        history = list(self.decided_rows)[:HISTORY_LIMIT]
        if self.on_rows is not None:
            self.on_rows(batches, history)
        return batches, history

    @property
    def pending_batches(self) -> list[Batch]:
        return self._worked_out[0]

    @property
    def history(self) -> list[Proposal]:
        return self._worked_out[1]

    @property
    def history_truncated(self) -> bool:
        return len(self.decided_rows) > HISTORY_LIMIT

    @property
    def pending_count(self) -> int:
        counted = getattr(self.open_rows, "counted", None)
        if counted is not None and "_worked_out" not in self.__dict__:
            return counted  # from the digest statement, no row read
        return sum(batch.pending_count for batch in self.pending_batches)


def _deciders_named(tenant_id: int, customer_id: int) -> tuple[QuerySet[Proposal], QuerySet]:
    """The customer's proposals with the names of who decided and who reverted (the
    rows show only those), and the batches with something pending."""
    mine = Proposal.objects.filter(tenant_id=tenant_id, customer_id=customer_id)
    pending_batch_ids = mine.filter(status=ProfileEditStatus.PENDING).values("batch_id")
    named = only_names_of(
        mine.select_related("decided_by", "reverted_by"), "decided_by", "reverted_by"
    )
    return named, pending_batch_ids


@prepared(tenant_id=int, customer_id=int)
def _open_batches(tenant_id: int, customer_id: int) -> QuerySet[Proposal]:
    named, pending_batch_ids = _deciders_named(tenant_id, customer_id)
    return named.filter(batch_id__in=pending_batch_ids)[:PENDING_LIMIT]


@prepared(tenant_id=int, customer_id=int)
def _decided(tenant_id: int, customer_id: int) -> QuerySet[Proposal]:
    """The other decisions, newest first, one more than shown (to say there are more)."""
    named, pending_batch_ids = _deciders_named(tenant_id, customer_id)
    return named.exclude(batch_id__in=pending_batch_ids).order_by("-created_at", "-id")[
        : HISTORY_LIMIT + 1
    ]


@prepared(tenant_id=int, customer_id=int)
def _open_follow_ups(tenant_id: int, customer_id: int) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(
        tenant_id=tenant_id, customer_id=customer_id, done=False, dismissed=False
    ).order_by("due_on", "id")


def customer_overview(customer: Customer, *, digested: bool = False) -> Overview:
    """Batches with something pending first (whole, so decided rows keep their place),
    then the other decisions newest first, then follow-ups: three queries. `digested`:
    both kinds of proposals known by their digests until the page renders them
    (ui/fragments.py), with the pending count, and the follow-ups, in one round trip;
    two more queries when the proposals are read."""
    scoped = {"tenant_id": customer.tenant_id, "customer_id": customer.pk}
    open_rows: Sequence[Proposal]
    decided_rows: Sequence[Proposal]
    if digested:
        pending = ("status", ProfileEditStatus.PENDING)
        open_rows, decided_rows, follow_ups = read_together(
            _open_batches.digested(**scoped, count_if=pending, run=False),
            _decided.digested(**scoped, run=False),
            _open_follow_ups.bound(**scoped),
        )
        return Overview(customer, open_rows, decided_rows, follow_ups)
    open_rows, decided_rows = _open_batches(**scoped), _decided(**scoped)
    return Overview(customer, open_rows, decided_rows, _open_follow_ups(**scoped))


@dataclass
class CustomerProposals:
    customer: Customer
    pending_count: int
    batches: list[Batch]


class PendingAge:
    TODAY = "today"
    WEEK = "week"  # the last 7 days
    OLDER = "older"  # more than 7 days ago
    CHOICES = ((TODAY, "Today"), (WEEK, "Last 7 days"), (OLDER, "Older than 7 days"))


class PendingSort:
    CUSTOMER = ""  # by customer name, newest batch first: the screen's first order
    OLDEST = "oldest"
    NEWEST = "newest"
    CONFIDENCE = "confidence"  # high first, then the oldest
    CHOICES = (
        (CUSTOMER, "By customer"),
        (OLDEST, "Oldest first"),
        (NEWEST, "Newest first"),
        (CONFIDENCE, "Highest confidence first"),
    )


@dataclass(frozen=True)
class PendingFilters:
    """What /crm/proposals/ shows: every field optional (empty: no filter)."""

    customer: int | None = None
    field: str = ""
    confidence: str = ""
    age: str = ""
    sort: str = PendingSort.CUSTOMER

    @property
    def filtered(self) -> bool:
        return bool(self.customer or self.field or self.confidence or self.age)


# A proposal without a confidence sorts after "low".
CONFIDENCE_RANK = Case(
    When(payload__confidence="high", then=Value(0)),
    When(payload__confidence="medium", then=Value(1)),
    When(payload__confidence="low", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def pending_queryset(user: User, filters: PendingFilters) -> QuerySet[Proposal]:
    """The RM's pending proposals matching `filters`, in their order (read through the
    (tenant, status) and (tenant, customer, status, created_at) indexes)."""
    qs = Proposal.objects.for_rm(user).pending()
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.field:
        qs = qs.filter(payload__field_key=filters.field)
    if filters.confidence:
        qs = qs.filter(payload__confidence=filters.confidence)
    now = timezone.now()
    week_ago = now - dt.timedelta(days=7)
    if filters.age == PendingAge.TODAY:
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        qs = qs.filter(created_at__gte=start)
    elif filters.age == PendingAge.WEEK:
        qs = qs.filter(created_at__gte=week_ago)
    elif filters.age == PendingAge.OLDER:
        qs = qs.filter(created_at__lt=week_ago)
    order = {
        PendingSort.OLDEST: ("created_at", "id"),
        PendingSort.NEWEST: ("-created_at", "-id"),
        PendingSort.CONFIDENCE: (CONFIDENCE_RANK, "created_at", "id"),
    }.get(filters.sort, ("customer_id", "id"))
    return qs.order_by(*order)


def _in_order(artifacts: list[Proposal]) -> list[Batch]:
    """Group sorted artifacts by batch, keeping the order they come in."""
    batches: dict[str, Batch] = {}
    for artifact in artifacts:
        batches.setdefault(artifact.batch_id, Batch(artifact.batch_id)).artifacts.append(artifact)
    return list(batches.values())


@dataclass
class PendingScreen:
    """What /crm/proposals/ shows. Its groups are computed from `customers` and
    `proposals` when first asked for (no query): the page's cached results are keyed by
    those two and the filters, so a cached page never reads the proposals (digested)."""

    customers: list[Customer]  # every customer with something pending, for the filter
    proposals: Sequence[Proposal]  # the first PENDING_LIMIT matching, in the screen's order
    filters: PendingFilters

    @cached_property
    def groups(self) -> list[CustomerProposals]:
        filters = self.filters
        customers = {c.pk: c for c in self.customers}
        by_customer: dict[int, list[Proposal]] = {}
        for artifact in self.proposals:
            if artifact.customer_id in customers:  # (a customer reassigned in between)
                by_customer.setdefault(artifact.customer_id, []).append(artifact)
        in_sort = filters.sort != PendingSort.CUSTOMER
        order = list(by_customer) if in_sort else [pk for pk in customers if pk in by_customer]
        groups = []
        for pk in order:
            customer, mine = customers[pk], by_customer[pk]
            _flag_stale(mine, customer.profile)
            count = len(mine) if filters.filtered else customer.pending_count
            batches = _in_order(mine) if in_sort else _batches(mine)
            groups.append(CustomerProposals(customer, count, _plan_follow_ups(batches, customer)))
        return groups

    @property
    def total(self) -> int:
        return sum(g.pending_count for g in self.groups)


@prepared(user_id=int, tenant_id=int)
def _customers_pending(user_id: int, tenant_id: int) -> QuerySet[Customer]:
    return customers_of(stand_in(user_id, tenant_id)).filter(pending_count__gt=0)


@prepared(user_id=int, tenant_id=int)
def _pending_first(user_id: int, tenant_id: int) -> QuerySet[Proposal]:
    return pending_queryset(stand_in(user_id, tenant_id), PendingFilters())[:PENDING_LIMIT]


def pending_screen(user: User, filters: PendingFilters | None = None) -> PendingScreen:
    """The RM's pending proposals grouped by customer, with counts (two queries).

    Unfiltered and unsorted: customers by name, each one's batches newest first.
    Sorted: customers and batches in the order of their first proposal in the sort.
    Filtered: only the matching proposals, counted; customers with none left out.
    The screen as it opens, the one most views ask for, has its proposals digested.
    """
    filters = filters or PendingFilters()
    person = {"user_id": user.pk, "tenant_id": user.tenant_id}
    proposals: Sequence[Proposal]
    if filters == PendingFilters():
        # The customers and the proposals' digest in one round trip.
        customers, proposals = read_together(
            _customers_pending.bound(**person), _pending_first.digested(**person, run=False)
        )
    else:
        customers = _customers_pending(**person)
        proposals = list(pending_queryset(user, filters)[:PENDING_LIMIT])
    return PendingScreen(customers=customers, proposals=proposals, filters=filters)


def pending_proposals(user: User) -> list[CustomerProposals]:
    """The all-pending screen's groups, unfiltered (the benchmark's reading)."""
    return pending_screen(user).groups


HISTORY_EVENTS = 200


@dataclass
class FieldChange:
    """One field's change in one event of the profile's history."""

    key: str
    label: str
    before: str
    after: str
    at: Any
    who: str
    source: str
    url: str
    proposal: Proposal | None = None

    @property
    def how(self) -> str:
        """ "accepted by Bob from the notes of 1 Dec, 21:19", "admin edit by Alice", …"""
        who = f" by {self.who}" if self.who else ""
        if self.proposal is not None and self.source == Source.PROPOSAL:
            verb = "edited and accepted" if self.proposal.status == "edited" else "accepted"
            made = self.proposal.created_at.strftime("%-d %b, %H:%M")
            return f"{verb}{who} from the notes of {made}"
        if self.proposal is not None and self.source == Source.REVERT:
            return f"reverted{who} (proposal #{self.proposal.pk})"
        if self.source == Source.PROPOSAL:
            return f"accepted{who}"
        label = Source.LABELS.get(self.source, "no recorded source")
        via = " via the API" if self.url.startswith("/api/") else ""
        return f"{label}{who}{via}"


@dataclass
class FieldTimeline:
    key: str
    label: str
    changes: list[FieldChange]


@prepared(tenant_id=int, customer_id=int)
def _profile_events(tenant_id: int, customer_id: int) -> QuerySet:
    return (
        CustomerProfileEvent.objects.filter(tenant_id=tenant_id, pgh_obj_id=customer_id)
        .order_by("-pgh_id")
        .values("pgh_id", "pgh_created_at", "pgh_context", "profile")[: HISTORY_EVENTS + 1]
    )


def profile_history(customer: Customer) -> list[FieldTimeline]:
    """The customer's profile changes per field, newest first (two queries).

    pghistory's trigger stores the whole profile after each change; a change of
    a field is the difference between consecutive snapshots. The newest
    HISTORY_EVENTS events are read, plus the one before them as the base.
    """
    events = _profile_events(tenant_id=customer.tenant_id, customer_id=customer.pk)
    events.reverse()
    base: dict[str, Any] = {}
    if len(events) > HISTORY_EVENTS:
        base = events.pop(0)["profile"] or {}
    contexts = [e["pgh_context"] if isinstance(e["pgh_context"], dict) else {} for e in events]
    proposal_ids = {c["proposal"] for c in contexts if isinstance(c.get("proposal"), int)}
    batch_ids = {c["batch"] for c in contexts if isinstance(c.get("batch"), str)}
    proposals: dict[int, Proposal] = {}
    by_batch_field: dict[tuple[str, str], Proposal] = {}
    if proposal_ids or batch_ids:
        for p in Proposal.objects.filter(tenant_id=customer.tenant_id).filter(
            Q(pk__in=proposal_ids) | Q(batch_id__in=batch_ids)
        ):
            proposals[p.pk] = p
            by_batch_field[(p.batch_id, p.payload.get("field_key", ""))] = p
    by_field: dict[str, list[FieldChange]] = {}
    previous = base
    for event, context in zip(events, contexts, strict=True):
        profile = event["profile"] or {}
        for key in sorted(set(previous) | set(profile)):
            if previous.get(key) == profile.get(key):
                continue
            spec = FIELDS_BY_KEY.get(key)
            show = spec.display if spec else str
            # A batch accept is one event: each field's proposal is found by batch and key.
            proposal = proposals.get(context.get("proposal")) or by_batch_field.get(
                (context.get("batch", ""), key)
            )
            by_field.setdefault(key, []).append(
                FieldChange(
                    key=key,
                    label=spec.label if spec else key,
                    before=show(previous.get(key)) if previous.get(key) is not None else "",
                    after=show(profile.get(key)) if profile.get(key) is not None else "",
                    at=event["pgh_created_at"],
                    who=str(context.get("userName", "")),
                    source=str(context.get("source", "")),
                    url=str(context.get("url", "")),
                    proposal=proposal,
                )
            )
        previous = profile
    order = list(FIELDS_BY_KEY)
    return [
        FieldTimeline(key, changes[0].label, list(reversed(changes)))
        for key, changes in sorted(
            by_field.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
        )
    ]


@dataclass
class PendingCounts:
    customer: int
    batch: int


def pending_counts(*, customer: Customer, batch_id: str) -> PendingCounts:
    """The customer's pending proposals and those of one of its batches (one query)."""
    counts = Proposal.objects.filter(
        tenant_id=customer.tenant_id, customer=customer, status=ProfileEditStatus.PENDING
    ).aggregate(customer=Count("id"), batch=Count("id", filter=Q(batch_id=batch_id)))
    return PendingCounts(customer=counts["customer"], batch=counts["batch"])


def batch_customer(*, user: User, batch_id: str) -> Customer:
    """The customer of a batch the user is the RM of (NotFound / NotAllowed otherwise)."""
    first = (
        Proposal.objects.select_related("customer")
        .filter(tenant_id=user.tenant_id, batch_id=batch_id)
        .order_by("id")
        .first()
    )
    if first is None:
        raise NotFound(BATCH_NOT_FOUND)
    ensure_rm_of_artifact(user=user, artifact=first)
    if first.customer is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    return first.customer


@dataclass
class BatchConfirmation:
    """What "Accept all" / "Reject all" ask about: the batch's pending proposals and
    the follow-up tasks accepting them creates."""

    pending: list[Proposal]
    follow_ups: list[FollowUp]


def batch_confirmation(*, customer: Customer, batch_id: str) -> BatchConfirmation:
    """The confirmation page's and dialogs' content (one query)."""
    pending = batch_pending(customer=customer, batch_id=batch_id)
    batch = _plan_follow_ups([Batch(batch_id, pending)], customer)[0]
    return BatchConfirmation(pending=pending, follow_ups=batch.follow_ups)


def batch_pending(*, customer: Customer, batch_id: str) -> list[Proposal]:
    """A batch's pending proposals, in the order made (the confirmation's list)."""
    return list(
        Proposal.objects.filter(
            tenant_id=customer.tenant_id,
            customer=customer,
            batch_id=batch_id,
            status=ProfileEditStatus.PENDING,
        ).order_by("id")[:PENDING_LIMIT]
    )


@dataclass
class NavCounts:
    customers: int
    pending: int


def nav_counts(user: User) -> NavCounts:
    """How many customers the user is the RM of, and their pending proposals (one query,
    on every page: the nav's CRM link)."""
    rows = _nav_counts(user_id=user.pk, tenant_id=user.tenant_id)
    return NavCounts(**counts_of(rows, "customers", "pending"))


@prepared(user_id=int, tenant_id=int)
def _nav_counts(user_id: int, tenant_id: int) -> QuerySet:
    return (
        Customer.objects.of_rm(stand_in(user_id, tenant_id))
        .order_by()
        .values("tenant_id")
        .annotate(customers=Count("id", distinct=True), pending=Count("artifacts", filter=PENDING))
    )


@prepared(user_id=int, tenant_id=int)
def _pending_counts(user_id: int, tenant_id: int) -> QuerySet:
    return (
        Proposal.objects.for_rm(stand_in(user_id, tenant_id))
        .pending()
        .order_by()
        .values("tenant_id")
        .annotate(pending=Count("id"), customers=Count("customer", distinct=True))
    )


def dashboard_read(user: User) -> BoundRead:
    """The CRM tile's one statement (config/dashboard.py runs every tile's together)."""
    return _pending_counts.bound(user_id=user.pk, tenant_id=user.tenant_id)


def dashboard_card(user: User, rows: list | None = None) -> dict:
    """The CRM tile; `rows`, dashboard_read's when the dashboard read them already."""
    rows = dashboard_read(user).run() if rows is None else rows
    counts = counts_of(rows, "pending", "customers")
    customers = counts["customers"]
    return {
        "title": "CRM proposals",
        "value": counts["pending"],
        "detail": f"pending across {customers} customer{'s' if customers != 1 else ''}",
        "url": reverse("crm:proposals"),
    }


# --- Single objects and the source repository's reads ----------------------


@prepared(tenant_id=int, customer_id=int)
def _customer(tenant_id: int, customer_id: int) -> QuerySet[Customer]:
    return Customer.objects.filter(tenant_id=tenant_id, pk=customer_id).order_by("pk")[:1]


def get_customer(*, user: User, customer_id: object) -> Customer:
    """The user's customer by id (any id: a bad one is simply not found)."""
    pk = parse_id(customer_id)
    rows = _customer(tenant_id=user.tenant_id, customer_id=pk) if pk else []
    customer = rows[0] if rows else None
    return ensure_rm_of_customer(user=user, customer=customer)


def get_artifact(*, user: User, artifact_id: object) -> Proposal:
    """An artifact of one of the user's customers, by id."""
    pk = parse_id(artifact_id)
    artifact = (
        Proposal.objects.select_related("customer").filter(tenant_id=user.tenant_id, pk=pk).first()
        if pk
        else None
    )
    if artifact is None:
        raise NotFound(ARTIFACT_NOT_FOUND)
    ensure_rm_of_artifact(user=user, artifact=artifact)
    return artifact


DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 100_000


def validate_page(*, limit: int, offset: int, order: str) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": INVALID_LIMIT.format(max_limit=MAX_LIMIT)})
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
        raise ValidationError({"offset": INVALID_OFFSET.format(max_offset=MAX_OFFSET)})
    if order not in ("asc", "desc"):
        raise ValidationError({"order": INVALID_ORDER})


def _ordered(qs: QuerySet[Proposal], order: str) -> QuerySet[Proposal]:
    return qs.order_by("created_at", "id") if order == "asc" else qs.order_by("-created_at", "-id")


def artifact_get(*, user: User, artifact_id: object) -> Proposal:
    return get_artifact(user=user, artifact_id=artifact_id)


def artifact_list_by_customer(
    *,
    user: User,
    customer: Customer,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    order: str = "desc",
) -> list[Proposal]:
    return artifact_list(user=user, customer=customer, limit=limit, offset=offset, order=order)


def artifact_list_pending_by_customer(*, user: User, customer: Customer) -> list[Proposal]:
    ensure_rm_of_customer(user=user, customer=customer)
    qs = Proposal.objects.filter(
        tenant_id=customer.tenant_id, customer=customer, status=ProfileEditStatus.PENDING
    )
    return list(_ordered(qs, "desc"))


def artifact_list_by_batch(*, user: User, batch_id: str) -> list[Proposal]:
    """A batch's proposals in the order they were made (refused unless all are the RM's)."""
    artifacts = list(
        Proposal.objects.select_related("customer")
        .filter(tenant_id=user.tenant_id, batch_id=batch_id)
        .order_by("created_at", "id")
    )
    if not artifacts:
        raise NotFound(BATCH_NOT_FOUND)
    for artifact in artifacts:
        ensure_rm_of_customer(user=user, customer=artifact.customer)
    return artifacts


@prepared(user_id=int, tenant_id=int, customer_id=int, paged=True)
def _customer_artifacts(user_id: int, tenant_id: int, customer_id: int) -> QuerySet[Proposal]:
    user = stand_in(user_id, tenant_id)
    return _ordered(Proposal.objects.for_rm(user).filter(customer_id=customer_id), "desc")


def artifact_list(
    *,
    user: User,
    customer: Customer | None = None,
    batch_id: str | None = None,
    status: str | None = None,
    artifact_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    order: str = "desc",
) -> list[Proposal]:
    """The RM's artifacts matching every filter given, newest first by default."""
    validate_page(limit=limit, offset=offset, order=order)
    if status is not None and status not in ProfileEditStatus.ALL:
        raise ValidationError({"status": INVALID_STATUS_FILTER})
    if artifact_type is not None and artifact_type not in ArtifactType.ALL:
        raise ValidationError({"artifact_type": UNKNOWN_ARTIFACT_TYPE})
    if customer is not None:
        ensure_rm_of_customer(user=user, customer=customer)
        unfiltered = batch_id is None and status is None and artifact_type is None
        if unfiltered and order == "desc":  # what agents ask for most: prepared
            person = {"user_id": user.pk, "tenant_id": user.tenant_id}
            page = {"limit": limit, "offset": offset}
            return _customer_artifacts(**person, customer_id=customer.pk, **page)
    qs = Proposal.objects.for_rm(user)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    if status is not None:
        qs = qs.filter(status=status)
    if artifact_type is not None:
        qs = qs.filter(artifact_type=artifact_type)
    return list(_ordered(qs, order)[offset : offset + limit])


# --- Insights: what the agents get right (issue 18 §4) -----------------------------

INSIGHT_WEEKS = (4, 12, 26, 52)  # the period selector's choices
DEFAULT_INSIGHT_WEEKS = 12
REASONS_LIMIT = 10
NO_REASON = "No reason given"


class Median(Aggregate):
    """PostgreSQL's ordered-set median (percentile_cont works on intervals too)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


class InsightsScope:
    TENANT = "tenant"  # a tenant admin: every customer of the tenant
    RM = "rm"  # a relationship manager: their own customers
    NONE = "none"  # neither: an empty page that says who sees what


def insights_scope(user: User) -> str:
    """Whose decisions the user may study: a tenant admin the tenant's, an RM their
    customers' (one query either way), anyone else nobody's."""
    from tenancy.services import is_tenant_admin

    if is_tenant_admin(user):
        return InsightsScope.TENANT
    return InsightsScope.RM if Customer.objects.of_rm(user).exists() else InsightsScope.NONE


def clean_weeks(value: object) -> int:
    """The period from the query string; anything unexpected is the default, not an error."""
    try:
        weeks = int(str(value))
    except ValueError:
        return DEFAULT_INSIGHT_WEEKS
    return weeks if weeks in INSIGHT_WEEKS else DEFAULT_INSIGHT_WEEKS


@dataclass
class Rates:
    """Decisions of one kind (a week, a field, an agent): counts and shares."""

    accepted: int = 0
    edited: int = 0
    rejected: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.edited + self.rejected

    def share(self, count: int) -> float:
        return 100 * count / self.total if self.total else 0.0

    @property
    def accepted_pct(self) -> float:
        return self.share(self.accepted)

    @property
    def edited_pct(self) -> float:
        return self.share(self.edited)

    @property
    def rejected_pct(self) -> float:
        return self.share(self.rejected)

    def add(self, row: dict[str, Any]) -> None:
        self.accepted += row["accepted"]
        self.edited += row["edited"]
        self.rejected += row["rejected"]


@dataclass
class Series:
    """One field's or agent's decisions, in all and week by week (oldest first)."""

    key: str
    label: str
    weeks: list[Rates]
    totals: Rates = field(default_factory=Rates)
    kind: str = ""  # "field", "agent", or "" for all proposals


@dataclass
class Reason:
    text: str
    count: int
    preset: bool


@dataclass
class Staleness:
    decided: int
    stale: int  # the profile had moved on when the proposal was decided
    stale_applied: int  # …and it was accepted anyway (confirmed by the RM)
    median_age: Any  # timedelta from proposed to decided, None without decisions
    within_hour: int
    within_day: int
    within_week: int
    older: int

    @property
    def stale_pct(self) -> float:
        return 100 * self.stale / self.decided if self.decided else 0.0

    @property
    def median_hours(self) -> float | None:
        return None if self.median_age is None else self.median_age.total_seconds() / 3600

    @property
    def ages(self) -> list[tuple[str, int, float]]:
        """(bucket, count, share %) of the age at decision, youngest first."""
        buckets = [
            ("Within an hour", self.within_hour),
            ("1 hour to 1 day", self.within_day),
            ("1 to 7 days", self.within_week),
            ("Over a week", self.older),
        ]
        return [(label, n, 100 * n / self.decided if self.decided else 0.0) for label, n in buckets]


@dataclass
class Insights:
    scope: str
    weeks: int
    week_starts: list[Any]  # dates, oldest first
    overall: list[Rates]  # per week
    totals: Rates
    by_field: list[Series]
    by_agent: list[Series]
    reasons: list[Reason]
    rejected: int
    staleness: Staleness | None

    @property
    def is_empty(self) -> bool:
        return self.totals.total == 0

    @property
    def all_series(self) -> Series:
        return Series("", "All proposals", self.overall, self.totals)

    def series_for(self, choice: str) -> Series:
        """The chart's series: `field:<key>`, `agent:<name>`, or all (anything else)."""
        kind, _, key = choice.partition(":")
        for series in {"field": self.by_field, "agent": self.by_agent}.get(kind, []):
            if series.key == key:
                return series
        return self.all_series


def _decided_in_scope(user: User, scope: str, since) -> QuerySet[Proposal]:
    base = (
        Proposal.objects.filter(tenant_id=user.tenant_id)
        if scope == InsightsScope.TENANT
        else Proposal.objects.for_rm(user)
    )
    # The range on decided_at reads crm_art_decided_idx (tenant, decided_at). No
    # status filter: a profile edit has a decision time exactly when it is decided
    # (crm_artifact_decided_at_matches_status), and the counts are per status.
    return base.filter(decided_at__gte=since, artifact_type=ArtifactType.PROFILE_EDIT).order_by()


def _week_start(now) -> Any:
    """Monday 00:00 of this week in the site's time zone (as TruncWeek buckets)."""
    local = timezone.localtime(now)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def _series(
    rows: list[dict[str, Any]], kind: str, labels: dict[str, str], index: dict[Any, int]
) -> list[Series]:
    found: dict[str, Series] = {}
    for row in rows:
        name = row[kind] or ""
        label = labels.get(name, name or "—")
        series = found.setdefault(name, Series(name, label, [Rates() for _ in index], kind=kind))
        if (n := index.get(row["week"].date())) is not None:  # never a future week
            series.weeks[n].add(row)
            series.totals.add(row)
    return sorted(found.values(), key=lambda s: (-s.totals.total, s.label))


def insights(user: User, *, weeks: int = DEFAULT_INSIGHT_WEEKS, now=None) -> Insights:
    """Acceptance, edit and rejection per week, per field and per agent, the common
    rejection reasons and how stale proposals were when decided, over the last
    `weeks` weeks (this one included). Four aggregate queries (plus the scope's
    one), whatever the number of proposals; nothing is read for someone out of scope.
    """
    return insights_in_scope(user, insights_scope(user), weeks=weeks, now=now)


def insights_in_scope(user: User, scope: str, *, weeks: int, now=None) -> Insights:
    """`insights` for a scope already decided by `insights_scope` (bench/scale.py
    measures the tenant's with a load user, who is no tenant admin)."""
    first = _week_start(now or timezone.now()) - timedelta(weeks=weeks - 1)
    week_starts = [(first + timedelta(weeks=n)).date() for n in range(weeks)]
    index = {start: n for n, start in enumerate(week_starts)}
    empty = Insights(
        scope, weeks, week_starts, [Rates() for _ in week_starts], Rates(), [], [], [], 0, None
    )
    if scope == InsightsScope.NONE:
        return empty
    decided = _decided_in_scope(user, scope, first)
    counts = {
        "accepted": Count("id", filter=Q(status=ProfileEditStatus.ACCEPTED)),
        "edited": Count("id", filter=Q(status=ProfileEditStatus.EDITED)),
        "rejected": Count("id", filter=Q(status=ProfileEditStatus.REJECTED)),
    }
    week = TruncWeek("decided_at")
    by_field_rows = list(
        decided.values(week=week, field=KT("payload__field_key")).annotate(**counts)
    )
    # The agent's name (an API agent's, or the assistant's), else who made it.
    agent = Coalesce(NullIf("created_by_id", Value("")), "created_by_type")
    by_agent_rows = list(decided.values(week=week, agent=agent).annotate(**counts))
    reasons = list(
        decided.filter(status=ProfileEditStatus.REJECTED)
        .values(key=Lower(Trim("rejection_reason")))
        .annotate(count=Count("id"), text=Min("rejection_reason"))
        .order_by("-count", "key")[:REASONS_LIMIT]
    )
    age = ExpressionWrapper(F("decided_at") - F("created_at"), output_field=DurationField())
    made = F("created_at")
    stale = decided.aggregate(
        decided=Count("id"),
        stale=Count("id", filter=Q(stale_at_decision=True)),
        stale_applied=Count(
            "id",
            filter=Q(
                stale_at_decision=True,
                status__in=(ProfileEditStatus.ACCEPTED, ProfileEditStatus.EDITED),
            ),
        ),
        median_age=Median(age),
        within_hour=Count("id", filter=Q(decided_at__lt=made + timedelta(hours=1))),
        within_day=Count(
            "id",
            filter=Q(
                decided_at__gte=made + timedelta(hours=1), decided_at__lt=made + timedelta(days=1)
            ),
        ),
        within_week=Count(
            "id",
            filter=Q(
                decided_at__gte=made + timedelta(days=1), decided_at__lt=made + timedelta(days=7)
            ),
        ),
        older=Count("id", filter=Q(decided_at__gte=made + timedelta(days=7))),
    )
    overall = [Rates() for _ in week_starts]
    totals = Rates()
    for row in by_field_rows:
        if (n := index.get(row["week"].date())) is not None:
            overall[n].add(row)
            totals.add(row)
    presets = {r.lower() for r in _rejection_presets()}
    return Insights(
        scope=scope,
        weeks=weeks,
        week_starts=week_starts,
        overall=overall,
        totals=totals,
        by_field=_series(
            by_field_rows, "field", {k: f.label for k, f in FIELDS_BY_KEY.items()}, index
        ),
        by_agent=_series(by_agent_rows, "agent", {}, index),
        reasons=[
            Reason(
                text=(r["text"] or "").strip() or NO_REASON,
                count=r["count"],
                preset=r["key"] in presets,
            )
            for r in reasons
        ],
        rejected=totals.rejected,
        staleness=Staleness(**stale),
    )


def _rejection_presets() -> tuple[str, ...]:
    from crm_artifacts.services.decisions import REJECTION_REASONS

    return REJECTION_REASONS
