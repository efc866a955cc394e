"""Creating proposals: one artifact per profile field, grouped by batch.

A batch belongs to one customer and proposes each field at most once, so
accepting a whole batch writes one profile once. Creation is all or none.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crm_artifacts.fields import get_field
from crm_artifacts.models import (
    BATCH_ID_MAX_LENGTH,
    ArtifactType,
    Confidence,
    CreatorType,
    Customer,
    ProfileEditStatus,
    Proposal,
)
from crm_artifacts.services.access import ensure_rm_of_customer
from crm_artifacts.services.errors import (
    BATCH_OF_ANOTHER_CUSTOMER,
    BATCH_TOO_LARGE,
    CREATOR_ID_TOO_LONG,
    CUSTOMER_NOT_FOUND,
    DUPLICATE_FIELD,
    EMPTY_BATCH,
    INVALID_BATCH_ID,
    INVALID_CONFIDENCE,
    SAME_AS_PROFILE,
    SOURCE_TEXT_NOT_TEXT,
    SOURCE_TEXT_TOO_LONG,
    UNKNOWN_CREATOR_TYPE,
    NotFound,
)
from crm_artifacts.workflows import validate_workflow
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

MAX_BATCH_SIZE = 50
SOURCE_TEXT_MAX_LENGTH = 1000
BATCH_ID_PATTERN = re.compile(rf"^[A-Za-z0-9_-]{{1,{BATCH_ID_MAX_LENGTH}}}$")


@dataclass(frozen=True)
class ProfileEditInput:
    """What a creator proposes; the service adds the label and the previous value."""

    field_key: str
    proposed_value: Any
    source_text: str = ""
    confidence: str | None = None


def new_batch_id() -> str:
    return secrets.token_urlsafe(12)


def build_payload(*, edit: ProfileEditInput, profile: dict[str, Any]) -> dict[str, Any]:
    """The profile-edit payload for `edit`, validated; ValidationError with a message."""
    field = get_field(edit.field_key)
    try:
        proposed = field.clean(edit.proposed_value)
    except ValidationError as error:
        raise ValidationError(f"{field.label}: {error.messages[0]}") from None
    if not isinstance(edit.source_text, str):
        raise ValidationError(f"{field.label}: {SOURCE_TEXT_NOT_TEXT}")
    source_text = edit.source_text.strip()
    if len(source_text) > SOURCE_TEXT_MAX_LENGTH:
        raise ValidationError(
            f"{field.label}: {SOURCE_TEXT_TOO_LONG.format(max_length=SOURCE_TEXT_MAX_LENGTH)}"
        )
    if not is_storable(source_text):
        raise ValidationError(f"{field.label}: {UNSTORABLE_TEXT}")
    if edit.confidence is not None and edit.confidence not in Confidence.ALL:
        raise ValidationError(f"{field.label}: {INVALID_CONFIDENCE}")
    previous = profile.get(field.key)
    if previous == proposed:
        raise ValidationError(SAME_AS_PROFILE.format(field=field.label))
    payload = {
        "field_key": field.key,
        "field_display_name": field.label,
        "proposed_value": proposed,
        "previous_value": previous,
        "source_text": source_text,
    }
    if edit.confidence is not None:
        payload["confidence"] = edit.confidence
    return payload


def _validate_creator(created_by_type: str, created_by_id: str | None) -> None:
    if created_by_type not in CreatorType.ALL:
        raise ValidationError({"created_by_type": UNKNOWN_CREATOR_TYPE})
    if created_by_id is not None and (
        not isinstance(created_by_id, str) or len(created_by_id) > 100
    ):
        raise ValidationError({"created_by_id": CREATOR_ID_TOO_LONG})
    if created_by_id is not None and not is_storable(created_by_id):
        raise ValidationError({"created_by_id": UNSTORABLE_TEXT})


@transaction.atomic
def artifact_create_batch(
    *,
    customer: Customer,
    edits: list[ProfileEditInput],
    created_by_type: str,
    created_by_id: str | None = None,
    workflow_trigger: str | None = None,
    batch_id: str | None = None,
    requested_by: User | None = None,
) -> list[Proposal]:
    """Create one pending profile-edit artifact per edit, all or none.

    `requested_by` is the person asking (their tenant and RM role are
    checked); agents and the system create without one. The previous value
    of each field is read from the profile under a row lock, so stale
    detection compares against what the profile really held.
    """
    if requested_by is not None:
        ensure_rm_of_customer(user=requested_by, customer=customer)
    _validate_creator(created_by_type, created_by_id)
    workflow_trigger = validate_workflow(workflow_trigger)
    if not edits:
        raise ValidationError(EMPTY_BATCH)
    if len(edits) > MAX_BATCH_SIZE:
        raise ValidationError(BATCH_TOO_LARGE.format(max_size=MAX_BATCH_SIZE))
    if batch_id is None:
        batch_id = new_batch_id()
    elif not isinstance(batch_id, str) or not BATCH_ID_PATTERN.match(batch_id):
        raise ValidationError({"batch_id": INVALID_BATCH_ID})

    # Row-level security hides a foreign tenant's customer: not found, not "forbidden".
    locked = (
        Customer.objects.select_for_update()
        .filter(tenant_id=customer.tenant_id, pk=customer.pk)
        .first()
    )
    if locked is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    existing = list(
        Proposal.objects.filter(tenant_id=locked.tenant_id, batch_id=batch_id).values_list(
            "customer_id", "payload__field_key"
        )
    )
    if any(customer_id != locked.pk for customer_id, _ in existing):
        raise ValidationError({"batch_id": BATCH_OF_ANOTHER_CUSTOMER})

    seen = {key for _, key in existing}
    payloads: list[dict[str, Any]] = []
    errors: list[str] = []
    for edit in edits:
        try:
            payload = build_payload(edit=edit, profile=locked.profile)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if payload["field_key"] in seen:
            errors.append(DUPLICATE_FIELD.format(field=payload["field_display_name"]))
            continue
        seen.add(payload["field_key"])
        payloads.append(payload)
    if errors:
        raise ValidationError(errors)

    # One INSERT for the whole batch.
    return Proposal.objects.bulk_create(
        [
            Proposal(
                tenant_id=locked.tenant_id,
                customer=locked,
                rm_id=locked.rm_id,
                batch_id=batch_id,
                version=1,
                artifact_type=ArtifactType.PROFILE_EDIT,
                status=ProfileEditStatus.PENDING,
                created_by_type=created_by_type,
                created_by_id=created_by_id,
                payload=payload,
                workflow_trigger=workflow_trigger,
            )
            for payload in payloads
        ]
    )


def artifact_create(
    *,
    customer: Customer,
    edit: ProfileEditInput,
    created_by_type: str,
    created_by_id: str | None = None,
    workflow_trigger: str | None = None,
    batch_id: str | None = None,
    requested_by: User | None = None,
) -> Proposal:
    """One proposal (a batch of one unless `batch_id` adds it to the customer's batch)."""
    (artifact,) = artifact_create_batch(
        customer=customer,
        edits=[edit],
        created_by_type=created_by_type,
        created_by_id=created_by_id,
        workflow_trigger=workflow_trigger,
        batch_id=batch_id,
        requested_by=requested_by,
    )
    return artifact
