"""The source repository's reads, each limited to the RM's own customers.

Every list is backed by an index that leads with the tenant (see models.py).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from crm_artifacts.models import Artifact, ArtifactType, Customer, ProfileEditStatus
from crm_artifacts.services.access import ensure_rm_of_customer, get_artifact
from crm_artifacts.services.errors import (
    BATCH_NOT_FOUND,
    INVALID_LIMIT,
    INVALID_OFFSET,
    INVALID_ORDER,
    INVALID_STATUS_FILTER,
    UNKNOWN_ARTIFACT_TYPE,
    NotFound,
)
from tenancy.models import User

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


def _ordered(qs: QuerySet[Artifact], order: str) -> QuerySet[Artifact]:
    return qs.order_by("created_at", "id") if order == "asc" else qs.order_by("-created_at", "-id")


def artifact_get(*, user: User, artifact_id: object) -> Artifact:
    return get_artifact(user=user, artifact_id=artifact_id)


def artifact_list_by_customer(
    *,
    user: User,
    customer: Customer,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    order: str = "desc",
) -> list[Artifact]:
    return artifact_list(user=user, customer=customer, limit=limit, offset=offset, order=order)


def artifact_list_pending_by_customer(*, user: User, customer: Customer) -> list[Artifact]:
    ensure_rm_of_customer(user=user, customer=customer)
    qs = Artifact.objects.filter(
        tenant_id=customer.tenant_id, customer=customer, status=ProfileEditStatus.PENDING
    )
    return list(_ordered(qs, "desc"))


def artifact_list_by_batch(*, user: User, batch_id: str) -> list[Artifact]:
    """A batch's proposals in the order they were made (refused unless all are the RM's)."""
    artifacts = list(
        Artifact.objects.select_related("customer")
        .filter(tenant_id=user.tenant_id, batch_id=batch_id)
        .order_by("created_at", "id")
    )
    if not artifacts:
        raise NotFound(BATCH_NOT_FOUND)
    for artifact in artifacts:
        ensure_rm_of_customer(user=user, customer=artifact.customer)
    return artifacts


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
) -> list[Artifact]:
    """The RM's artifacts matching every filter given, newest first by default."""
    validate_page(limit=limit, offset=offset, order=order)
    if status is not None and status not in ProfileEditStatus.ALL:
        raise ValidationError({"status": INVALID_STATUS_FILTER})
    if artifact_type is not None and artifact_type not in ArtifactType.ALL:
        raise ValidationError({"artifact_type": UNKNOWN_ARTIFACT_TYPE})
    qs = Artifact.objects.for_rm(user)
    if customer is not None:
        ensure_rm_of_customer(user=user, customer=customer)
        qs = qs.filter(customer=customer)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    if status is not None:
        qs = qs.filter(status=status)
    if artifact_type is not None:
        qs = qs.filter(artifact_type=artifact_type)
    return list(_ordered(qs, order)[offset : offset + limit])
