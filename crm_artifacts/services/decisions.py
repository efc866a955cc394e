"""Deciding proposals: accept, accept with edits, reject; one by one or by batch.

Rules (the source's constraints, and what it left out):

- Only the customer's RM decides (403 for others in the tenant, 404 across).
- A profile edit moves from pending to accepted, rejected or edited, once.
  The status UPDATE is conditional (`WHERE status = 'pending'`) and runs
  under row locks, so two decisions racing on one proposal end with exactly
  one, and the loser is told the proposal was already decided.
- Accepting writes the value into the customer's profile in the same
  transaction. If the profile no longer holds the value the proposal saw
  (`previous_value`), the accept is refused as stale, with both values,
  unless the RM confirms (`confirm_stale=True`).
- The payload never changes, except `edited_value` on an edited accept.
- One lock order on every path (single decisions, batches, follow-ups and
  the tasks that repair them): the customer, then its artifacts by id, then
  the follow-ups are written. Both locks are FOR NO KEY UPDATE, the lock the
  UPDATEs themselves take (no key changes): it still serialises decisions,
  but lets through the FOR KEY SHARE locks that another transaction's
  foreign-key checks take on these rows (a new proposal or follow-up
  referencing them), so a check can never wait on a decision in the
  opposite order and deadlock with it.
- An accepted proposal's follow-up is written in the decision's transaction
  (never after the commit, where a failure lost it and its foreign-key
  checks locked the rows in the reverse order); its workflow is enqueued
  after the commit for whatever work is left.
- The loser of a race is told the proposal was already decided, and how
  (`AlreadyDecided.artifact`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from crm_artifacts.fields import get_field
from crm_artifacts.models import Artifact, Customer, ProfileEditStatus
from crm_artifacts.services.access import ensure_rm_of_artifact, ensure_rm_of_customer
from crm_artifacts.services.errors import (
    ARTIFACT_NOT_FOUND,
    BATCH_NOT_FOUND,
    EDITED_VALUE_ONLY_WHEN_EDITING,
    EDITED_VALUE_REQUIRED,
    INVALID_DECISION,
    NO_CUSTOMER,
    NOT_ATTACHED_RM,
    AlreadyDecided,
    Conflict,
    NotFound,
    StaleBatch,
    StaleProposal,
    StaleValues,
)
from crm_artifacts.services.follow_ups import follow_ups_record
from tenancy.models import User

UNSET: Any = object()


def _enqueue_workflows(tenant_id: int, artifacts: list[Artifact]) -> None:
    """Start the accepted artifacts' workflows once the decision has committed."""
    from crm_artifacts.tasks import run_workflows

    ids = [a.pk for a in artifacts if a.workflow_trigger]
    if not ids:
        return

    def enqueue_workflows() -> None:
        run_workflows.enqueue(tenant_id=tenant_id, artifact_ids=ids)

    # robust: the decision (and its follow-up) stands even if the queue is
    # unreachable; it is logged. A named function, not a functools.partial:
    # Django 5.2 logs a robust callback's failure by its __qualname__, which a
    # partial lacks, so the logging itself raised and the request answered 500.
    transaction.on_commit(enqueue_workflows, robust=True)


def stale_values(artifact: Artifact, profile: dict[str, Any], target: Any) -> StaleValues | None:
    """Both values when the profile moved on since the proposal was made, else None.

    A profile that already holds the value being applied is not stale: there
    is nothing of someone else's to overwrite.
    """
    key = artifact.payload["field_key"]
    current, previous = profile.get(key), artifact.payload.get("previous_value")
    if current in (previous, target):
        return None
    return StaleValues(
        artifact_id=artifact.pk,
        field_label=artifact.field_label,
        current=current,
        current_display=artifact.display_value(current),
        previous=previous,
        previous_display=artifact.previous_display,
        proposed_display=artifact.display_value(target),
    )


def _lock(*, artifact: Artifact, user: User) -> tuple[Customer, Artifact]:
    """Check the user may decide, then lock the customer and the artifact (in that order)."""
    current = (
        Artifact.objects.select_related("customer")
        .filter(tenant_id=user.tenant_id, pk=artifact.pk)
        .first()
    )
    if current is None:
        raise NotFound(ARTIFACT_NOT_FOUND)
    ensure_rm_of_artifact(user=user, artifact=current)
    if current.customer_id is None:
        raise Conflict(NO_CUSTOMER)
    customer = _lock_customers([current.customer_id]).get(current.customer_id)
    if customer is None:  # deleted since the read
        raise Conflict(NO_CUSTOMER)
    ensure_rm_of_customer(user=user, customer=customer)  # reassigned meanwhile?
    locked = Artifact.objects.select_for_update(no_key=True).get(pk=current.pk)
    if not locked.is_pending:
        raise AlreadyDecided(locked)
    return customer, locked


def _lock_customers(customer_ids: list[int]) -> dict[int, Customer]:
    """Lock customers first, by id: the start of the one lock order (module docstring)."""
    return {
        c.pk: c
        for c in Customer.objects.select_for_update(no_key=True)
        .filter(pk__in=customer_ids)
        .order_by("pk")
    }


def _lock_pending(*, user: User, batch_id: str) -> list[Artifact]:
    """Lock a batch's pending artifacts by id, after their customer (module docstring)."""
    return list(
        Artifact.objects.select_for_update(no_key=True)
        .filter(tenant_id=user.tenant_id, batch_id=batch_id, status=ProfileEditStatus.PENDING)
        .order_by("id")
    )


def _decide(
    *,
    artifact: Artifact,
    user: User,
    status: str,
    edited_value: Any = UNSET,
    confirm_stale: bool = False,
) -> Artifact:
    customer, locked = _lock(artifact=artifact, user=user)
    payload = dict(locked.payload)
    if status == ProfileEditStatus.EDITED:
        payload["edited_value"] = edited_value
    applies = status != ProfileEditStatus.REJECTED
    target = edited_value if status == ProfileEditStatus.EDITED else payload["proposed_value"]
    if applies and not confirm_stale:
        stale = stale_values(locked, customer.profile, target)
        if stale is not None:
            raise StaleProposal(stale)

    now = timezone.now()
    updated = Artifact.objects.filter(pk=locked.pk, status=ProfileEditStatus.PENDING).update(
        status=status, decided_by=user, decided_at=now, payload=payload
    )
    if updated != 1:  # cannot happen under the row lock; never decide twice regardless
        raise AlreadyDecided(Artifact.objects.get(pk=locked.pk))
    locked.status, locked.payload = status, payload
    locked.decided_by, locked.decided_at = user, now
    if applies:
        profile = {**customer.profile, payload["field_key"]: target}
        Customer.objects.filter(pk=customer.pk).update(profile=profile, updated_at=now)
        customer.profile = profile
        follow_ups_record(customer=customer, artifacts=[locked])

    artifact.status, artifact.payload = status, payload
    artifact.decided_by, artifact.decided_at = user, now
    if applies:
        _enqueue_workflows(locked.tenant_id, [locked])
    return artifact


@transaction.atomic
def artifact_accept(*, artifact: Artifact, user: User, confirm_stale: bool = False) -> Artifact:
    return _decide(
        artifact=artifact, user=user, status=ProfileEditStatus.ACCEPTED, confirm_stale=confirm_stale
    )


@transaction.atomic
def artifact_reject(*, artifact: Artifact, user: User) -> Artifact:
    return _decide(artifact=artifact, user=user, status=ProfileEditStatus.REJECTED)


@transaction.atomic
def artifact_accept_with_edits(
    *, artifact: Artifact, user: User, edited_value: Any, confirm_stale: bool = False
) -> Artifact:
    """Accept with the RM's own value (status "edited"); the proposal stays on record."""
    field = get_field(artifact.payload.get("field_key"))
    if edited_value is UNSET or edited_value is None or edited_value == "":
        raise ValidationError({"edited_value": EDITED_VALUE_REQUIRED})
    try:
        value = field.clean(edited_value)
    except ValidationError as error:
        raise ValidationError({"edited_value": error.messages}) from None
    return _decide(
        artifact=artifact,
        user=user,
        status=ProfileEditStatus.EDITED,
        edited_value=value,
        confirm_stale=confirm_stale,
    )


def artifact_update_status(
    *,
    artifact: Artifact,
    user: User,
    status: Any,
    edited_value: Any = UNSET,
    confirm_stale: bool = False,
) -> Artifact:
    """The source's updateStatus, with the rules: only a decision, and only once."""
    if not isinstance(status, str) or status not in ProfileEditStatus.DECISIONS:
        raise ValidationError({"status": INVALID_DECISION})
    if status != ProfileEditStatus.EDITED and edited_value is not UNSET:
        raise ValidationError({"edited_value": EDITED_VALUE_ONLY_WHEN_EDITING})
    if status == ProfileEditStatus.ACCEPTED:
        return artifact_accept(artifact=artifact, user=user, confirm_stale=confirm_stale)
    if status == ProfileEditStatus.REJECTED:
        return artifact_reject(artifact=artifact, user=user)
    return artifact_accept_with_edits(
        artifact=artifact, user=user, edited_value=edited_value, confirm_stale=confirm_stale
    )


def _batch_customers(*, user: User, batch_id: str) -> list[int]:
    """The batch's customer ids after checking the user is their RM (one query)."""
    rows = list(
        Artifact.objects.filter(tenant_id=user.tenant_id, batch_id=batch_id)
        .values_list("customer_id", "customer__rm_id")
        .distinct()
    )
    if not rows:
        raise NotFound(BATCH_NOT_FOUND)
    for customer_id, customer_rm_id in rows:
        if customer_id is None:
            raise Conflict(NO_CUSTOMER)
        if customer_rm_id != user.pk:
            raise PermissionDenied(NOT_ATTACHED_RM)
    return sorted({customer_id for customer_id, _ in rows})


@transaction.atomic
def batch_accept(*, batch_id: str, user: User, confirm_stale: bool = False) -> int:
    """Accept the batch's pending proposals; return how many. Decided ones are left alone.

    A fixed number of statements whatever the batch size: read, lock the
    customer, lock the pending rows, one UPDATE for the statuses and one for
    the profile. A stale proposal refuses the whole batch (nothing changes)
    unless confirmed, with every stale value in the error.
    """
    customers = _lock_customers(_batch_customers(user=user, batch_id=batch_id))
    pending = _lock_pending(user=user, batch_id=batch_id)
    if not pending:
        return 0
    if not confirm_stale:
        stale = [
            s
            for a in pending
            if (s := stale_values(a, customers[a.customer_id].profile, a.payload["proposed_value"]))
        ]
        if stale:
            raise StaleBatch(stale)

    now = timezone.now()
    count = Artifact.objects.filter(
        pk__in=[a.pk for a in pending], status=ProfileEditStatus.PENDING
    ).update(status=ProfileEditStatus.ACCEPTED, decided_by=user, decided_at=now)
    # A batch has one customer (artifact_create_batch sees to it): one profile write.
    for customer_id, customer in customers.items():
        changes = {
            a.payload["field_key"]: a.payload["proposed_value"]
            for a in pending
            if a.customer_id == customer_id
        }
        if changes:
            Customer.objects.filter(pk=customer_id).update(
                profile={**customer.profile, **changes}, updated_at=now
            )
        follow_ups_record(
            customer=customer, artifacts=[a for a in pending if a.customer_id == customer_id]
        )
    _enqueue_workflows(user.tenant_id, pending)
    return count


@transaction.atomic
def batch_reject(*, batch_id: str, user: User) -> int:
    """Reject the batch's pending proposals in one UPDATE; return how many.

    Locks like every decision (customer, then the artifacts by id) before the
    UPDATE: an UPDATE alone locks its rows in whatever order it meets them,
    and skipping the customer would let it cross a single decision's locks.
    """
    _lock_customers(_batch_customers(user=user, batch_id=batch_id))
    pending = _lock_pending(user=user, batch_id=batch_id)
    if not pending:
        return 0
    return Artifact.objects.filter(
        pk__in=[a.pk for a in pending], status=ProfileEditStatus.PENDING
    ).update(status=ProfileEditStatus.REJECTED, decided_by=user, decided_at=timezone.now())
