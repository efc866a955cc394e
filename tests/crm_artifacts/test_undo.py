"""Undo after a batch accept (issue 13 §2): the proposals just accepted are
reverted through the one decision service, each revert a recorded change; a
field changed since is refused on its own while the others are undone."""

from __future__ import annotations

import pytest

from crm_artifacts import services
from crm_artifacts.models import Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.test_concurrency import decide
from tests.utils import run_concurrently

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot", dependents=2)


def undo_url(batch) -> str:
    return f"/crm/batches/{batch[0].batch_id}/undo/"


@pytest.mark.django_db
def test_undo_after_accept_selected_reverts_exactly_those_and_keeps_the_history(
    bob_client, customer, batch, reload
):
    selected = [batch[0].pk, batch[2].pk]
    url = f"/crm/batches/{batch[0].batch_id}/selected/"
    accepted = bob_client.post(url, {"decision": "accept", "ids": selected}, **HTMX)
    assert accepted.status_code == 200
    assert 'action="' + undo_url(batch) + '"' in accepted.text
    for pk in selected:
        assert f'name="ids" value="{pk}"' in accepted.text
    assert f'name="ids" value="{batch[1].pk}" form=' in accepted.text  # still a checkbox
    assert reload(customer).profile["email"] == "jane@new.example"

    undone = bob_client.post(undo_url(batch), {"ids": selected}, **HTMX)
    assert undone.status_code == 200
    assert "2 proposal(s) undone" in undone.text
    profile = reload(customer).profile
    assert (profile["email"], profile["dependents"]) == ("jane@old.example", 1)
    assert [reload(p).status for p in batch] == ["accepted", "pending", "accepted"]
    assert all(reload(batch[i]).is_reverted for i in (0, 2))
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert page.text.count("Reverted by") == 2  # the decisions stay, reverted, on record


@pytest.mark.django_db
def test_undo_without_javascript_comes_back_in_the_redirect_and_refuses_a_changed_field(
    bob, bob_client, customer, batch, reload
):
    accepted = bob_client.post(f"/crm/batches/{batch[0].batch_id}/accept/")
    assert accepted.status_code == 302
    assert f"undo={batch[0].batch_id}" in accepted.url
    page = bob_client.get(accepted.url)
    assert 'action="' + undo_url(batch) + '"' in page.text
    with tenant_context(bob.tenant_id):  # someone changes the email since
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})

    undone = bob_client.post(undo_url(batch), {"ids": [p.pk for p in batch]}, follow=True)
    assert "2 proposal(s) undone" in undone.text
    assert "Email changed since this proposal was accepted" in undone.text
    profile = reload(customer).profile
    assert profile["email"] == "typed@x.example"  # the later change is kept
    assert profile["dependents"] == 1
    assert "occupation" not in profile
    assert not reload(batch[0]).is_reverted


@pytest.mark.django_db
def test_undo_when_everything_changed_since_is_a_conflict_that_changes_nothing(
    bob, bob_client, customer, make_batch, reload
):
    (proposal,) = make_batch(customer, email="jane@new.example")
    bob_client.post(f"/crm/batches/{proposal.batch_id}/accept/")
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
    refused = bob_client.post(f"/crm/batches/{proposal.batch_id}/undo/", {"ids": [proposal.pk]})
    assert refused.status_code == 409
    assert "changed since" in refused.text
    assert reload(customer).profile["email"] == "typed@x.example"


@pytest.mark.django_db
def test_undo_refuses_ids_not_of_this_users_accept_in_this_batch(
    bob_client, client_for, alice, carol, customer, batch, make_batch, reload
):
    bob_client.post(
        f"/crm/batches/{batch[0].batch_id}/selected/", {"decision": "accept", "ids": [batch[0].pk]}
    )
    other = make_batch(customer, employer="Initech")
    bob_client.post(f"/crm/batches/{other[0].batch_id}/accept/")
    url = undo_url(batch)
    for ids in ([other[0].pk], [batch[0].pk, batch[1].pk], [], ["x"]):  # other batch, pending
        refused = bob_client.post(url, {"ids": ids})
        assert refused.status_code == 400, ids
    assert "you accepted can be undone" in bob_client.post(url, {"ids": [other[0].pk]}).text
    assert client_for(alice).post(url, {"ids": [batch[0].pk]}).status_code == 403
    assert client_for(carol).post(url, {"ids": [batch[0].pk]}).status_code == 404
    assert not reload(batch[0]).is_reverted
    assert not reload(other[0]).is_reverted


@pytest.mark.django_db
def test_rejections_offer_no_undo(bob_client, batch):
    rejected = bob_client.post(f"/crm/batches/{batch[0].batch_id}/reject/", **HTMX)
    assert "3 proposal(s) rejected." in rejected.text
    assert "/undo/" not in rejected.text
    assert bob_client.post(undo_url(batch), {"ids": [batch[0].pk]}).status_code == 400


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("repeat", range(3))
def test_undo_racing_a_new_accept_of_the_same_field_lets_exactly_one_write(
    customer, bob, make_batch, reload, repeat
):
    first = make_batch(customer, email="jane@new.example", occupation="Pilot")
    with tenant_context(bob.tenant_id):
        services.proposal_decide_batch(user=bob, batch_id=first[0].batch_id, decision="accept")
    (second,) = make_batch(customer, email="jane@newest.example")
    results = run_concurrently(
        [
            decide(
                bob,
                services.proposal_undo_batch,
                batch_id=first[0].batch_id,
                proposal_ids=[p.pk for p in first],
            ),
            decide(bob, services.proposal_decide, proposal_id=second.pk, decision="accept"),
        ]
    )
    undo, accept = results
    assert isinstance(undo, services.UndoOutcome), results
    assert "occupation" not in reload(customer).profile  # the other field is always undone
    email = reload(customer).profile["email"]
    if isinstance(accept, Proposal):  # the accept went first: the email's revert is refused
        assert [pk for pk, _ in undo.refused] == [first[0].pk]
        assert "changed since" in undo.refused[0][1]
        assert email == "jane@newest.example"
    else:  # the undo went first: the accept finds the profile moved (stale)
        assert isinstance(accept, services.StaleProposal), results
        assert (undo.refused, email, reload(second).status) == ([], "jane@old.example", "pending")
