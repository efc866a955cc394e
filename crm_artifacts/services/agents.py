"""What an external agent does through its API token, and the reviewer's answer to it.

An agent proposes through the same `artifact_create_batch` as the meeting
notes (same field registry, limits, previous values read under the customer's
lock); it acts for the tenant, not for a person, so there is no RM check: the
token's tenant context (RLS) is its fence, and its scope is checked by the API.
The RM answers each proposal with a note (`proposal_respond`), which the agent
reads back with the decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm_artifacts.models import CreatorType, Customer, ProfileEditStatus, Proposal
from crm_artifacts.services.access import ensure_rm_of_artifact, parse_id
from crm_artifacts.services.artifacts import ProfileEditInput, artifact_create_batch
from crm_artifacts.services.errors import (
    ARTIFACT_NOT_FOUND,
    CUSTOMER_NOT_FOUND,
    INVALID_STATUS_FILTER,
    NotFound,
)
from tenancy.context import active_tenant_id
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

AGENT_NAME_MAX_LENGTH = 100  # Proposal.created_by_id
RESPONSE_MAX_LENGTH = 1000
AGENT_LIST_LIMIT = 200

AGENT_NAME_REQUIRED = "agentName is required: the name the reviewer sees on the proposals."
AGENT_NAME_TOO_LONG = f"agentName has at most {AGENT_NAME_MAX_LENGTH} characters."
RESPONSE_REQUIRED = "Write the note for the agent."
RESPONSE_TOO_LONG = f"A response has at most {RESPONSE_MAX_LENGTH} characters."


def agent_customer(customer_id: object) -> Customer:
    """A customer of the current tenant (the token's), by any id."""
    pk = parse_id(customer_id)
    customer = Customer.objects.filter(tenant_id=active_tenant_id(), pk=pk).first() if pk else None
    if customer is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    return customer


def agent_propose(
    *, customer: Customer, agent_name: Any, edits: list[ProfileEditInput]
) -> list[Proposal]:
    """One batch from an external agent, all or none (the meeting notes' service)."""
    if not isinstance(agent_name, str) or not agent_name.strip():
        raise ValidationError(AGENT_NAME_REQUIRED)
    agent_name = agent_name.strip()
    if len(agent_name) > AGENT_NAME_MAX_LENGTH:
        raise ValidationError(AGENT_NAME_TOO_LONG)
    if not is_storable(agent_name):
        raise ValidationError(UNSTORABLE_TEXT)
    return artifact_create_batch(
        customer=customer,
        edits=edits,
        created_by_type=CreatorType.AGENT,
        created_by_id=agent_name,
    )


def agent_proposals(
    *,
    customer: Customer,
    batch_id: str | None = None,
    status: str | None = None,
    since: dt.datetime | None = None,
) -> list[Proposal]:
    """A customer's proposals, newest first; `since`: made, decided or answered since."""
    if status is not None and status not in ProfileEditStatus.ALL:
        raise ValidationError(INVALID_STATUS_FILTER)
    # The customer's index (tenant, customer, created_at) bounds the scan.
    qs = Proposal.objects.filter(tenant_id=customer.tenant_id, customer=customer)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    if status is not None:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(
            Q(created_at__gte=since) | Q(decided_at__gte=since) | Q(responded_at__gte=since)
        )
    return list(qs.order_by("-created_at", "-id")[:AGENT_LIST_LIMIT])


@transaction.atomic
def proposal_respond(*, user: User, proposal_id: object, note: Any) -> Proposal:
    """The RM's note to the agent on one proposal (pending or decided); replaces the last."""
    if not isinstance(note, str) or not note.strip():
        raise ValidationError(RESPONSE_REQUIRED)
    note = note.strip()
    if len(note) > RESPONSE_MAX_LENGTH:
        raise ValidationError(RESPONSE_TOO_LONG)
    if not is_storable(note):
        raise ValidationError(UNSTORABLE_TEXT)
    pk = parse_id(proposal_id)
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(tenant_id=user.tenant_id, pk=pk)
        .first()
        if pk
        else None
    )
    if proposal is None:
        raise NotFound(ARTIFACT_NOT_FOUND)
    ensure_rm_of_artifact(user=user, artifact=proposal)
    proposal.response_note = note
    proposal.responded_by = user
    proposal.responded_at = timezone.now()
    proposal.save(update_fields=["response_note", "responded_by", "responded_at"])
    return proposal
