"""Proposal batches of any size, for measuring decisions (tests and bench/batch_accept.py).

The services cap a batch at `MAX_BATCH_SIZE` proposals, one per profile field
(twelve fields today), so a 100-proposal batch cannot be made through them.
Deciding a batch does not depend on either rule, and its cost must not grow
with the batch: this writes the rows directly, each payload built and
validated by the services' own `build_payload`, fields taken in turn.
"""

from __future__ import annotations

from crm_artifacts.fields import PROFILE_FIELDS
from crm_artifacts.models import (
    ArtifactType,
    CreatorType,
    Customer,
    ProfileEditStatus,
    Proposal,
)
from crm_artifacts.services import ProfileEditInput, new_batch_id
from crm_artifacts.services.artifacts import build_payload
from loadtest.samples import PROFILE_SAMPLES
from tenancy.context import tenant_context


def pending_batch(
    customer: Customer, *, size: int, workflow_trigger: str | None = None
) -> list[Proposal]:
    """`size` pending proposals in one new batch for `customer`, none of them stale."""
    batch_id = new_batch_id()
    with tenant_context(customer.tenant_id):
        profile = Customer.objects.get(pk=customer.pk).profile
        rows = []
        for n in range(size):
            field = PROFILE_FIELDS[n % len(PROFILE_FIELDS)]
            # Any sample but the profile's own value (a proposal must change something).
            choices = [v for v in PROFILE_SAMPLES[field.key][1:] if v != profile.get(field.key)]
            value = choices[n // len(PROFILE_FIELDS) % len(choices)]
            payload = build_payload(
                edit=ProfileEditInput(field_key=field.key, proposed_value=value, confidence="high"),
                profile=profile,
            )
            rows.append(
                Proposal(
                    tenant_id=customer.tenant_id,
                    customer=customer,
                    rm_id=customer.rm_id,
                    batch_id=batch_id,
                    artifact_type=ArtifactType.PROFILE_EDIT,
                    status=ProfileEditStatus.PENDING,
                    created_by_type=CreatorType.AGENT,
                    created_by_id="load-test",
                    payload=payload,
                    workflow_trigger=workflow_trigger,
                )
            )
        return Proposal.objects.bulk_create(rows)
