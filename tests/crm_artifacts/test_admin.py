"""Admin: customers through the registry and the services, proposals read-only and
decided through the services (so only the RM decides, here too)."""

from __future__ import annotations

import pytest
from django.test import Client

from crm_artifacts.models import Customer, FollowUp, Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def batch(customer, make_batch):
    return make_batch(customer, email="jane@new.example", occupation="Pilot")


def test_customer_list_search_and_tenant_scope(bob, customer, globex_customer, batch):
    client = admin_client(bob)
    response = client.get("/admin/crm_artifacts/customer/")
    assert response.status_code == 200
    assert "Jane Doe" in response.text
    assert "Greta Globex" not in response.text
    assert "Jane Doe" in client.get("/admin/crm_artifacts/customer/", {"q": "jane"}).text
    assert "Jane Doe" not in client.get("/admin/crm_artifacts/customer/", {"q": "zzz"}).text


def test_customer_add_and_change_go_through_the_registry(bob, alice, in_tenant):
    client = admin_client(bob)
    response = client.post(
        "/admin/crm_artifacts/customer/add/",
        {"rm": bob.pk, "fullName": "New Person", "email": "NEW@x.example", "dependents": "2"},
    )
    assert response.status_code == 302, response.text
    with in_tenant(bob):
        created = Customer.objects.get()
    assert created.profile == {"fullName": "New Person", "email": "new@x.example", "dependents": 2}
    assert created.tenant_id == bob.tenant_id

    bad = client.post(
        f"/admin/crm_artifacts/customer/{created.pk}/change/",
        {"rm": alice.pk, "fullName": "New Person", "phone": "call me"},
    )
    assert bad.status_code == 200
    assert "Enter a phone number" in bad.text
    client.post(
        f"/admin/crm_artifacts/customer/{created.pk}/change/",
        {"rm": alice.pk, "fullName": "New Person", "riskTolerance": "moderate"},
    )
    with in_tenant(bob):
        changed = Customer.objects.get()
    assert changed.rm_id == alice.pk
    assert changed.profile == {"fullName": "New Person", "riskTolerance": "moderate"}


def test_customer_rm_choices_are_the_tenants_people(bob, carol):
    client = admin_client(bob)
    response = client.post("/admin/crm_artifacts/customer/add/", {"rm": carol.pk, "fullName": "X"})
    assert "Select a valid choice" in response.text


def test_artifact_list_filters_and_search(bob, customer, batch, make_batch):
    other = make_batch(
        CustomerFactory(rm=bob, profile={"fullName": "Other One"}), phone="07700 900123"
    )
    client = admin_client(bob)
    base = "/admin/crm_artifacts/proposal/"
    assert client.get(base).status_code == 200
    by_batch = client.get(base, {"batch_id": other[0].batch_id}).text
    assert "07700 900123" in by_batch
    assert "jane@new.example" not in by_batch
    assert "Pilot" in client.get(base, {"status": "pending", "artifact_type": "profile_edit"}).text
    assert "Pilot" not in client.get(base, {"status": "accepted"}).text
    assert "Pilot" in client.get(base, {"customer__id__exact": customer.pk}).text
    assert "07700" in client.get(base, {"q": "Other One"}).text


def test_artifacts_are_read_only_in_the_admin(bob, batch, reload):
    client = admin_client(bob)
    url = f"/admin/crm_artifacts/proposal/{batch[0].pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "&quot;proposed_value&quot;: &quot;jane@new.example&quot;" in page.text
    assert 'name="_save"' not in page.text
    assert client.post(url, {"status": "accepted"}).status_code == 403
    assert client.get("/admin/crm_artifacts/proposal/add/").status_code == 403
    assert client.post(f"/admin/crm_artifacts/proposal/{batch[0].pk}/delete/").status_code == 403
    assert reload(batch[0]).status == "pending"


def test_admin_actions_decide_through_the_services(bob, customer, batch, reload):
    client = admin_client(bob)
    response = client.post(
        "/admin/crm_artifacts/proposal/",
        {"action": "accept_selected", "_selected_action": [batch[0].pk]},
        follow=True,
    )
    assert "1 proposal(s) accepted." in response.text
    assert reload(customer).profile["email"] == "jane@new.example"
    again = client.post(
        "/admin/crm_artifacts/proposal/",
        {"action": "reject_selected", "_selected_action": [batch[0].pk, batch[1].pk]},
        follow=True,
    )
    assert "1 proposal(s) rejected." in again.text
    assert "already accepted" in again.text
    assert [reload(a).status for a in batch] == ["accepted", "rejected"]


def test_a_tenant_admin_who_is_not_the_rm_cannot_decide(alice, customer, batch, reload):
    response = admin_client(alice).post(
        "/admin/crm_artifacts/proposal/",
        {"action": "accept_selected", "_selected_action": [batch[0].pk]},
        follow=True,
    )
    assert "relationship manager can see and decide" in response.text
    assert reload(batch[0]).status == "pending"


def test_follow_ups_are_listed_and_marked_done(bob, alice, customer, batch, in_tenant):
    from crm_artifacts.tasks import run_workflows

    with in_tenant(bob):
        Proposal.objects.filter(pk=batch[0].pk).update(workflow_trigger="follow_up")
        from crm_artifacts import services

        services.artifact_accept(artifact=Proposal.objects.get(pk=batch[0].pk), user=bob)
    run_workflows.call(tenant_id=bob.tenant_id, artifact_ids=[batch[0].pk])
    with in_tenant(bob):
        follow_up = FollowUp.objects.get()
    client = admin_client(alice)  # a tenant admin, on bob's behalf
    assert "Confirm with Jane Doe" in client.get("/admin/crm_artifacts/followup/").text
    client.post(
        "/admin/crm_artifacts/followup/",
        {"action": "mark_done", "_selected_action": [follow_up.pk]},
    )
    with tenant_context(bob.tenant_id):
        assert FollowUp.objects.get().done
