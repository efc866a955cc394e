"""The CRM review screens' cached fragments never hide a change (ui/fragments.py):
each page is read once to fill the cache, the data changes behind it (a raw
UPDATE that bumps no timestamp, another decision path), and the next read
shows the change."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_artifacts.models import Customer, FollowUp, Proposal
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("screen", ["customer", "proposals"])
def test_a_proposed_value_changed_behind_the_page_shows(
    screen, bob, bob_client, customer, make_batch
):
    (email,) = make_batch(customer, email="jane@new.example")
    url = f"/crm/customers/{customer.pk}/" if screen == "customer" else "/crm/proposals/"
    assert "jane@new.example" in bob_client.get(url).text
    with tenant_context(bob.tenant_id):
        payload = {**email.payload, "proposed_value": "jane@newer.example"}
        Proposal.objects.filter(pk=email.pk).update(payload=payload)
    text = bob_client.get(url).text
    assert '<strong class="proposed">jane@newer.example</strong>' in text
    assert '<strong class="proposed">jane@new.example</strong>' not in text


@pytest.mark.parametrize("screen", ["customer", "proposals"])
def test_a_profile_changed_behind_the_page_flags_the_proposal_stale(
    screen, bob, bob_client, customer, make_batch
):
    make_batch(customer, email="jane@new.example")
    url = f"/crm/customers/{customer.pk}/" if screen == "customer" else "/crm/proposals/"
    assert "Out of date" not in bob_client.get(url).text
    with tenant_context(bob.tenant_id):
        profile = {**customer.profile, "email": "jane@elsewhere.example"}
        Customer.objects.filter(pk=customer.pk).update(profile=profile)
    text = bob_client.get(url).text
    assert "Out of date" in text
    assert "jane@elsewhere.example" in text


def test_a_decision_moves_the_row_from_pending_to_decided(bob, bob_client, customer, make_batch):
    (email,) = make_batch(customer, email="jane@new.example")
    url = f"/crm/customers/{customer.pk}/"
    assert "<h2>Decided</h2>" not in bob_client.get(url).text
    bob_client.post(f"/crm/artifacts/{email.pk}/accept/")
    text = bob_client.get(url).text
    assert "<h2>Decided</h2>" in text
    assert "Nothing waiting for a decision" in text


def test_the_headings_pending_count_follows_a_decision_made_behind_the_page(
    bob, bob_client, customer, make_batch
):
    """The count comes with the open batches' digest, not from the cached rows."""
    email, _phone = make_batch(customer, email="jane@new.example", phone="07700 900123")
    url = f"/crm/customers/{customer.pk}/"
    assert bob_client.get(url).text.count(">2 pending</span>") == 1
    with tenant_context(bob.tenant_id):  # another path: no service, no page
        Proposal.objects.filter(pk=email.pk).update(status="rejected", decided_at=email.created_at)
    text = bob_client.get(url).text
    assert text.count(">1 pending</span>") == 1
    assert '<strong id="batch-count-' in text
    assert ">1 pending</strong>" in text


def test_cached_rows_carry_this_sessions_csrf_token(client_for, bob, customer, make_batch):
    """Two sessions share a cached fragment; each one's forms post with its own token."""
    (email,) = make_batch(customer, email="jane@new.example")
    url = f"/crm/customers/{customer.pk}/"
    first, second = client_for(bob), client_for(bob)
    first.get(url)
    second_page = second.get(url)
    assert second_page.status_code == 200
    enforcing = client_for(bob)
    enforcing.handler.enforce_csrf_checks = True
    page = enforcing.get(url).text
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    answer = enforcing.post(f"/crm/artifacts/{email.pk}/accept/", {"csrfmiddlewaretoken": token})
    assert answer.status_code == 302


def test_the_side_column_shows_a_profile_or_follow_up_changed_behind_it(bob, bob_client, customer):
    url = f"/crm/customers/{customer.pk}/"
    assert "Open follow-ups" not in bob_client.get(url).text
    with tenant_context(bob.tenant_id):
        profile = {**customer.profile, "employer": "Initech Behind The Page"}
        Customer.objects.filter(pk=customer.pk).update(profile=profile)
        FollowUp.objects.create(
            tenant_id=bob.tenant_id,
            customer=customer,
            rm=bob,
            workflow="follow_up",
            title="Call about the renewal",
            due_on=datetime.date(2027, 1, 4),
        )
    text = bob_client.get(url).text
    side = text.split('class="crm-side"')[1]
    assert "Initech Behind The Page" in side
    assert "Call about the renewal" in side
    with tenant_context(bob.tenant_id):
        FollowUp.objects.filter(customer=customer).update(title="Call about the contract")
    side = bob_client.get(url).text.split('class="crm-side"')[1]
    assert "Call about the contract" in side
    assert "Call about the renewal" not in side


def test_notes_sent_back_with_an_error_are_never_cached_nor_served_to_others(
    bob, client_for, customer
):
    """A refused notes form shows what was typed; the next plain page shows an empty one."""
    url = f"/crm/customers/{customer.pk}/"
    client = client_for(bob)
    client.get(url)
    refused = client.post(f"/crm/customers/{customer.pk}/notes/", {"notes": "x" * 10_001})
    assert refused.status_code == 400
    assert "x" * 100 in refused.text
    again = client_for(bob).get(url).text
    assert "x" * 100 not in again


@pytest.mark.parametrize("screen", ["customer", "proposals"])
def test_a_screen_served_from_the_cache_reads_no_proposal_row(
    screen, bob_client, customer, make_batch
):
    """The second view of an unchanged screen reads the proposals' digest, not the rows
    (the rows and their digest come in one statement: `SELECT digested.*`)."""
    make_batch(customer, email="jane@new.example", phone="07700 900123")
    url = f"/crm/customers/{customer.pk}/" if screen == "customer" else "/crm/proposals/"

    def statements() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert "jane@new.example" in bob_client.get(url).text
        return [q["sql"] for q in queries.captured_queries]

    assert any(sql.startswith("SELECT digested.*") for sql in statements())  # filled
    assert not any(sql.startswith("SELECT digested.*") for sql in statements())
