"""The all-pending screen's filters and sorts (issue 13 §2): customer, field,
confidence and age, sorted by age or confidence; state in the URL, GET form
without JavaScript, the results alone for htmx; constant queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from crm_artifacts.models import Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

URL = "/crm/proposals/"


@pytest.fixture
def other(bob):
    return CustomerFactory(rm=bob, profile={"fullName": "Zed Zimmer", "email": "zed@old.example"})


@pytest.fixture
def proposals(bob, customer, other, make_batch):
    """Jane: an email (high, today) and an employer (low, 10 days old); Zed: an email
    (medium, 3 days old)."""
    email, employer = make_batch(customer, email="jane@new.example", employer="Initech")
    (zed,) = make_batch(other, email="zed@new.example")
    now = timezone.now()
    with tenant_context(bob.tenant_id):
        for proposal, confidence, days in ((employer, "low", 10), (zed, "medium", 3)):
            payload = {**proposal.payload, "confidence": confidence}
            Proposal.objects.filter(pk=proposal.pk).update(
                payload=payload, created_at=now - dt.timedelta(days=days)
            )
    return {"email": email, "employer": employer, "zed": zed}


def shown(page) -> list[int]:
    """The proposal ids on the page, in order."""
    return [
        int(pk) for pk in re.findall(r'<li class="proposal[^"]*" id="artifact-(\d+)"', page.text)
    ]


def test_each_filter_narrows_the_pending_list(bob_client, customer, other, proposals):
    p = proposals
    cases = {
        "": [p["employer"].pk, p["email"].pk, p["zed"].pk],  # by customer, newest batch first
        f"?customer={other.pk}": [p["zed"].pk],
        "?field=email": [p["email"].pk, p["zed"].pk],
        "?confidence=high": [p["email"].pk],
        "?confidence=low&field=employer": [p["employer"].pk],
        "?age=today": [p["email"].pk],
        "?age=week": [p["email"].pk, p["zed"].pk],
        "?age=older": [p["employer"].pk],
    }
    for query, expected in cases.items():
        page = bob_client.get(URL + query)
        assert page.status_code == 200, query
        assert sorted(shown(page)) == sorted(expected), query
    filtered = bob_client.get(URL + "?field=email")
    assert "2 pending proposals match these filters, across 2 customers." in filtered.text
    # Batch-wide actions would act on rows the filter hides: on the customer's page only.
    assert 'aria-label="Accept all for' not in filtered.text
    assert '<option value="email" selected>' in filtered.text  # the state is in the form


def test_sorting_by_age_or_confidence(bob_client, proposals):
    """Rows stay grouped by customer and batch (the batch actions need them); the
    groups come in the order of their first row in the sort."""
    email, employer, zed = proposals["email"].pk, proposals["employer"].pk, proposals["zed"].pk
    cases = {
        "?sort=oldest": [employer, email, zed],  # Jane's 10-day-old row first
        "?sort=newest": [email, employer, zed],
        "?sort=confidence": [email, employer, zed],  # high, then (Zed's) medium
        "?sort=oldest&field=email": [zed, email],  # Zed's is 3 days old, Jane's today
        "?sort=newest&field=email": [email, zed],
        "?sort=confidence&field=email": [email, zed],
        "?sort=confidence&age=week": [email, zed],
    }
    for query, expected in cases.items():
        assert shown(bob_client.get(URL + query)) == expected, query


def test_no_match_shows_an_empty_state_with_clear_filters_and_bad_values_are_ignored(
    bob_client, proposals
):
    empty = bob_client.get(URL + "?field=phone")
    assert empty.status_code == 200
    assert "No pending proposal matches these filters" in empty.text
    assert "Clear filters" in empty.text
    bad = bob_client.get(URL + "?customer=abc&age=forever&sort=sideways")
    assert bad.status_code == 200
    assert len(shown(bad)) == 3
    assert "(ignored)" in bad.text


def test_htmx_gets_the_results_alone(bob_client, proposals):
    page = bob_client.get(URL + "?field=employer", HTTP_HX_REQUEST="true")
    assert page.text.lstrip().startswith('<div id="pending-results">')
    assert shown(page) == [proposals["employer"].pk]
    assert "crm-filters" not in page.text


def test_filtered_page_queries_stay_constant(bob_client, customer, other, make_batch, proposals):
    def grow() -> None:
        for n in range(4):
            make_batch(customer, phone=f"07700 90012{n}", occupation=f"Job {n}")
            make_batch(other, phone=f"07700 90013{n}")

    queries = ["?field=phone&sort=confidence", f"?customer={customer.pk}&age=week&sort=oldest"]
    for query in queries:
        assert_constant_queries(lambda q=query: bob_client.get(URL + q), grow)
