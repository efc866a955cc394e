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


@pytest.mark.parametrize("repeat", range(3))
def test_a_revert_racing_an_accept_of_the_same_field_lets_exactly_one_write(
    customer, bob, make_batch, reload, repeat
):
    """Revert A (email back to the old value) races accepting B (a newer email made
    after A): whichever locks the customer first wins; the other sees the field
    moved and is refused, so no write is ever silently undone."""
    (first,) = make_batch(customer, email="jane@new.example")
    with tenant_context(bob.tenant_id):
        services.proposal_decide(user=bob, proposal_id=first.pk, decision="accept")
    (second,) = make_batch(customer, email="jane@newest.example")
    results = run_concurrently(
        [
            decide(bob, services.proposal_decide, proposal_id=first.pk, decision="revert"),
            decide(bob, services.proposal_decide, proposal_id=second.pk, decision="accept"),
        ]
    )
    won = [isinstance(r, Proposal) for r in results]
    assert won.count(True) == 1, results
    email = reload(customer).profile["email"]
    if won[0]:  # the revert won: the accept found the profile moved (stale)
        assert isinstance(results[1], services.StaleProposal)
        assert (email, reload(second).status) == ("jane@old.example", "pending")
    else:  # the accept won: the revert found the field changed since
        assert isinstance(results[0], services.Conflict)
        assert "changed since" in results[0].message
        assert (email, reload(first).reverted_at) == ("jane@newest.example", None)


@pytest.mark.parametrize("repeat", range(3))
def test_accept_selected_racing_reject_all_decides_each_row_once(
    customer, bob, make_batch, reload, repeat
):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect", dependents=3)
    selected = [batch[0].pk, batch[2].pk]
    results = run_concurrently(
        [
            decide(
                bob,
                services.proposal_decide_batch,
                batch_id=batch[0].batch_id,
                decision="accept",
                proposal_ids=selected,
            ),
            decide(
                bob, services.proposal_decide_batch, batch_id=batch[0].batch_id, decision="reject"
            ),
        ]
    )
    accepted, rejected = (r.count for r in results)
    statuses = [reload(a).status for a in batch]
    assert statuses[1] == "rejected"  # never selected: only reject-all can decide it
    if accepted:  # the selection went first: reject-all took the rest
        assert (accepted, rejected) == (2, 1)
        assert statuses == ["accepted", "rejected", "accepted"]
        assert reload(customer).profile["dependents"] == 3
    else:
        assert (accepted, rejected) == (0, 3)
        assert statuses == ["rejected"] * 3
