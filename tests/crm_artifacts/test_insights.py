"""The CRM insights page (issue 18 §4): who sees which figures, the figures on a
known set of decisions, the empty states and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from crm_artifacts import selectors, services
from crm_artifacts.models import CreatorType, Customer, Proposal
from tenancy.context import tenant_context
from tenancy.demo import tenant_admin_group
from tests.crm_artifacts.factories import CustomerFactory
from tests.factories import UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

URL = "/crm/insights/"
THIS_WEEK = selectors._week_start(timezone.now()) + dt.timedelta(hours=1)


def decide(
    customer: Customer,
    key: str,
    value: Any,
    decision: str,
    *,
    weeks_ago: int = 0,
    age_hours: float = 1.5,
    reason: str = "",
    agent: str = "test-agent",
    stale_with: Any = None,
) -> Proposal:
    """One proposal for `customer`, decided by its RM, then dated `weeks_ago` weeks
    back and made `age_hours` before its decision (the services date it now)."""
    with tenant_context(customer.tenant_id):
        [proposal] = services.artifact_create_batch(
            customer=customer,
            edits=[
                services.ProfileEditInput(
                    field_key=key, proposed_value=value, source_text="notes", confidence="high"
                )
            ],
            created_by_type=CreatorType.AGENT,
            created_by_id=agent,
        )
        if stale_with is not None:  # someone changed the field after the proposal
            services.customer_set_profile_values(customer=customer, values={key: stale_with})
        edited = {"edited_value": f"{value}x"} if decision == "edit" else {}
        services.proposal_decide(
            user=customer.rm,
            proposal_id=proposal.pk,
            decision=decision,
            reason=reason,
            confirm_stale=True,
            **edited,
        )
        decided_at = THIS_WEEK - dt.timedelta(weeks=weeks_ago)
        Proposal.objects.filter(pk=proposal.pk).update(
            decided_at=decided_at, created_at=decided_at - dt.timedelta(hours=age_hours)
        )
        return Proposal.objects.get(pk=proposal.pk)


@pytest.fixture
def acme_admin(alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    return alice


@pytest.fixture
def decisions(bob, carol, acme) -> dict[str, Proposal]:
    """bob's customer Jane: five decisions in the last two weeks and one 20 weeks ago;
    erin's customer (same tenant) one; carol's (Globex) one."""
    jane = CustomerFactory(
        rm=bob, profile={"fullName": "Jane Doe", "email": "jane@old.example", "dependents": 1}
    )
    erin = UserFactory(email="erin@acme.test", display_name="Erin Ek", tenant=acme)
    omar = CustomerFactory(rm=erin, profile={"fullName": "Omar Haddad"})
    greta = CustomerFactory(rm=carol, profile={"fullName": "Greta Globex"})
    return {
        "email": decide(jane, "email", "jane@new.example", "accept", age_hours=2),
        "employer": decide(jane, "employer", "Initech", "edit", age_hours=30),
        "occupation": decide(
            jane,
            "occupation",
            "Pilot",
            "reject",
            age_hours=0.5,
            reason="Not what the customer said",
        ),
        "dependents": decide(
            jane,
            "dependents",
            2,
            "reject",
            weeks_ago=1,
            age_hours=5,
            reason="  not what the CUSTOMER said ",
        ),
        "risk": decide(
            jane,
            "riskTolerance",
            "conservative",
            "reject",
            weeks_ago=1,
            age_hours=200,
            reason="Her assistant's answer",
            agent="Inbox agent",
            stale_with="aggressive",
        ),
        "old": decide(jane, "phone", "020 7946 0000", "accept", weeks_ago=20),
        "erin": decide(omar, "email", "omar@new.example", "accept", agent="Erin's agent"),
        "globex": decide(greta, "email", "g@new.example", "reject", reason="Globex only reason"),
    }


def stat(page: str, label: str) -> str:
    """The value of one of the page's figures, as shown."""
    found = re.search(
        rf'<p class="stat-label">{re.escape(label)}</p><span class="stat-value">([^<]*)</span>'
        r'<span class="stat-detail">([^<]*)</span>',
        page,
    )
    assert found, f"no {label!r} figure on the page"
    return f"{found[1]} | {found[2]}"


def test_the_rm_sees_the_figures_of_their_own_customers(client_for, bob, decisions):
    page = client_for(bob).get(URL).text
    assert stat(page, "Decided") == "5 | proposals"
    assert stat(page, "Accepted as proposed") == "20% | 1 of 5"
    assert stat(page, "Edited, then accepted") == "20% | 1 of 5"
    assert stat(page, "Rejected") == "60% | 3 of 5"
    assert stat(page, "Stale when decided") == "20% | 1 of 5, 0 accepted anyway"
    # Ages 0.5, 2, 5, 30 and 200 hours: the middle one.
    assert stat(page, "Median time to decide") == "5.0 h | from proposed to decided"
    assert 'Within an hour</span><span class="progress-count">1 (20%)' in page
    assert '1 hour to 1 day</span><span class="progress-count">2 (40%)' in page
    assert '1 to 7 days</span><span class="progress-count">1 (20%)' in page
    assert 'Over a week</span><span class="progress-count">1 (20%)' in page
    # The preset in any case and spacing counts once, with its count; own words say so.
    reasons = page.split('id="reasons-title"')[1].split("</section>")[0]
    assert re.search(r"Not what the customer said</span><span class=\"count\">2<", reasons)
    assert 'Her assistant&#x27;s answer <span class="muted">(own words)</span>' in reasons
    # Per agent: test-agent decided 4 here, the Inbox agent 1 (rejected).
    agents = page.split('id="rates-agent-title"')[1].split("</section>")[0]
    assert re.search(r"test-agent</a></td>\s*<td data-label=\"Decided\">4</td>", agents)
    assert re.search(
        r"Inbox agent</a></td>\s*<td data-label=\"Decided\">1</td>"
        r"\s*<td data-label=\"Accepted\">0%</td>\s*<td data-label=\"Edited\">0%</td>"
        r"\s*<td data-label=\"Rejected\">100%</td>",
        agents,
    )
    # Not another RM's customer, not another tenant's.
    for other in ("Erin&#x27;s agent", "Globex only reason"):
        assert other not in page


def test_the_chart_draws_each_week_with_a_table_of_the_same_numbers(client_for, bob, decisions):
    page = client_for(bob).get(URL, {"weeks": "4"}).text
    svg = page.split('<svg class="insights-svg"')[1].split("</svg>")[0]
    assert 'role="img"' in page.split('<svg class="insights-svg"')[1][:300]
    assert '<title id="chart-svg-title">' in svg
    assert '<desc id="chart-svg-desc">' in svg
    this_week = THIS_WEEK.strftime("%-d %b")
    last_week = (THIS_WEEK - dt.timedelta(weeks=1)).strftime("%-d %b")
    assert f"Week of {this_week}: 1 accepted, 1 edited, 1 rejected." in svg
    assert f"Week of {last_week}: 0 accepted, 0 edited, 2 rejected." in svg
    assert svg.count('<rect class="rejected"') == 2  # one segment in each week with any
    table = page.split('class="insights-numbers"')[1].split("</details>")[0]
    assert table.count("<tr><td>") == 4  # the four weeks of the period, empty ones too
    assert '<td data-label="Rejected">2 (100%)</td>' in table
    # One field's chart: the rows link to it, the selector keeps it.
    field_page = client_for(bob).get(URL, {"weeks": "4", "show": "field:email"}).text
    assert "Email: decisions by week" in field_page
    assert '<option value="field:email" selected>' in field_page
    assert f"Week of {this_week}: 1 accepted, 0 edited, 0 rejected." in field_page


def test_the_period_selector_reaches_older_decisions_and_ignores_nonsense(
    client_for, bob, decisions
):
    client = client_for(bob)
    assert stat(client.get(URL, {"weeks": "26"}).text, "Decided") == "6 | proposals"
    for nonsense in ("7", "abc", "-1", "99999999999999999999"):
        response = client.get(URL, {"weeks": nonsense, "show": "agent:nobody"})
        assert response.status_code == 200
        assert stat(response.text, "Decided") == "5 | proposals"  # the default 12 weeks
        assert "All proposals: decisions by week" in response.text


def test_a_tenant_admin_sees_the_whole_tenant_and_nothing_of_another(
    client_for, acme_admin, decisions
):
    page = client_for(acme_admin).get(URL).text
    assert "every customer's proposals in your organisation" in page
    assert stat(page, "Decided") == "6 | proposals"
    assert "Erin&#x27;s agent" in page
    assert "Globex only reason" not in page


def test_another_tenants_rm_sees_only_their_own(client_for, carol, decisions):
    page = client_for(carol).get(URL).text
    assert stat(page, "Decided") == "1 | proposal"
    assert "Globex only reason" in page
    for acme_text in ("Her assistant", "Inbox agent", "Erin"):
        assert acme_text not in page


def test_someone_neither_rm_nor_admin_gets_a_page_saying_who_sees_insights(
    client_for, alice, decisions
):
    response = client_for(alice).get(URL)
    assert response.status_code == 200
    assert "Insights are for relationship managers and tenant admins" in response.text
    assert 'class="stat"' not in response.text


def test_an_rm_without_decisions_in_the_period_gets_the_empty_state(client_for, bob):
    CustomerFactory(rm=bob, profile={"fullName": "Jane Doe"})
    page = client_for(bob).get(URL).text
    assert "No decisions in these weeks" in page
    assert 'href="/crm/proposals/"' in page


def test_the_crm_pages_link_to_insights_for_rms_and_admins_without_customers(
    client_for, bob, acme_admin
):
    CustomerFactory(rm=bob, profile={"fullName": "Jane Doe"})
    assert 'href="/crm/insights/"' in client_for(bob).get("/crm/customers/").text
    nav = client_for(acme_admin).get("/crm/nav/").text
    assert 'href="/crm/insights/"' in nav
    assert "CRM insights" in nav


def test_the_decision_service_records_staleness_on_every_path(bob, make_batch, reload):
    jane = CustomerFactory(rm=bob, profile={"fullName": "Jane Doe", "email": "a@old.example"})
    batch = make_batch(jane, email="b@new.example", occupation="Pilot")
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=jane, values={"email": "c@typed.example"})
        services.proposal_decide_batch(
            user=bob, batch_id=batch[0].batch_id, decision="accept", confirm_stale=True
        )
    assert [reload(p).stale_at_decision for p in batch] == [True, False]


@pytest.mark.parametrize("who", ["rm", "admin"])
def test_the_page_reads_a_constant_number_of_queries(client_for, bob, acme_admin, who):
    jane = CustomerFactory(rm=bob, profile={"fullName": "Jane Doe"})
    client = client_for(bob if who == "rm" else acme_admin)
    counter = iter(range(100))

    def grow() -> None:
        for n in range(5):
            i = next(counter)
            decide(
                jane,
                "occupation",
                f"Job {i}",
                ["accept", "reject", "edit"][n % 3],
                weeks_ago=n,
                reason=f"reason {i}" if n % 3 == 1 else "",
                agent=f"agent {i}",
            )

    grow()
    assert_constant_queries(lambda: client.get(URL), grow)
