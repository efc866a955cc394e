"""Follow-up tasks that accepted proposals start, and the RM ticking them off.

A workflow's follow-up is written by the decision that accepts the proposal,
in the decision's transaction and under its locks, so the two commit or roll
back together: a follow-up can be neither lost nor written twice (the unique
constraint on tenant, artifact and workflow). `follow_up_ensure` is the retry
for a decided proposal still without one (decided before follow-ups were
written with the decision); it takes the decisions' locks in their order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from config.errors import Conflict, NotAllowed, NotFound
from crm_artifacts.models import Customer, FollowUp, ProfileEditStatus, Proposal
from crm_artifacts.services.access import parse_id
from crm_artifacts.services.errors import (
    FOLLOW_UP_CLOSED,
    FOLLOW_UP_NOT_FOUND,
    FOLLOW_UP_NOT_YOURS,
    NOT_ATTACHED_RM,
)
from crm_artifacts.workflows import WORKFLOWS
from tenancy.models import User

APPLIED = (ProfileEditStatus.ACCEPTED, ProfileEditStatus.EDITED)


def follow_ups_planned(*, customer: Customer, artifacts: Iterable[Proposal]) -> list[FollowUp]:
    """The follow-up tasks accepting `artifacts` creates, unsaved: the one rule for
    which accept creates which task. The decision writes them (`follow_ups_record`)
    and the review screens announce them before the click, from this same list."""
    return [
        FollowUp(
            tenant_id=artifact.tenant_id,
            customer_id=customer.pk,
            rm_id=customer.rm_id,
            artifact_id=artifact.pk,
            workflow=artifact.workflow_trigger,
            title=spec.title_for(artifact, customer)[:300],
            due_on=spec.due_on(),
        )
        for artifact in artifacts
        if artifact.workflow_trigger
        and (workflow := WORKFLOWS.get(artifact.workflow_trigger))
        and (spec := workflow.follow_up)
    ]


def follow_ups_record(*, customer: Customer, artifacts: Iterable[Proposal]) -> int:
    """Write the follow-ups of `customer`'s just-accepted artifacts; return how many.

    Call it inside the decision's transaction, after locking the customer and
    then the artifacts: the foreign-key checks at commit then only touch rows
    this transaction already holds, and wait for nobody.
    """
    rows = follow_ups_planned(customer=customer, artifacts=artifacts)
    # ON CONFLICT DO NOTHING on the unique (tenant, artifact, workflow): once.
    return len(FollowUp.objects.bulk_create(rows, ignore_conflicts=True)) if rows else 0


def follow_ups_missing(*, tenant_id: int) -> QuerySet[Proposal]:
    """Applied proposals whose workflow writes a follow-up that is not there."""
    with_follow_up = [name for name, w in WORKFLOWS.items() if w.follow_up is not None]
    return (
        Proposal.objects.filter(
            tenant_id=tenant_id,
            status__in=APPLIED,
            workflow_trigger__in=with_follow_up,
            customer__isnull=False,
        )
        .exclude(
            Exists(
                FollowUp.objects.filter(
                    tenant_id=tenant_id,
                    artifact_id=OuterRef("pk"),
                    workflow=OuterRef("workflow_trigger"),
                )
            )
        )
        .order_by("id")
    )


@transaction.atomic
def follow_up_ensure(*, artifact_id: int, tenant_id: int) -> bool:
    """Write a decided proposal's missing follow-up; True if this call wrote it.

    Idempotent, and cheap when the follow-up exists (one read, no lock). When
    it is missing, the customer and then the artifact are locked, the order
    every decision takes, so this cannot deadlock with one.
    """
    missing = follow_ups_missing(tenant_id=tenant_id).filter(pk=artifact_id)
    customer_id = missing.values_list("customer_id", flat=True).first()
    if customer_id is None:
        return False
    customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
    artifact = (
        missing.select_for_update(no_key=True, of=("self",)).filter(customer_id=customer_id).first()
    )
    if customer is None or artifact is None:  # deleted, or written, meanwhile
        return False
    return follow_ups_record(customer=customer, artifacts=[artifact]) == 1


@transaction.atomic
def follow_up_record(*, artifact: Proposal, workflow: str, title: str, due_on: dt.date) -> FollowUp:
    """Record a follow-up with a title of one's own, once (a second call finds it)."""
    follow_up, _ = FollowUp.objects.get_or_create(
        tenant_id=artifact.tenant_id,
        artifact=artifact,
        workflow=workflow,
        defaults={
            "customer_id": artifact.customer_id,
            "rm_id": artifact.customer.rm_id if artifact.customer else artifact.rm_id,
            "title": title[:300],
            "due_on": due_on,
        },
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user: User) -> FollowUp:
    """Tick a follow-up off: its RM, or a tenant admin on their behalf."""
    if follow_up.tenant_id != user.tenant_id:
        raise PermissionDenied(FOLLOW_UP_NOT_YOURS)
    if follow_up.rm_id != user.pk and not user.is_staff:
        raise PermissionDenied(FOLLOW_UP_NOT_YOURS)
    FollowUp.objects.filter(pk=follow_up.pk).update(done=True)
    follow_up.done = True
    return follow_up


class FollowUpOutcome:
    DONE = "done"
    DISMISS = "dismiss"
    ALL = (DONE, DISMISS)


def follow_up_close(*, user: User, follow_up_id: object, outcome: str) -> FollowUp:
    """The RM marks an open follow-up done, or dismisses it, once.

    Only the customer's RM (403 for others in the tenant, 404 across). One
    conditional UPDATE (`WHERE` still open): of two clicks racing, one closes
    it and the other is told it was already closed (409), whatever it asked.
    """
    if outcome not in FollowUpOutcome.ALL:
        raise NotFound(FOLLOW_UP_NOT_FOUND)  # the URL names the outcome
    pk = parse_id(follow_up_id)
    follow_up = (
        FollowUp.objects.filter(tenant_id=user.tenant_id, pk=pk).select_related("customer").first()
        if pk is not None
        else None
    )
    if follow_up is None:
        raise NotFound(FOLLOW_UP_NOT_FOUND)
    if follow_up.customer.rm_id != user.pk:
        raise NotAllowed(NOT_ATTACHED_RM)
    change = {"done": True} if outcome == FollowUpOutcome.DONE else {"dismissed": True}
    closed = FollowUp.objects.filter(pk=follow_up.pk, done=False, dismissed=False).update(**change)
    if closed != 1:
        current = FollowUp.objects.get(pk=follow_up.pk)
        raise Conflict(FOLLOW_UP_CLOSED.format(state="done" if current.done else "dismissed"))
    for name, value in change.items():
        setattr(follow_up, name, value)
    return follow_up
