"""The profile's history: every change captured by pghistory's triggers, with its
source, shown per field on the customer's page and in the admin; reverts."""

from __future__ import annotations

import pytest
from django.db import connection

from crm_artifacts import selectors, services
from crm_artifacts.models import CustomerProfileEvent
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory
from tests.crm_artifacts.test_admin import admin_client
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot")


def events(customer):
    with tenant_context(customer.tenant_id):
        return list(
            CustomerProfileEvent.objects.filter(pgh_obj=customer)
            .order_by("pgh_id")
            .values_list("pgh_label", "pgh_context", "profile")
        )


def test_an_accepted_proposal_is_recorded_with_its_source_user_and_url(
    bob_client, bob, customer, batch
):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    label, context, profile = events(customer)[-1]
    assert label == "profile.update"
    assert profile["email"] == "jane@new.example"
    assert context["source"] == "proposal"
    assert context["proposal"] == batch[0].pk
    assert context["batch"] == batch[0].batch_id
    assert context["user"] == bob.pk
    assert context["url"] == f"/crm/artifacts/{batch[0].pk}/accept/"


def test_the_customer_page_shows_a_timeline_per_field(bob_client, customer, batch):
    bob_client.post(f"/crm/batches/{batch[0].batch_id}/accept/")
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert 'id="history"' in page.text
    timeline = page.text.split('id="history"', 1)[1]
    assert "jane@old.example" in timeline
    assert "jane@new.example" in timeline
    made = batch[0].created_at.strftime("%-d %b, %H:%M")
    assert f"accepted by Bob Baker from the notes of {made}" in timeline
    assert "Occupation" in timeline
    assert "Pilot" in timeline


def test_an_admin_edit_is_recorded_and_shown_read_only_in_the_admin(bob, customer):
    client = admin_client(bob)
    response = client.post(
        f"/admin/crm_artifacts/customer/{customer.pk}/change/",
        {"rm": bob.pk, "fullName": "Jane Doe", "email": "jane.d@work.example"},
    )
    assert response.status_code == 302, response.text
    _, context, profile = events(customer)[-1]
    assert context["source"] == "admin"
    assert context["url"] == f"/admin/crm_artifacts/customer/{customer.pk}/change/"
    assert profile["email"] == "jane.d@work.example"
    page = client.get(f"/admin/crm_artifacts/customer/{customer.pk}/change/")
    assert "History of the profile" in page.text
    assert "admin by Bob Baker" in page.text
    assert "jane.d@work.example" in page.text


def test_an_api_decision_says_it_came_through_the_api(bob_client, customer, batch):
    response = bob_client.patch(
        f"/api/artifacts/{batch[1].pk}",
        {"status": "accepted"},
        content_type="application/json",
    )
    assert response.status_code == 200
    _, context, _ = events(customer)[-1]
    assert context["url"] == f"/api/artifacts/{batch[1].pk}"


def test_a_change_outside_the_services_is_still_recorded(customer):
    """The trigger sees raw SQL too: no path can forget to record."""
    with tenant_context(customer.tenant_id), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_artifacts_customer SET profile = profile || %s::jsonb WHERE id = %s",
            ['{"phone": "+44 20 7946 0000"}', customer.pk],
        )
    label, _, profile = events(customer)[-1]
    assert profile["phone"] == "+44 20 7946 0000"
    assert label == "profile.update"


def test_another_tenant_sees_none_of_the_history(customer, batch, carol, bob_client):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    with tenant_context(carol.tenant_id):
        assert not CustomerProfileEvent.objects.exists()
        with connection.cursor() as cursor:  # the fence, not only the ORM's filter
            cursor.execute("SELECT count(*) FROM crm_artifacts_customerprofileevent")
            assert cursor.fetchone()[0] == 0


def test_history_reads_a_fixed_number_of_queries(bob, customer, make_batch):
    def grow() -> None:
        for n in range(6):
            with tenant_context(bob.tenant_id):
                batch = make_batch(customer, occupation=f"Job {n}", employer=f"Firm {n}")
                services.proposal_decide_batch(
                    user=bob, batch_id=batch[0].batch_id, decision="accept"
                )

    def read() -> None:
        with tenant_context(bob.tenant_id):
            selectors.profile_history(customer)

    grow()
    assert_constant_queries(read, grow)


def test_customer_page_queries_stay_constant_with_more_history(
    bob_client, bob, customer, make_batch
):
    def grow() -> None:
        for n in range(5):
            with tenant_context(bob.tenant_id):
                services.customer_set_profile_values(
                    customer=customer, values={"occupation": f"J{n}"}
                )
                make_batch(customer, employer=f"Firm {n}")

    assert_constant_queries(lambda: bob_client.get(f"/crm/customers/{customer.pk}/"), grow)


# --- revert ---------------------------------------------------------------------------


def test_revert_writes_the_previous_value_back_as_a_new_recorded_change(
    bob_client, customer, batch, reload
):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    response = bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/", **HTMX)
    assert response.status_code == 200
    assert "Email reverted" in response.text
    assert '<dd data-field="email">jane@old.example</dd>' in response.text  # out of band
    assert reload(customer).profile["email"] == "jane@old.example"
    stored = reload(batch[0])
    assert stored.status == "accepted"
    assert stored.reverted_at is not None
    _, context, _ = events(customer)[-1]
    assert context["source"] == "revert"
    assert context["proposal"] == batch[0].pk
    assert len([e for e in events(customer) if e[0] == "profile.update"]) == 2


def test_revert_of_a_field_empty_before_removes_it(bob_client, customer, batch, reload):
    bob_client.post(f"/crm/artifacts/{batch[1].pk}/accept/")
    assert reload(customer).profile["occupation"] == "Pilot"
    bob_client.post(f"/crm/artifacts/{batch[1].pk}/revert/")
    assert "occupation" not in reload(customer).profile


def test_revert_is_refused_when_the_field_changed_since(bob_client, bob, customer, batch, reload):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=customer, values={"email": "later@x.example"})
    response = bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/")
    assert response.status_code == 409
    assert "Email changed since this proposal was accepted" in response.text
    assert "later@x.example" in response.text
    assert reload(customer).profile["email"] == "later@x.example"
    assert reload(batch[0]).reverted_at is None


def test_revert_twice_or_of_a_pending_or_rejected_proposal_is_refused(
    bob_client, customer, batch, reload
):
    assert bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/").status_code == 409
    bob_client.post(f"/crm/artifacts/{batch[1].pk}/reject/")
    rejected = bob_client.post(f"/crm/artifacts/{batch[1].pk}/revert/", **HTMX)
    assert rejected.status_code == 409
    assert "Only an accepted or edited proposal can be reverted" in rejected.text
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/")
    again = bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/")
    assert again.status_code == 409
    assert "already reverted" in again.text


def test_revert_through_the_api_is_not_offered_but_pages_are_only_for_the_rm(
    client_for, alice, carol, bob_client, batch
):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    assert client_for(alice).post(f"/crm/artifacts/{batch[0].pk}/revert/").status_code == 403
    assert client_for(carol).post(f"/crm/artifacts/{batch[0].pk}/revert/").status_code == 404
    assert bob_client.get(f"/crm/artifacts/{batch[0].pk}/revert/").status_code == 405


def test_an_edited_proposal_reverts_from_its_edited_value(bob_client, customer, batch, reload):
    field = f"a{batch[0].pk}-value"
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/edit/", {field: "mine@x.example"})
    assert reload(customer).profile["email"] == "mine@x.example"
    assert bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/").status_code == 302
    assert reload(customer).profile["email"] == "jane@old.example"


def test_the_decided_row_offers_revert_until_it_is_reverted(bob_client, customer, batch):
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert f'action="/crm/artifacts/{batch[0].pk}/revert/"' in page.text
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/revert/")
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert f'action="/crm/artifacts/{batch[0].pk}/revert/"' not in page.text
    assert "Reverted by Bob Baker" in page.text


def test_a_second_customer_does_not_mix_into_the_history(bob_client, bob, customer, batch):
    other = CustomerFactory(rm=bob, profile={"fullName": "Other One"})
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/accept/")
    with tenant_context(bob.tenant_id):
        assert selectors.profile_history(other)[0].changes[0].after == "Other One"
        assert all(t.key != "email" for t in selectors.profile_history(other))
