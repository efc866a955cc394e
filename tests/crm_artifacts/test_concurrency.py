"""Two RMs' tabs deciding the same proposal at once end with exactly one decision.

Real threads, each with its own database connection and tenant context.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm_artifacts import services
from crm_artifacts.models import Proposal
from tenancy.context import tenant_context
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def decide(user, action: Callable[..., object], **kwargs: object) -> Callable[[], object]:
    def run() -> object:
        with tenant_context(user.tenant_id):
            return action(user=user, **kwargs)

    return run


@pytest.mark.parametrize("repeat", range(3))
def test_accept_and_reject_racing_end_with_exactly_one_decision(
    customer, bob, make_batch, reload, repeat
):
    (artifact,) = make_batch(customer, email="jane@new.example")
    results = run_concurrently(
        [
            decide(bob, services.artifact_accept, artifact=artifact),
            decide(bob, services.artifact_reject, artifact=artifact),
        ]
    )
    winners = [r for r in results if isinstance(r, Proposal)]
    losers = [r for r in results if isinstance(r, services.AlreadyDecided)]
    assert (len(winners), len(losers)) == (1, 1), results
    stored = reload(artifact)
    assert stored.status == winners[0].status
    expected_email = "jane@new.example" if stored.status == "accepted" else "jane@old.example"
    assert reload(customer).profile["email"] == expected_email


def test_batch_accept_racing_a_single_reject_never_decides_twice(customer, bob, make_batch, reload):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect")
    results = run_concurrently(
        [
            decide(bob, services.batch_accept, batch_id=batch[0].batch_id),
            decide(bob, services.artifact_reject, artifact=batch[1]),
        ]
    )
    statuses = [reload(a).status for a in batch]
    assert statuses[0] == "accepted"
    if isinstance(results[1], Proposal):  # the reject won the race for the second row
        assert (results[0], statuses[1]) == (1, "rejected")
        assert "occupation" not in reload(customer).profile
    else:
        assert isinstance(results[1], services.AlreadyDecided)
        assert (results[0], statuses[1]) == (2, "accepted")
        assert reload(customer).profile["occupation"] == "Architect"


def test_two_batch_decisions_racing_decide_each_row_once(customer, bob, make_batch, reload):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect")
    results = run_concurrently(
        [
            decide(bob, services.batch_accept, batch_id=batch[0].batch_id),
            decide(bob, services.batch_reject, batch_id=batch[0].batch_id),
        ]
    )
    assert sorted(results) == [0, 2], results
    assert len({reload(a).status for a in batch}) == 1
