from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from portfolio import services
from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tenancy.models import User
from tests.portfolio.factories import WorkArtifactFactory


@pytest.fixture
def create() -> Callable[..., WorkArtifact]:
    """`create(alice, title=...)`: an artifact through the service, inside alice's tenant."""

    def make(user: User, **fields) -> WorkArtifact:
        fields.setdefault("title", "Quarterly report")
        fields.setdefault("category", "document")
        fields.setdefault("artifact_date", datetime.date(2022, 3, 1))
        with tenant_context(user.tenant_id):
            return services.artifact_create(user=user, **fields)

    return make


@pytest.fixture
def artifacts_for() -> Callable[[User, int], list[WorkArtifact]]:
    """`artifacts_for(alice, 45)`: many rows at once, straight into the table."""

    def make(user: User, count: int, **fields) -> list[WorkArtifact]:
        return WorkArtifactFactory.create_batch(count, user=user, **fields)

    return make


@pytest.fixture
def admin_client(client_for, alice):
    """alice administers Acme (staff with every permission, like a tenant admin)."""
    alice.is_superuser = True
    alice.is_staff = True
    alice.save(update_fields=["is_superuser", "is_staff"])
    return client_for(alice)
