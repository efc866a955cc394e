"""Optimistic locking under real concurrency: ten threads, ten connections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenancy.context import tenant_context
from tests.utils import run_concurrently
from tests.workshops.conftest import get_step
from workshops import services
from workshops.models import StepArtifact, StepSummary, WorkshopStep

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10
CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": "Hires"}


def race(step: WorkshopStep, save: Callable[[WorkshopStep, int], object]) -> list[object]:
    """Run `save(step, i)` in THREADS threads released together; collect results or errors."""

    def job(i: int) -> Callable[[], object]:
        def run() -> object:
            fresh = WorkshopStep.objects.select_related("workshop", "step_definition").get(
                pk=step.pk
            )
            return save(fresh, i)

        return run

    return run_concurrently([job(i) for i in range(THREADS)], tenant_id=step.tenant_id)


def test_ten_concurrent_saves_from_version_n_leave_one_winner(alice, workshop):
    step = get_step(workshop, "challenge")
    with tenant_context(alice.tenant_id):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=1
        )

    def save(fresh: WorkshopStep, i: int) -> object:
        artifact = {**CHALLENGE, "who_is_affected": f"Writer {i}"}
        return services.artifact_save(
            workshop_step=fresh, user=alice, artifact=artifact, expected_version=2
        )

    results = race(step, save)
    winners = [r for r in results if isinstance(r, StepArtifact)]
    conflicts = [r for r in results if isinstance(r, services.VersionConflict)]
    assert len(winners) == 1, results
    assert len(conflicts) == THREADS - 1, results
    assert winners[0].version == 3
    with tenant_context(alice.tenant_id):
        saved = StepArtifact.objects.get()
    assert saved.version == 3
    assert saved.artifact == winners[0].artifact
    # Every loser was told the winner's value and version.
    assert {(c.current_version, c.current_value["who_is_affected"]) for c in conflicts} == {
        (3, saved.artifact["who_is_affected"])
    }


def test_ten_concurrent_first_saves_create_one_row_and_nine_conflicts(alice, workshop):
    step = get_step(workshop, "challenge")

    def save(fresh: WorkshopStep, i: int) -> object:
        return services.summary_save(
            workshop_step=fresh, user=alice, summary=f"Summary {i}", expected_version=0
        )

    results = race(step, save)
    winners = [r for r in results if isinstance(r, StepSummary)]
    conflicts = [r for r in results if isinstance(r, services.VersionConflict)]
    assert (len(winners), len(conflicts)) == (1, THREADS - 1), results
    with tenant_context(alice.tenant_id):
        saved = StepSummary.objects.get()
    assert (saved.version, saved.summary) == (1, winners[0].summary)
    assert {c.current_value for c in conflicts} == {saved.summary}
