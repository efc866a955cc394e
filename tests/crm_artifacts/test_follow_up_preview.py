"""What accepting will also do, before the click (issue 13 §2): the follow-up
tasks a batch's accept creates are listed on the batch, in the confirm dialog
and page, and on the all-pending screen, computed by the code that writes them."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from crm_artifacts.models import FollowUp
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_the_batch_announces_its_follow_up_tasks_and_accepting_creates_exactly_those(
    bob, bob_client, customer, make_batch
):
    batch = make_batch(
        customer, workflow_trigger="follow_up", email="jane@new.example", occupation="Pilot"
    )
    titles = [
        "Confirm with Jane Doe: Email is now “jane@new.example”",
        "Confirm with Jane Doe: Occupation is now “Pilot”",
    ]
    confirm = f"/crm/batches/{batch[0].batch_id}/confirm/?decision=accept"
    for url in (f"/crm/customers/{customer.pk}/", "/crm/proposals/", confirm):
        page = bob_client.get(url)
        assert "Accepting all also creates 2 follow-up tasks:" in page.text, url
        for title in titles:
            assert escape(title) in page.text, url
    reject_page = bob_client.get(confirm.replace("accept", "reject"))
    assert "follow-up-preview" not in reject_page.text  # a rejection starts nothing

    bob_client.post(f"/crm/batches/{batch[0].batch_id}/accept/")
    with tenant_context(bob.tenant_id):
        created = sorted(FollowUp.objects.filter(customer=customer).values_list("title", flat=True))
    assert created == sorted(titles)
    assert "follow-up-preview" not in bob_client.get(f"/crm/customers/{customer.pk}/").text


def test_a_batch_without_a_workflow_announces_nothing(bob_client, customer, make_batch):
    make_batch(customer, email="jane@new.example")
    assert "follow-up-preview" not in bob_client.get(f"/crm/customers/{customer.pk}/").text


def test_only_the_still_pending_ones_are_announced(bob_client, customer, make_batch):
    batch = make_batch(
        customer, workflow_trigger="risk_review", email="jane@new.example", occupation="Pilot"
    )
    bob_client.post(f"/crm/artifacts/{batch[0].pk}/reject/")
    page = bob_client.get(f"/crm/customers/{customer.pk}/")
    assert "Accepting all also creates 1 follow-up task:" in page.text
    assert escape("Review Jane Doe's investments: Occupation is now “Pilot”") in page.text
