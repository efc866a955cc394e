"""The project's one hierarchy of refusals (config/errors.py), reached through real
requests: every app's not found, not allowed, already decided and stale answer
their status, in one shape for pages, htmx and JSON, never a 500."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from config import errors
from crm_artifacts import services as crm
from messaging import services as messaging
from portfolio import services as portfolio
from tenancy.context import tenant_context
from workshops import services as workshops

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot")


def test_every_apps_refusals_are_one_hierarchy():
    assert issubclass(portfolio.ArtifactNotFound, errors.NotFound)
    assert issubclass(messaging.AlreadyAnswered, errors.AlreadyDecided)
    assert issubclass(workshops.VersionConflict, errors.Stale)
    assert issubclass(crm.AlreadyDecided, errors.AlreadyDecided)
    assert issubclass(crm.StaleProposal, errors.Stale)
    assert issubclass(errors.AlreadyDecided, errors.Conflict)
    assert issubclass(errors.Stale, errors.Conflict)
    statuses = {
        errors.NotFound: 404,
        errors.NotAllowed: 403,
        errors.Conflict: 409,
        errors.AlreadyDecided: 409,
        errors.Stale: 409,
    }
    for cls, status in statuses.items():
        assert cls("x").status == status


def test_a_missing_proposal_is_404_for_a_page_for_htmx_and_for_the_api(bob_client):
    page = bob_client.post("/crm/artifacts/987654321/accept/")
    assert page.status_code == 404
    assert "Artifact not found" in page.text
    htmx = bob_client.post("/crm/artifacts/987654321/reject/", **HTMX)
    assert htmx.status_code == 404
    # The message alone, into the page's #flash, swapped whatever the status (app.js).
    assert htmx["HX-Retarget"] == "#flash"
    assert htmx[errors.REFUSAL_HEADER] == "404"
    assert htmx.text.strip().startswith('<ul class="messages">')
    api = bob_client.patch(
        "/api/artifacts/987654321", {"status": "accepted"}, content_type="application/json"
    )
    assert (api.status_code, api.json()) == (404, {"error": "Artifact not found"})


def test_a_proposal_of_a_customer_deleted_meanwhile_is_a_conflict_not_a_500(
    bob_client,
    bob,
    customer,
    batch,
):
    with tenant_context(bob.tenant_id):
        customer.delete()
    response = bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/", **HTMX)
    assert response.status_code == 409
    assert escape(crm.NO_CUSTOMER) in response.text


def test_a_teammate_is_403_with_the_message_on_page_htmx_and_api(client_for, alice, batch):
    client = client_for(alice)
    page = client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    assert page.status_code == 403
    assert escape(crm.NOT_ATTACHED_RM) in page.text
    htmx = client.post(f"/crm/batches/{batch[0].batch_id}/accept/", **HTMX)
    assert htmx.status_code == 403
    assert escape(crm.NOT_ATTACHED_RM) in htmx.text
    api = client.get(f"/api/artifacts/{batch[0].pk}")
    assert (api.status_code, api.json()) == (403, {"error": crm.NOT_ATTACHED_RM})


def test_already_decided_is_409_everywhere_and_the_api_shows_how(bob_client, batch):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/reject/")
    page = bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    assert page.status_code == 409
    api = bob_client.patch(
        f"/api/artifacts/{batch[0].pk}", {"status": "accepted"}, content_type="application/json"
    )
    assert api.status_code == 409
    assert api.json()["artifact"]["status"] == "rejected"


def test_a_stale_accept_is_409_with_both_values_in_the_api(bob_client, bob, customer, batch):
    with tenant_context(bob.tenant_id):
        crm.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
    api = bob_client.patch(
        f"/api/artifacts/{batch[0].pk}", {"status": "accepted"}, content_type="application/json"
    )
    assert api.status_code == 409
    assert api.json()["stale"]["currentValue"] == "typed@x.example"


def test_portfolio_not_found_is_the_shared_404(client_for, alice, bob, in_tenant):
    from tests.portfolio.factories import WorkArtifactFactory

    with in_tenant(bob):
        theirs = WorkArtifactFactory(user=bob, tenant=bob.tenant)
    response = client_for(alice).post(
        "/portfolio/delete-selected/", {"ids": [str(theirs.pk)], "confirm": "yes"}
    )
    assert response.status_code == 404
    assert portfolio.NOT_FOUND in response.text


def test_the_generic_refusal_page_has_no_500_for_unknown_conflicts(rf, bob):
    request = rf.post("/crm/anything/")
    request.user = bob
    request.htmx = False
    request._messages = []
    response = errors.DomainErrorMiddleware(lambda r: None).process_exception(
        request, errors.Conflict("Someone was first.")
    )
    assert response.status_code == 409
    assert "Someone was first." in response.content.decode()
