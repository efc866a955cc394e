"""The demo data: bob's Acme customers with pending (some stale) batches, carol's Globex ones."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from crm_artifacts import services
from crm_artifacts.models import Customer, FollowUp, Proposal
from tenancy.context import tenant_context
from tenancy.models import User

pytestmark = pytest.mark.django_db


def snapshot(tenant_id: int) -> tuple:
    with tenant_context(tenant_id):
        return (
            sorted(Customer.objects.values_list("profile__fullName", "rm__email")),
            sorted(Proposal.objects.values_list("customer__profile__fullName", "status")),
            FollowUp.objects.count(),
        )


def test_seed_demo_gives_bob_pending_and_stale_batches_and_is_idempotent(
    settings, django_capture_on_commit_callbacks
):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):  # workflows run after commit
        call_command("seed_demo")
    bob = User.objects.get(email="bob@acme.test")
    carol = User.objects.get(email="carol@globex.test")
    acme, globex = snapshot(bob.tenant_id), snapshot(carol.tenant_id)

    assert {rm for _, rm in acme[0]} == {"bob@acme.test"}
    assert len(acme[0]) >= 3
    assert {rm for _, rm in globex[0]} == {"carol@globex.test"}
    assert ("Jane Doe", "pending") in acme[1]
    assert {"accepted", "rejected"} <= {status for _, status in acme[1]}
    assert acme[2] >= 1  # the accepted proposal's follow-up workflow ran

    with tenant_context(bob.tenant_id):
        pending = Proposal.objects.filter(status="pending").select_related("customer")
        stale = [
            a
            for a in pending
            if services.stale_values(a, a.customer.profile, a.payload["proposed_value"])
        ]
    assert len(stale) >= 2

    call_command("seed_demo")
    assert (snapshot(bob.tenant_id), snapshot(carol.tenant_id)) == (acme, globex)


def test_seed_demo_prints_a_working_api_token_and_revokes_the_last_one(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _printed_token(capsys.readouterr().out)
    call_command("seed_demo")
    second = _printed_token(capsys.readouterr().out)
    assert first != second
    bob = User.objects.get(email="bob@acme.test")
    with tenant_context(bob.tenant_id):
        jane = Customer.objects.get(profile__fullName="Jane Doe")
    url = f"/api/customers/{jane.pk}/proposals"
    assert Client(HTTP_AUTHORIZATION=f"Bearer {second}").get(url).status_code == 200
    assert Client(HTTP_AUTHORIZATION=f"Bearer {first}").get(url).status_code == 401


def _printed_token(output: str) -> str:
    line = next(line for line in output.splitlines() if "API token" in line)
    return line.rsplit(" ", 1)[1]


def test_seed_demo_gives_bob_weeks_of_decisions_for_the_insights_page(demo, client_for):
    from tenancy.models import User

    bob = User.objects.get(email="bob@acme.test")
    page = client_for(bob).get("/crm/insights/").text
    assert "No decisions in these weeks" not in page
    chart = page.split('<desc id="chart-svg-desc">')[1].split("</desc>")[0]
    weeks_with_decisions = chart.count(" rejected.")
    assert weeks_with_decisions >= 8
    assert "Inbox agent" in page
    assert "CRM sync agent" in page
    assert "(own words)" in page
    assert 'Stale when decided</p><span class="stat-value">0%' not in page
