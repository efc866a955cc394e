"""The 50-artifact limit under real concurrency: threads, each with its own connection."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from portfolio import services
from portfolio.models import WorkArtifact
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def test_twenty_simultaneous_creates_stop_at_exactly_50(alice, artifacts_for):
    artifacts_for(alice, 45)
    start = threading.Barrier(THREADS)
    created: list[str] = []
    refused: list[str] = []
    crashed: list[BaseException] = []
    lock = threading.Lock()

    def create(n: int) -> None:
        try:
            start.wait(timeout=30)
            with tenant_context(alice.tenant_id):
                artifact = services.artifact_create(
                    user=alice,
                    title=f"Concurrent {n}",
                    category="document",
                    artifact_date=datetime.date(2022, 1, 1),
                )
            with lock:
                created.append(artifact.pk)
        except ValidationError as error:
            with lock:
                refused.extend(error.messages)
        except BaseException as error:  # surfaced below, never swallowed
            with lock:
                crashed.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not crashed, crashed
    assert len(created) == 5
    assert refused == ["Maximum 50 artifacts allowed"] * 15
    with tenant_context(alice.tenant_id):
        assert WorkArtifact.objects.owned_by(alice).count() == 50
