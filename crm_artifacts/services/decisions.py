"""Deciding proposals: one path for accept, edit, reject and revert, one for batches.

`proposal_decide` and `proposal_decide_batch` are the only code that decides;
the pages, the batch buttons, the JSON API, the admin's actions, the demo and
any future caller (an agent's token API) call them with ids, never with an
object read elsewhere. Each, once: looks the proposal up, checks the
relationship manager, locks, updates, records where the profile change came
from (crm_artifacts.history) and enqueues the workflows after the commit.

Rules (the source's constraints, and what it left out):

- Only the customer's RM decides (403 for others in the tenant, 404 across).
- A profile edit moves from pending to accepted, rejected or edited, once.
  The status UPDATE is conditional (`WHERE status = 'pending'`) and runs
  under row locks, so two decisions racing on one proposal end with exactly
  one, and the loser is told the proposal was already decided, and how.
- Accepting writes the value into the customer's profile in the same
  transaction. If the profile no longer holds the value the proposal saw
  (`previous_value`), the accept is refused as stale, with both values,
  unless the RM confirms (`confirm_stale=True`).
- Reverting an accepted or edited proposal writes its `previous_value` back,
  once, and only while the field still holds the value the decision wrote;
  otherwise it is refused with the field's current value. The revert is a new
  change in the profile's history; the decision stays on record.
- Every decision records whether the proposal was stale when decided
  (`stale_at_decision`, for the insights page), accepted anyway or rejected.
- The payload never changes, except `edited_value` on an edited accept.
- One lock order on every path (single decisions, batches, reverts,
  follow-ups and the tasks that repair them): the customer, then its
  proposals by id, then the follow-ups are written. Both locks are FOR NO KEY
  UPDATE, the lock the UPDATEs themselves take: it serialises decisions but
  lets through the FOR KEY SHARE locks of other transactions' foreign-key
  checks on these rows, so such a check cannot deadlock with a decision.
- An accepted proposal's follow-up is written in the decision's transaction;
  its workflow is enqueued after the commit for whatever work is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Subquery, When
from django.utils import timezone

from config.errors import Conflict, InvalidInput, NotAllowed, NotFound
from crm_artifacts.fields import get_field
from crm_artifacts.history import Source, record_source
from crm_artifacts.models import Customer, ProfileEditStatus, Proposal
from crm_artifacts.services.access import parse_id
from crm_artifacts.services.errors import (
    ALREADY_REVERTED,
    ARTIFACT_NOT_FOUND,
    BATCH_NOT_FOUND,
    EDITED_VALUE_ONLY_WHEN_EDITING,
    EDITED_VALUE_REQUIRED,
    INVALID_DECISION,
    INVALID_REASON,
    NO_CUSTOMER,
    NOT_ATTACHED_RM,
    NOT_REVERTIBLE,
    NOTHING_TO_UNDO,
    REASON_ONLY_WHEN_REJECTING,
    REASON_TOO_LONG,
    REVERT_CHANGED_SINCE,
    UNDO_NOT_THIS_DECISION,
    AlreadyDecided,
    StaleBatch,
    StaleProposal,
    StaleValues,
)
from crm_artifacts.services.follow_ups import follow_ups_record
from tenancy.models import User
from tenancy.text import is_storable

UNSET: Any = object()
REASON_MAX_LENGTH = 500
# Offered on the page (a datalist: pick one or type your own); any text is stored.
REJECTION_REASONS = (
    "Not what the customer said",
    "Already changed elsewhere",
    "Needs confirming with the customer first",
    "Wrong field or wrong customer",
)


class Decision:
    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
    REVERT = "revert"
    ALL = (ACCEPT, EDIT, REJECT, REVERT)
    BATCH = (ACCEPT, REJECT)


# The API's statuses, as decisions (the source's updateStatus).
STATUS_DECISIONS = {
    ProfileEditStatus.ACCEPTED: Decision.ACCEPT,
    ProfileEditStatus.EDITED: Decision.EDIT,
    ProfileEditStatus.REJECTED: Decision.REJECT,
}
APPLIED = (ProfileEditStatus.ACCEPTED, ProfileEditStatus.EDITED)


def _enqueue_workflows(tenant_id: int, proposals: Iterable[Proposal]) -> None:
    """Start the accepted proposals' workflows once the decision has committed."""
    from crm_artifacts.tasks import run_workflows

    ids = [p.pk for p in proposals if p.workflow_trigger]
    if not ids:
        return

    def enqueue_workflows() -> None:
        run_workflows.enqueue(tenant_id=tenant_id, artifact_ids=ids)

    # robust: the decision (and its follow-up) stands even if the queue is
    # unreachable; it is logged. A named function, not a functools.partial:
    # Django 5.2 logs a robust callback's failure by its __qualname__, which a
    # partial lacks, so the logging itself raised and the request answered 500.
    transaction.on_commit(enqueue_workflows, robust=True)


def stale_values(proposal: Proposal, profile: dict[str, Any], target: Any) -> StaleValues | None:
    """Both values when the profile moved on since the proposal was made, else None.

    A profile that already holds the value being applied is not stale: there
    is nothing of someone else's to overwrite.
    """
    key = proposal.payload["field_key"]
    current, previous = profile.get(key), proposal.payload.get("previous_value")
    if current in (previous, target):
        return None
    return StaleValues(
        artifact_id=proposal.pk,
        field_label=proposal.field_label,
        current=current,
        current_display=proposal.display_value(current),
        previous=previous,
        previous_display=proposal.previous_display,
        proposed_display=proposal.display_value(target),
    )


def clean_reason(reason: Any, decision: str) -> str:
    """A rejection's reason, trimmed ("" for none); refused with any other decision."""
    if reason is None or reason == "":
        return ""
    if not isinstance(reason, str) or not is_storable(reason):
        raise ValidationError({"reason": INVALID_REASON})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": REASON_TOO_LONG.format(max_length=REASON_MAX_LENGTH)})
    if decision != Decision.REJECT:
        raise ValidationError({"reason": REASON_ONLY_WHEN_REJECTING})
    return reason.strip()


def _check_rm(*, user: User, rm_id: int | None) -> None:
    if rm_id != user.pk:
        raise NotAllowed(NOT_ATTACHED_RM)


def _lock_customers(customer_ids: Iterable[int]) -> dict[int, Customer]:
    """Lock customers first, by id: the start of the one lock order (module docstring)."""
    return {
        c.pk: c
        for c in Customer.objects.select_for_update(no_key=True)
        .filter(pk__in=list(customer_ids))
        .order_by("pk")
    }


def _lock_one(*, user: User, proposal_id: object) -> tuple[Customer, Proposal]:
    """The proposal and its customer, locked in the one order, the RM checked once.

    Two statements: lock the customer found through the proposal (a sub-select,
    so the customer is locked before the proposal), then lock the proposal.
    """
    pk = parse_id(proposal_id)
    if pk is None:
        raise NotFound(ARTIFACT_NOT_FOUND)
    mine = Proposal.objects.filter(tenant_id=user.tenant_id, pk=pk)
    customer = (
        Customer.objects.select_for_update(no_key=True)
        .filter(tenant_id=user.tenant_id, pk=Subquery(mine.values("customer_id")[:1]))
        .first()
    )
    proposal = mine.select_for_update(no_key=True).first()
    if proposal is None:
        raise NotFound(ARTIFACT_NOT_FOUND)
    if customer is None or proposal.customer_id != customer.pk:
        # No customer left: the RM recorded on the proposal may still read it.
        _check_rm(user=user, rm_id=proposal.rm_id)
        raise Conflict(NO_CUSTOMER)
    _check_rm(user=user, rm_id=customer.rm_id)
    proposal.customer = customer
    return customer, proposal


def _write_profile(customer: Customer, changes: dict[str, Any], now, *, remove=()) -> None:
    profile = {**customer.profile, **changes}
    for key in remove:
        profile.pop(key, None)
    Customer.objects.filter(pk=customer.pk).update(profile=profile, updated_at=now)
    customer.profile, customer.updated_at = profile, now


def _clean_edited_value(proposal: Proposal, edited_value: Any) -> Any:
    if edited_value is UNSET or edited_value is None or edited_value == "":
        raise ValidationError({"edited_value": EDITED_VALUE_REQUIRED})
    try:
        return get_field(proposal.payload.get("field_key")).clean(edited_value)
    except ValidationError as error:
        raise ValidationError({"edited_value": error.messages}) from None


def _revert(*, user: User, customer: Customer, proposal: Proposal, now) -> Proposal:
    if proposal.status not in APPLIED:
        raise Conflict(NOT_REVERTIBLE.format(status=proposal.status))
    if proposal.is_reverted:
        raise AlreadyDecided(proposal, ALREADY_REVERTED)
    key = proposal.payload["field_key"]
    current, written = customer.profile.get(key), proposal.applied_value
    if current != written:
        raise Conflict(
            REVERT_CHANGED_SINCE.format(
                field=proposal.field_label,
                current=proposal.display_value(current) or "(empty)",
                written=proposal.display_value(written) or "(empty)",
            )
        )
    Proposal.objects.filter(pk=proposal.pk, reverted_at__isnull=True).update(
        reverted_by=user, reverted_at=now
    )
    proposal.reverted_by, proposal.reverted_at = user, now
    previous = proposal.payload.get("previous_value")
    record_source(source=Source.REVERT, user=user, proposal=proposal.pk, batch=proposal.batch_id)
    if previous is None:
        _write_profile(customer, {}, now, remove=[key])
    else:
        _write_profile(customer, {key: previous}, now)
    return proposal


@transaction.atomic
def proposal_decide(
    *,
    user: User,
    proposal_id: object,
    decision: str,
    edited_value: Any = UNSET,
    confirm_stale: bool = False,
    reason: Any = "",
) -> Proposal:
    """Accept, edit (accept with the RM's value), reject or revert one proposal.

    Returns the proposal as decided, its `customer` the locked customer with
    the profile as written. Refusals: NotFound, NotAllowed, AlreadyDecided,
    StaleProposal, Conflict (no customer, not revertible, changed since) and
    ValidationError (bad decision, edited value or reason).
    """
    if decision not in Decision.ALL:
        raise ValidationError({"status": INVALID_DECISION})
    if decision != Decision.EDIT and edited_value is not UNSET:
        raise ValidationError({"edited_value": EDITED_VALUE_ONLY_WHEN_EDITING})
    reason = clean_reason(reason, decision)
    customer, proposal = _lock_one(user=user, proposal_id=proposal_id)
    now = timezone.now()
    if decision == Decision.REVERT:
        return _revert(user=user, customer=customer, proposal=proposal, now=now)

    if not proposal.is_pending:
        raise AlreadyDecided(proposal)
    payload = dict(proposal.payload)
    target = payload["proposed_value"]
    if decision == Decision.EDIT:
        target = payload["edited_value"] = _clean_edited_value(proposal, edited_value)
    applies = decision != Decision.REJECT
    # Recorded for the insights page whatever the decision: was it stale when decided?
    stale = stale_values(proposal, customer.profile, target)
    if applies and not confirm_stale and stale is not None:
        raise StaleProposal(stale)

    status = {
        Decision.ACCEPT: ProfileEditStatus.ACCEPTED,
        Decision.EDIT: ProfileEditStatus.EDITED,
        Decision.REJECT: ProfileEditStatus.REJECTED,
    }[decision]
    updated = Proposal.objects.filter(pk=proposal.pk, status=ProfileEditStatus.PENDING).update(
        status=status,
        decided_by=user,
        decided_at=now,
        payload=payload,
        rejection_reason=reason,
        stale_at_decision=stale is not None,
    )
    if updated != 1:  # cannot happen under the row lock; never decide twice regardless
        raise AlreadyDecided(Proposal.objects.get(pk=proposal.pk))
    proposal.status, proposal.payload, proposal.rejection_reason = status, payload, reason
    proposal.decided_by, proposal.decided_at = user, now
    proposal.stale_at_decision = stale is not None
    if applies:
        record_source(
            source=Source.PROPOSAL, user=user, proposal=proposal.pk, batch=proposal.batch_id
        )
        _write_profile(customer, {payload["field_key"]: target}, now)
        follow_ups_record(customer=customer, artifacts=[proposal])
        _enqueue_workflows(proposal.tenant_id, [proposal])
    return proposal


@dataclass
class BatchOutcome:
    """What a batch decision did: the proposals it decided (pending ones only)."""

    decision: str
    customer: Customer | None
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.proposals)


def _batch_customer_ids(*, user: User, batch_id: str) -> list[int]:
    """The batch's customer ids after checking the user is their RM (one query)."""
    rows = list(
        Proposal.objects.filter(tenant_id=user.tenant_id, batch_id=batch_id)
        .values_list("customer_id", "customer__rm_id", "rm_id")
        .distinct()
    )
    if not rows:
        raise NotFound(BATCH_NOT_FOUND)
    for customer_id, customer_rm_id, rm_id in rows:
        _check_rm(user=user, rm_id=customer_rm_id if customer_id else rm_id)
        if customer_id is None:
            raise Conflict(NO_CUSTOMER)
    return sorted({customer_id for customer_id, _, _ in rows})


@transaction.atomic
def proposal_decide_batch(
    *,
    user: User,
    batch_id: str,
    decision: str,
    proposal_ids: Iterable[object] | None = None,
    confirm_stale: bool = False,
    reason: Any = "",
) -> BatchOutcome:
    """Accept or reject a batch's pending proposals (or only `proposal_ids` of them).

    A fixed number of statements whatever the size: read the batch's
    customers (checking the RM), lock them, lock the pending rows, one UPDATE
    for the statuses and, for an accept, one for the profile. Decided
    proposals are left alone (an empty outcome says someone was first). A
    stale proposal refuses the whole accept (nothing changes) unless
    confirmed, with every stale value in the error.
    """
    if decision not in Decision.BATCH:
        raise ValidationError({"status": INVALID_DECISION})
    reason = clean_reason(reason, decision)
    customers = _lock_customers(_batch_customer_ids(user=user, batch_id=batch_id))
    pending_qs = Proposal.objects.select_for_update(no_key=True).filter(
        tenant_id=user.tenant_id, batch_id=batch_id, status=ProfileEditStatus.PENDING
    )
    if proposal_ids is not None:
        pending_qs = pending_qs.filter(pk__in=[pk for p in proposal_ids if (pk := parse_id(p))])
    pending = list(pending_qs.order_by("id"))
    customer = next(iter(customers.values()), None)  # a batch has one customer
    outcome = BatchOutcome(decision=decision, customer=customer, proposals=pending)
    if not pending:
        return outcome
    for proposal in pending:
        proposal.customer = customers[proposal.customer_id]
    accepting = decision == Decision.ACCEPT
    # Each one's staleness, refused for an accept, recorded whatever the decision.
    stale = [
        s
        for p in pending
        if (s := stale_values(p, p.customer.profile, p.payload["proposed_value"]))
    ]
    if accepting and not confirm_stale and stale:
        raise StaleBatch(stale)
    stale_ids = {s.artifact_id for s in stale}

    now = timezone.now()
    status = ProfileEditStatus.ACCEPTED if accepting else ProfileEditStatus.REJECTED
    Proposal.objects.filter(
        pk__in=[p.pk for p in pending], status=ProfileEditStatus.PENDING
    ).update(
        status=status,
        decided_by=user,
        decided_at=now,
        rejection_reason=reason,
        # One statement for the batch: each row's own flag.
        stale_at_decision=Case(When(pk__in=sorted(stale_ids), then=True), default=False),
    )
    for proposal in pending:
        proposal.status, proposal.decided_by, proposal.decided_at = status, user, now
        proposal.rejection_reason = reason
        proposal.stale_at_decision = proposal.pk in stale_ids
    if accepting:
        record_source(source=Source.PROPOSAL, user=user, batch=batch_id)
        for customer_id, locked in customers.items():
            mine = [p for p in pending if p.customer_id == customer_id]
            if mine:
                changes = {p.payload["field_key"]: p.payload["proposed_value"] for p in mine}
                _write_profile(locked, changes, now)
                follow_ups_record(customer=locked, artifacts=mine)
        _enqueue_workflows(user.tenant_id, pending)
    return outcome


@dataclass
class UndoOutcome:
    """What undoing a batch accept did: the proposals reverted, and each refusal
    (the proposal and why: its field changed since, or it was reverted already)."""

    customer: Customer | None
    reverted: list[Proposal] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def proposal_undo_batch(
    *, user: User, batch_id: str, proposal_ids: Iterable[object]
) -> UndoOutcome:
    """Undo "Accept selected / all": revert each of `proposal_ids`, one by one.

    The ids come back from the page, so they are checked first: all of this
    batch, applied, and decided by `user` (the RM is checked again by each
    revert). Each revert is `proposal_decide(decision=REVERT)` in its own
    savepoint: a new recorded change, refused for a field changed since while
    the others are still undone. Rejections have no undo: a rejection changed
    nothing in the profile and stays on record as decided (module docstring).
    """
    ids = sorted({pk for p in proposal_ids if (pk := parse_id(p))})
    if not ids:
        raise InvalidInput(NOTHING_TO_UNDO)
    _batch_customer_ids(user=user, batch_id=batch_id)  # 404 / 403 before reading more
    decided = Proposal.objects.filter(
        tenant_id=user.tenant_id,
        batch_id=batch_id,
        pk__in=ids,
        decided_by=user,
        status__in=APPLIED,
    )
    if decided.count() != len(ids):
        raise InvalidInput(UNDO_NOT_THIS_DECISION)
    outcome = UndoOutcome(customer=None)
    for pk in ids:
        try:
            reverted = proposal_decide(user=user, proposal_id=pk, decision=Decision.REVERT)
        except Conflict as error:  # changed since, reverted already: the others go on
            outcome.refused.append((pk, error.message))
            continue
        outcome.reverted.append(reverted)
        outcome.customer = reverted.customer
    return outcome


# --- The source's entry points, named as it named them --------------------------


def artifact_update_status(
    *,
    artifact: Proposal,
    user: User,
    status: Any,
    edited_value: Any = UNSET,
    confirm_stale: bool = False,
    reason: Any = "",
) -> Proposal:
    """The source's updateStatus: a status (accepted, rejected, edited), decided once."""
    if not isinstance(status, str) or status not in STATUS_DECISIONS:
        raise ValidationError({"status": INVALID_DECISION})
    return _decided_into(
        artifact,
        proposal_decide(
            user=user,
            proposal_id=artifact.pk,
            decision=STATUS_DECISIONS[status],
            edited_value=edited_value,
            confirm_stale=confirm_stale,
            reason=reason,
        ),
    )


def _decided_into(artifact: Proposal, decided: Proposal) -> Proposal:
    """Give the caller's object the decision's state (they may hold on to it)."""
    for name in ("status", "payload", "decided_by", "decided_at", "rejection_reason"):
        setattr(artifact, name, getattr(decided, name))
    artifact.reverted_by, artifact.reverted_at = decided.reverted_by, decided.reverted_at
    return artifact


def artifact_accept(*, artifact: Proposal, user: User, confirm_stale: bool = False) -> Proposal:
    return artifact_update_status(
        artifact=artifact, user=user, status=ProfileEditStatus.ACCEPTED, confirm_stale=confirm_stale
    )


def artifact_reject(*, artifact: Proposal, user: User, reason: Any = "") -> Proposal:
    return artifact_update_status(
        artifact=artifact, user=user, status=ProfileEditStatus.REJECTED, reason=reason
    )


def artifact_accept_with_edits(
    *, artifact: Proposal, user: User, edited_value: Any, confirm_stale: bool = False
) -> Proposal:
    """Accept with the RM's own value (status "edited"); the proposal stays on record."""
    return artifact_update_status(
        artifact=artifact,
        user=user,
        status=ProfileEditStatus.EDITED,
        edited_value=edited_value,
        confirm_stale=confirm_stale,
    )


def batch_accept(*, batch_id: str, user: User, confirm_stale: bool = False) -> int:
    """Accept the batch's pending proposals; return how many."""
    return proposal_decide_batch(
        user=user, batch_id=batch_id, decision=Decision.ACCEPT, confirm_stale=confirm_stale
    ).count


def batch_reject(*, batch_id: str, user: User) -> int:
    """Reject the batch's pending proposals in one UPDATE; return how many."""
    return proposal_decide_batch(user=user, batch_id=batch_id, decision=Decision.REJECT).count
