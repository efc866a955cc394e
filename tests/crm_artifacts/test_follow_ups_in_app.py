"""Follow-up tasks marked done or dismissed in the app (issue 13 §2): listed on
the customer's page with "Done" and "Dismiss", the RM's alone, once."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from crm_artifacts import services
from crm_artifacts.models import FollowUp
from tenancy.context import tenant_context
from tests.crm_artifacts.test_concurrency import decide
from tests.utils import run_concurrently

HTMX = {"HTTP_HX_REQUEST": "true"}
TITLE = "Confirm with Jane Doe: Email is now “jane@new.example”"


@pytest.fixture
def follow_ups(bob, bob_client, customer, make_batch):
    batch = make_batch(
        customer, workflow_trigger="follow_up", email="jane@new.example", occupation="Pilot"
    )
    bob_client.post(f"/crm/batches/{batch[0].batch_id}/accept/")
    with tenant_context(bob.tenant_id):
        return list(FollowUp.objects.filter(customer=customer).order_by("id"))


def open_titles(client, customer) -> int:
    return client.get(f"/crm/customers/{customer.pk}/").text.count('class="follow-up"')


@pytest.mark.django_db
def test_done_and_dismiss_close_the_task_in_place_and_it_leaves_the_page(
    bob, bob_client, customer, follow_ups, reload
):
    email, occupation = follow_ups
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert escape(TITLE) in page.text
    assert page.text.count("Dismiss<span") == 2
    done = bob_client.post(f"/crm/follow-ups/{email.pk}/done/", **HTMX)
    assert done.status_code == 200
    assert done.text.lstrip().startswith(f'<li class="follow-up is-done" id="follow-up-{email.pk}"')
    assert "Marked done" in done.text
    assert "Dismiss<span" not in done.text
    dismissed = bob_client.post(f"/crm/follow-ups/{occupation.pk}/dismiss/")  # no JavaScript
    assert dismissed.status_code == 302
    assert dismissed.url.endswith(f"/crm/customers/{customer.pk}/#follow-ups")
    assert (reload(email).done, reload(email).dismissed) == (True, False)
    assert (reload(occupation).done, reload(occupation).dismissed) == (False, True)
    assert open_titles(bob_client, customer) == 0


@pytest.mark.django_db
def test_only_the_rm_closes_a_follow_up_and_only_once(
    bob_client, client_for, alice, carol, customer, follow_ups, reload
):
    email = follow_ups[0]
    url = f"/crm/follow-ups/{email.pk}/done/"
    assert client_for(alice).post(url).status_code == 403
    assert client_for(carol).post(url).status_code == 404
    assert bob_client.post("/crm/follow-ups/999999/done/").status_code == 404
    assert reload(email).is_open
    assert bob_client.post(url).status_code == 302
    again = bob_client.post(f"/crm/follow-ups/{email.pk}/dismiss/", **HTMX)
    assert again.status_code == 409
    assert "already done" in again.text
    assert not reload(email).dismissed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("repeat", range(2))
def test_done_racing_dismiss_closes_the_follow_up_once(bob, customer, make_batch, reload, repeat):
    (proposal,) = make_batch(customer, workflow_trigger="follow_up", email="jane@new.example")
    with tenant_context(bob.tenant_id):
        services.proposal_decide(user=bob, proposal_id=proposal.pk, decision="accept")
        follow_up = FollowUp.objects.get(artifact=proposal)
    results = run_concurrently(
        [
            decide(bob, services.follow_up_close, follow_up_id=follow_up.pk, outcome="done"),
            decide(bob, services.follow_up_close, follow_up_id=follow_up.pk, outcome="dismiss"),
        ]
    )
    won = [isinstance(r, FollowUp) for r in results]
    assert won.count(True) == 1, results
    assert isinstance(results[won.index(False)], services.Conflict)
    stored = reload(follow_up)
    assert (stored.done, stored.dismissed) == (won[0], won[1])
