"""Reads for the CRM pages and the dashboard, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.urls import reverse

from crm_artifacts.models import Artifact, Customer, FollowUp, ProfileEditStatus
from tenancy.models import User

HISTORY_LIMIT = 100
PENDING_LIMIT = 500

PENDING = Q(artifacts__status=ProfileEditStatus.PENDING)


@dataclass
class Batch:
    batch_id: str
    artifacts: list[Artifact] = field(default_factory=list)

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


def _batches(artifacts: list[Artifact]) -> list[Batch]:
    """Group artifacts by batch: proposals in the order made, newest batch first."""
    batches: dict[str, Batch] = {}
    for artifact in sorted(artifacts, key=lambda a: a.pk):
        batches.setdefault(artifact.batch_id, Batch(artifact.batch_id)).artifacts.append(artifact)
    return sorted(batches.values(), key=lambda b: b.artifacts[0].pk, reverse=True)


def customers_of(user: User) -> QuerySet[Customer]:
    """The RM's customers by name, with their pending proposal counts (one query)."""
    return (
        Customer.objects.of_rm(user)
        .annotate(pending_count=Count("artifacts", filter=PENDING))
        .order_by(KT("profile__fullName"), "pk")
    )


@dataclass
class Overview:
    pending_batches: list[Batch]
    history: list[Artifact]
    history_truncated: bool
    follow_ups: list[FollowUp]


def customer_overview(customer: Customer) -> Overview:
    """Batches with something pending first (whole, so decided rows keep their place),
    then the other decisions newest first, then follow-ups: three queries."""
    mine = Artifact.objects.filter(tenant_id=customer.tenant_id, customer=customer)
    pending_batch_ids = mine.filter(status=ProfileEditStatus.PENDING).values("batch_id")
    open_artifacts = list(
        mine.filter(batch_id__in=pending_batch_ids).select_related("decided_by")[:PENDING_LIMIT]
    )
    history = list(
        mine.exclude(batch_id__in=pending_batch_ids)
        .select_related("decided_by")
        .order_by("-created_at", "-id")[: HISTORY_LIMIT + 1]
    )
    follow_ups = list(
        FollowUp.objects.filter(
            tenant_id=customer.tenant_id, customer=customer, done=False
        ).order_by("due_on", "id")
    )
    return Overview(
        pending_batches=_batches(open_artifacts),
        history=history[:HISTORY_LIMIT],
        history_truncated=len(history) > HISTORY_LIMIT,
        follow_ups=follow_ups,
    )


@dataclass
class CustomerProposals:
    customer: Customer
    pending_count: int
    batches: list[Batch]


def pending_proposals(user: User) -> list[CustomerProposals]:
    """The RM's pending proposals grouped by customer, with counts (two queries)."""
    customers = list(customers_of(user).filter(pending_count__gt=0))
    artifacts = list(
        Artifact.objects.for_rm(user).pending().order_by("customer_id", "id")[:PENDING_LIMIT]
    )
    by_customer: dict[int, list[Artifact]] = {}
    for artifact in artifacts:
        by_customer.setdefault(artifact.customer_id, []).append(artifact)
    return [
        CustomerProposals(c, c.pending_count, _batches(by_customer.get(c.pk, [])))
        for c in customers
    ]


def dashboard_card(user: User) -> dict:
    counts = (
        Artifact.objects.for_rm(user)
        .pending()
        .aggregate(pending=Count("id"), customers=Count("customer", distinct=True))
    )
    customers = counts["customers"]
    return {
        "title": "CRM proposals",
        "value": counts["pending"],
        "detail": f"pending across {customers} customer{'s' if customers != 1 else ''}",
        "url": reverse("crm:proposals"),
    }
