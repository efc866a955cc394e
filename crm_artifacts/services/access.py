"""Who may see and decide a customer's proposals: its relationship manager only.

Another tenant's customer is NotFound (404, never a hint that it exists);
someone else's customer in the same tenant is NotAllowed (403, a PermissionDenied).
"""

from __future__ import annotations

from crm_artifacts.models import Customer, Proposal
from crm_artifacts.services.errors import (
    ARTIFACT_NOT_FOUND,
    CUSTOMER_NOT_FOUND,
    NOT_ATTACHED_RM,
    NotAllowed,
    NotFound,
)
from tenancy.models import User


def ensure_rm_of_customer(*, user: User, customer: Customer | None) -> Customer:
    if customer is None or customer.tenant_id != user.tenant_id:
        raise NotFound(CUSTOMER_NOT_FOUND)
    if customer.rm_id != user.pk:
        raise NotAllowed(NOT_ATTACHED_RM)
    return customer


def ensure_rm_of_artifact(*, user: User, artifact: Proposal) -> None:
    """The artifact's customer's RM (the RM recorded on it once the customer is gone)."""
    if artifact.tenant_id != user.tenant_id:
        raise NotFound(ARTIFACT_NOT_FOUND)
    rm_id = artifact.customer.rm_id if artifact.customer_id else artifact.rm_id
    if rm_id != user.pk:
        raise NotAllowed(NOT_ATTACHED_RM)


BIGINT_MAX = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A primary key from untrusted input, or None (so it answers 404, never 500)."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    pk = int(text)
    return pk if 0 < pk <= BIGINT_MAX else None
