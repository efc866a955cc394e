"""Customers, their profiles, and meeting notes turned into a proposal batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from assistant import Assistant, get_assistant
from crm_artifacts.fields import FIELDS_BY_KEY, clean_profile, field_specs
from crm_artifacts.history import Source, record_source
from crm_artifacts.models import CreatorType, Customer, Proposal
from crm_artifacts.services.access import ensure_rm_of_customer
from crm_artifacts.services.artifacts import (
    MAX_BATCH_SIZE,
    SOURCE_TEXT_MAX_LENGTH,
    ProfileEditInput,
    artifact_create_batch,
)
from crm_artifacts.services.errors import (
    NOTES_REQUIRED,
    NOTES_TOO_LONG,
    RM_OTHER_TENANT,
)
from crm_artifacts.workflows import validate_workflow
from tenancy.context import tenant_context
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

NOTES_MAX_LENGTH = 10_000
SKIPPED_INVALID = "Left out {field}: “{value}” is not a valid value ({reason})"
SKIPPED_UNCHANGED = "{field} is already “{value}” in the profile."


def _check_rm(*, tenant_id: int, rm: User | None) -> None:
    if rm is not None and rm.tenant_id != tenant_id:
        raise ValidationError({"rm": RM_OTHER_TENANT})


@transaction.atomic
def customer_create(
    *, tenant_id: int, rm: User | None, profile: dict[str, Any], user: User | None = None
) -> Customer:
    _check_rm(tenant_id=tenant_id, rm=rm)
    record_source(source=Source.CREATED, user=user)
    return Customer.objects.create(tenant_id=tenant_id, rm=rm, profile=clean_profile(profile))


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    rm: User | None,
    profile: dict[str, Any],
    user: User | None = None,
    source: str = Source.ADMIN,
) -> Customer:
    """Replace the RM and the whole profile (the admin's form). Pending proposals
    whose field changed become stale, which is what stale detection is for."""
    _check_rm(tenant_id=customer.tenant_id, rm=rm)
    profile = clean_profile(profile)
    Customer.objects.select_for_update().get(pk=customer.pk)
    record_source(source=source, user=user)
    customer.rm, customer.profile = rm, profile
    customer.save(update_fields=["rm", "profile", "updated_at"])
    return customer


@transaction.atomic
def customer_set_profile_values(
    *,
    customer: Customer,
    values: dict[str, Any],
    user: User | None = None,
    source: str = Source.DIRECT,
) -> Customer:
    """Change some profile fields directly (not through a proposal): an import, a command."""
    changes = clean_profile(values)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    record_source(source=source, user=user)
    locked.profile = {**locked.profile, **changes}
    locked.save(update_fields=["profile", "updated_at"])
    customer.profile, customer.updated_at = locked.profile, locked.updated_at
    return customer


@dataclass
class NotesOutcome:
    """What "Add meeting notes" produced. Nudges are shown once and never stored."""

    artifacts: list[Proposal] = field(default_factory=list)
    nudges: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    assistant_name: str = ""
    offline: bool = True

    @property
    def batch_id(self) -> str | None:
        return self.artifacts[0].batch_id if self.artifacts else None


def _usable_edits(
    extraction: Any, profile: dict[str, Any]
) -> tuple[list[ProfileEditInput], list[str]]:
    """The assistant's edits we can propose: known field, valid value, a change, once each."""
    edits: list[ProfileEditInput] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for edit in extraction.edits:
        spec = FIELDS_BY_KEY.get(edit.field_key)
        if spec is None or spec.key in seen:
            continue
        try:
            value = spec.clean(edit.proposed_value)
        except ValidationError as error:
            skipped.append(
                SKIPPED_INVALID.format(
                    field=spec.label, value=str(edit.proposed_value)[:80], reason=error.messages[0]
                )
            )
            continue
        if profile.get(spec.key) == value:
            skipped.append(SKIPPED_UNCHANGED.format(field=spec.label, value=spec.display(value)))
            continue
        seen.add(spec.key)
        edits.append(
            ProfileEditInput(
                field_key=spec.key,
                proposed_value=value,
                source_text=str(edit.source_text)[:SOURCE_TEXT_MAX_LENGTH],
                confidence=edit.confidence,
            )
        )
    return edits[:MAX_BATCH_SIZE], skipped


def notes_propose(
    *,
    customer: Customer,
    user: User,
    notes: str,
    workflow_trigger: str | None = None,
    assistant: Assistant | None = None,
) -> NotesOutcome:
    """Run the assistant over meeting notes and create one batch: a proposal per field.

    The assistant runs before anything is written, so its failure
    (AssistantError, shown to the RM as is) leaves no half-written batch;
    the batch itself is created all or none, in a short transaction of its
    own in the customer's tenant: called from the notes view (outside the
    request's transaction) no transaction is open while the assistant works.
    """
    ensure_rm_of_customer(user=user, customer=customer)
    if not isinstance(notes, str) or not notes.strip():
        raise ValidationError({"notes": NOTES_REQUIRED})
    if len(notes) > NOTES_MAX_LENGTH:
        raise ValidationError({"notes": NOTES_TOO_LONG.format(max_length=NOTES_MAX_LENGTH)})
    if not is_storable(notes):  # the proposals quote the notes, in JSONB
        raise ValidationError({"notes": UNSTORABLE_TEXT})
    workflow_trigger = validate_workflow(workflow_trigger)
    assistant = assistant or get_assistant()

    extraction = assistant.extract_profile_edits(notes, field_specs())
    edits, skipped = _usable_edits(extraction, customer.profile)
    outcome = NotesOutcome(
        nudges=list(extraction.nudges),
        skipped=skipped,
        assistant_name=assistant.name,
        offline=assistant.offline,
    )
    if edits:
        with tenant_context(customer.tenant_id):
            outcome.artifacts = artifact_create_batch(
                customer=customer,
                edits=edits,
                created_by_type=CreatorType.AGENT,
                created_by_id=assistant.name[:100],
                workflow_trigger=workflow_trigger,
                requested_by=user,
            )
    return outcome
