"""The review screen (issue 13 §2): staleness on page load, selected-only batch
decisions, rejection reasons."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from crm_artifacts import services
from tenancy.context import tenant_context
from tests.crm_artifacts.test_admin import admin_client
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot", dependents=2)


def test_a_stale_proposal_is_flagged_with_the_current_value_when_the_page_loads(
    bob_client, bob, customer, batch
):
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
    for url in (f"/crm/customers/{customer.pk}/", "/crm/proposals/"):
        page = bob_client.get(url)
        assert page.text.count("<strong>Out of date.</strong>") == 1, url
        assert 'class="stale-current">typed@x.example<' in page.text
        assert 'class="stale-previous">jane@old.example<' in page.text


def test_accept_selected_decides_exactly_the_ticked_pending_proposals(
    bob_client, customer, batch, reload
):
    url = f"/crm/batches/{batch[0].batch_id}/selected/"
    response = bob_client.post(url, {"decision": "accept", "ids": [batch[0].pk, batch[2].pk]})
    assert response.status_code == 302
    assert [reload(p).status for p in batch] == ["accepted", "pending", "accepted"]
    assert reload(customer).profile["dependents"] == 2
    # Ticking a decided one again decides nothing more: 409, not a second decision.
    again = bob_client.post(url, {"decision": "reject", "ids": [batch[0].pk]}, **HTMX)
    assert again.status_code == 409
    assert reload(batch[0]).status == "accepted"
    rejected = bob_client.post(url, {"decision": "reject", "ids": [batch[1].pk]}, **HTMX)
    assert rejected.status_code == 200
    assert "1 proposal(s) rejected." in rejected.text
    assert reload(batch[1]).status == "rejected"


def test_selected_with_nothing_ticked_or_another_batchs_ids_changes_nothing(
    bob_client, customer, batch, make_batch, reload
):
    url = f"/crm/batches/{batch[0].batch_id}/selected/"
    empty = bob_client.post(url, {"decision": "accept"})
    assert empty.status_code == 400
    assert "Tick the proposals to decide first." in empty.text
    other = make_batch(customer, employer="Initech")
    foreign = bob_client.post(url, {"decision": "accept", "ids": [other[0].pk]})
    assert foreign.status_code == 409  # nothing of this batch was ticked: nothing decided
    assert reload(other[0]).status == "pending"
    bad = bob_client.post(url, {"decision": "edit", "ids": [batch[0].pk]})
    assert bad.status_code == 400
    assert {reload(p).status for p in batch} == {"pending"}


def test_the_page_offers_checkboxes_for_pending_proposals_only(bob_client, customer, batch):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/reject/")
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert f'name="ids" value="{batch[1].pk}" form="selected-{batch[0].batch_id}"' in page.text
    assert f'name="ids" value="{batch[0].pk}"' not in page.text
    assert "Accept selected" in page.text
    assert "Reject selected" in page.text


def test_a_rejection_reason_is_stored_shown_returned_by_the_api_and_filtered_in_the_admin(
    bob_client, bob, customer, batch, reload
):
    reason = "Not what the customer said"
    response = bob_client.post(f"/crm/artifacts/{batch[1].pk}/reject/", {"reason": reason}, **HTMX)
    assert response.status_code == 200
    assert f"Reason: {escape(reason)}" in response.text
    assert reload(batch[1]).rejection_reason == reason
    api = bob_client.get(f"/api/artifacts/{batch[1].pk}")
    assert api.json()["artifact"]["rejectionReason"] == reason
    via_api = bob_client.patch(
        f"/api/artifacts/{batch[2].pk}",
        {"status": "rejected", "rejectionReason": "  Wrong customer  "},
        content_type="application/json",
    )
    assert via_api.json()["artifact"]["rejectionReason"] == "Wrong customer"
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert f"Reason: {escape(reason)}" in page.text
    assert '<datalist id="rejection-reasons">' in page.text
    admin = admin_client(bob)
    filtered = admin.get("/admin/crm_artifacts/proposal/", {"rejection_reason": reason})
    assert filtered.status_code == 200
    assert f"/admin/crm_artifacts/proposal/{batch[1].pk}/change/" in filtered.text
    assert f"/admin/crm_artifacts/proposal/{batch[2].pk}/change/" not in filtered.text


def test_a_null_rejection_reason_through_the_api_means_none_as_its_schema_says(
    bob_client, batch, reload
):
    """The OpenAPI schema types rejectionReason as a string or null; null is no reason,
    with a rejection or any other decision (the fuzz test found the schema saying less)."""
    for proposal, status in ((batch[1], "rejected"), (batch[2], "accepted")):
        response = bob_client.patch(
            f"/api/artifacts/{proposal.pk}",
            {"status": status, "rejectionReason": None},
            content_type="application/json",
        )
        assert response.status_code == 200
        assert response.json()["artifact"]["rejectionReason"] == ""
        assert reload(proposal).status == status
    refused = bob_client.patch(
        f"/api/artifacts/{batch[0].pk}",
        {"status": "rejected", "rejectionReason": 7},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert reload(batch[0]).status == "pending"


def test_a_rejection_reason_too_long_is_refused_on_the_row(bob_client, batch, reload):
    response = bob_client.post(f"/crm/artifacts/{batch[1].pk}/reject/", {"reason": "x" * 501})
    assert response.status_code == 400
    assert reload(batch[1]).status == "pending"


def test_review_page_queries_stay_constant_with_more_proposals(
    bob_client, customer, make_batch, bob
):
    def grow() -> None:
        for n in range(4):
            make_batch(customer, employer=f"Firm {n}", occupation=f"Job {n}")

    make_batch(customer, phone="07700 900123")
    assert_constant_queries(lambda: bob_client.get(f"/crm/customers/{customer.pk}/"), grow)
    assert_constant_queries(lambda: bob_client.get("/crm/proposals/"), grow)


def test_accept_all_asks_first_on_a_page_without_javascript_and_in_a_dialog(
    bob_client, customer, batch, reload
):
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    confirm_url = f"/crm/batches/{batch[0].batch_id}/confirm/"
    assert f'href="{confirm_url}?decision=accept" data-dialog="confirm-accept-' in page.text
    assert f'<dialog id="confirm-accept-{batch[0].batch_id}"' in page.text
    assert f'<dialog id="confirm-reject-{batch[0].batch_id}"' in page.text
    question = bob_client.get(confirm_url, {"decision": "accept"})
    assert question.status_code == 200
    assert "Accept all 3 pending proposals of this batch?" in question.text
    assert f'action="/crm/batches/{batch[0].batch_id}/accept/"' in question.text
    assert {reload(p).status for p in batch} == {"pending"}  # asking decides nothing
    reject = bob_client.get(confirm_url, {"decision": "reject"})
    assert f'action="/crm/batches/{batch[0].batch_id}/reject/"' in reject.text


def test_the_nav_shows_the_crm_menu_and_pending_count_to_rms_only(
    client_for, bob_client, alice, batch
):
    item = bob_client.get("/crm/nav/")
    assert '<span class="badge" title="3 pending proposals">3</span>' in item.text
    assert 'href="/crm/customers/"' in item.text
    assert client_for(alice).get("/crm/nav/").text.strip() == ""  # RM of no customer
    empty = client_for(alice).get("/crm/customers/")
    assert "No customers yet" in empty.text  # a helpful empty page, not an error


def test_the_nav_count_is_one_query_whatever_the_size(bob_client, customer, make_batch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def crm_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            bob_client.get("/crm/nav/")
        return sum("crm_artifacts" in q["sql"] for q in captured.captured_queries)

    make_batch(customer, email="one@x.example")
    assert crm_queries() == 1
    for n in range(3):
        make_batch(customer, employer=f"Firm {n}")
    assert crm_queries() == 1


def test_a_single_decision_refreshes_the_batchs_confirm_dialogs_out_of_band(
    bob_client, customer, batch
):
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert "Accept all 3 pending proposals of this batch?" in page.text
    row = bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/", **HTMX)
    assert row.status_code == 200
    assert f'<dialog id="confirm-accept-{batch[0].batch_id}"' in row.text
    assert row.text.count('hx-swap-oob="true"') >= 4  # card, counts and the two dialogs
    assert "Accept all 2 pending proposals of this batch?" in row.text
    assert "Reject all 2 pending proposals of this batch?" in row.text
    assert escape("Email:") not in row.text.split("<dialog", 1)[1]  # the decided one is gone
