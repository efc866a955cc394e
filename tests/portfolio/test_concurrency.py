"""The 50-artifact limit under real concurrency: threads, each with its own connection."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from portfolio import services
from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def test_twenty_simultaneous_creates_stop_at_exactly_50(alice, artifacts_for):
    artifacts_for(alice, 45)

    def create(n: int) -> Callable[[], WorkArtifact]:
        return lambda: services.artifact_create(
            user=alice,
            title=f"Concurrent {n}",
            category="document",
            artifact_date=datetime.date(2022, 1, 1),
        )

    results = run_concurrently([create(n) for n in range(THREADS)], tenant_id=alice.tenant_id)
    created = [r for r in results if isinstance(r, WorkArtifact)]
    refused = [m for r in results if isinstance(r, ValidationError) for m in r.messages]
    crashed = [r for r in results if not isinstance(r, WorkArtifact | ValidationError)]

    assert not crashed, crashed
    assert len(created) == 5
    assert refused == ["Maximum 50 artifacts allowed"] * 15
    with tenant_context(alice.tenant_id):
        assert WorkArtifact.objects.owned_by(alice).count() == 50
