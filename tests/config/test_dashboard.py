"""The dashboard: decisions first, hours saved over time, workshops' progress, in
a fixed number of queries however much there is to show."""

from __future__ import annotations

import datetime
import re

import pytest

from crm_artifacts import services
from crm_artifacts.models import CreatorType
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.utils import assert_constant_queries
from tests.workshops.conftest import make_workshop
from workshops import services as workshop_services
from workshops.models import WorkshopStep

pytestmark = pytest.mark.django_db


def _decision_counts(html: str) -> list[str]:
    return re.findall(r'data-testid="decision-count">(\d+)<', html)


def test_a_relationship_manager_sees_pending_proposals_as_the_headline(
    client_for, bob, customer, make_batch
):
    make_batch(customer, email="jane@new.example", employer="Initech")
    response = client_for(bob).get("/")
    assert response.status_code == 200
    assert "2 decisions wait for you" in response.text
    assert "CRM proposals for your customers" in response.text
    assert _decision_counts(response.text) == ["2", "0"]
    # The headline's one button opens the biggest pile.
    assert '<a class="button primary" href="/crm/proposals/">' in response.text
    assert response.text.count("button primary") == 1


def test_proposals_awaiting_my_answer_are_a_decision_too(alice_client, alice, bob):
    SkillMessageFactory(subject_skill=SkillFactory(author=alice), from_user=bob)
    response = alice_client.get("/")
    assert "1 decision waits for you" in response.text
    assert "CRM proposals" not in response.text.split("decision-list")[1].split("</ul>")[0]
    assert '<a class="button primary" href="/messages/?status=pending">' in response.text


def test_nothing_waiting_says_so_and_offers_the_empty_areas(alice_client):
    response = alice_client.get("/")
    assert "Nothing waits for your decision" in response.text
    assert "button primary" not in response.text  # no pile to open
    assert 'href="/portfolio/new/"' in response.text  # the empty chart's way in
    assert 'href="/workshops/"' in response.text


def test_hours_saved_over_time_is_a_chart_of_my_artifacts(alice_client, alice):
    for month in (1, 2, 4):
        WorkArtifactFactory(
            user=alice, artifact_date=datetime.date(2024, month, 10), estimated_hours_saved=2.5
        )
    response = alice_client.get("/")
    chart = response.text.split('class="spark"')[1].split("</svg>")[0]
    assert chart.count('class="bar"') == 4  # one bar per month, the empty March included
    assert "Jan 2024 to Apr 2024" in chart
    assert "<strong>7.5 hours</strong>" in response.text


def test_my_workshops_show_steps_done_of_total(alice_client, alice):
    workshop = make_workshop(alice, "Faster onboarding")
    with tenant_context(alice.tenant_id):
        first = WorkshopStep.objects.filter(workshop=workshop).order_by("step_definition__order")
        WorkshopStep.objects.filter(pk=first[0].pk).update(status=WorkshopStep.Status.DONE)
    response = alice_client.get("/")
    assert "Faster onboarding" in response.text
    assert "1 of 5 steps" in response.text
    assert '<progress class="progress" max="5" value="1"' in response.text


def test_the_workshops_tile_counts_every_workshop_not_only_the_five_listed(client_for, alice, bob):
    """The tile's totals and the newest five come from one query (summed over every
    workshop before the list is cut): the totals must still be of all of them."""
    for i in range(6):
        make_workshop(alice, f"Alice's {i}")
    joined = make_workshop(bob, "Bob's")
    with tenant_context(alice.tenant_id):
        workshop_services.participant_add(workshop=joined, user=bob, participant=alice)
        first = WorkshopStep.objects.order_by("step_definition__order").first()
        WorkshopStep.objects.filter(
            workshop__owner=alice, step_definition_id=first.step_definition_id
        ).update(status=WorkshopStep.Status.DONE)
    response = client_for(alice).get("/")
    tile = response.text.split('id="stat-4"')[1].split("</section>")[0]
    assert re.search(r'href="/workshops/">7</a>', tile)
    assert "6 facilitated, 1 joined · 6 of 35 steps done" in tile
    listed = response.text.split('id="workshops-title"')[1].split("</section>")[0]
    assert listed.count('class="progress"') == 5
    assert "All workshops" in listed


def test_the_dashboard_makes_the_same_queries_at_two_sizes(client_for, alice, bob):
    client = client_for(alice)

    def grow(n: int) -> None:
        WorkArtifactFactory.create_batch(n, user=alice)
        for i in range(n):
            make_workshop(alice, f"Workshop {i}")
            SkillMessageFactory(subject_skill=SkillFactory(author=alice), from_user=bob)
            customer = CustomerFactory(rm=alice)
            with tenant_context(alice.tenant_id):
                services.artifact_create_batch(
                    customer=customer,
                    edits=[
                        services.ProfileEditInput(
                            field_key="occupation",
                            proposed_value=f"Job {i}",
                            source_text="",
                            confidence="high",
                        )
                    ],
                    created_by_type=CreatorType.AGENT,
                    created_by_id="test-agent",
                )

    grow(2)
    assert_constant_queries(lambda: client.get("/"), lambda: grow(12), limit=13)
    response = client.get("/")
    assert "All workshops" in response.text  # more than the five shown
    assert _decision_counts(response.text) == ["14", "14"]


def test_the_five_tiles_are_read_in_one_round_trip(alice, in_tenant):
    """Each area's tile is one statement; the dashboard sends all five before waiting."""
    from django.db import connection

    from config.dashboard import dashboard_for
    from tests.utils import count_waits

    WorkArtifactFactory(user=alice)
    make_workshop(alice, "Kick-off")
    with in_tenant(alice):
        connection.ensure_connection()
        board: list = []
        waits = count_waits(lambda: board.append(dashboard_for(alice)))
    # One for the five tiles' statements (five when each waited alone), one for the
    # groups that say whether nothing pending still shows a relationship manager's line.
    assert waits == 2
    assert [card["value"] for card in board[0].cards] == [1, 0, 0, 1, 0]
