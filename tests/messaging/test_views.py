from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging import services
from messaging.models import SkillMessage
from skills.models import Skill
from tests.factories import SkillFactory, UserFactory
from tests.messaging.factories import SkillMessageFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def propose_url(skill: Skill) -> str:
    return f"/skills/{skill.pk}/propose/"


# --- the propose form on a skill's page ---------------------------------------


def test_skill_page_offers_the_propose_form_with_the_tenants_other_skills(
    alice_client, carol, bobs_skill, alices_parent
):
    SkillFactory(author=carol, name="Globex secret")
    response = alice_client.get(f"/skills/{bobs_skill.pk}/")
    assert "Propose grouping" in response.text
    assert f'action="{propose_url(bobs_skill)}"' in response.text
    assert f'<option value="{alices_parent.pk}">Automation</option>' in response.text
    assert f'<option value="{bobs_skill.pk}"' not in response.text
    assert "Globex secret" not in response.text


def test_the_author_gets_no_propose_form_on_their_own_skill(bob_client, bobs_skill):
    response = bob_client.get(f"/skills/{bobs_skill.pk}/")
    assert response.status_code == 200
    assert "Propose grouping" not in response.text


def test_propose_sends_a_message_and_redirects(
    alice_client, alice, bob, bobs_skill, alices_parent, in_tenant
):
    response = alice_client.post(
        propose_url(bobs_skill),
        {"proposed_parent_skill": alices_parent.pk, "message": "Scripts automate."},
        follow=True,
    )
    assert response.redirect_chain == [(f"/skills/{bobs_skill.pk}/", 302)]
    assert "Proposal sent to Bob Baker." in response.text
    with in_tenant(alice):
        message = SkillMessage.objects.get()
    assert (message.to_user_id, message.proposed_parent_skill_id) == (bob.pk, alices_parent.pk)


def test_propose_over_htmx_answers_the_form_fragment(alice_client, bobs_skill, alices_parent):
    response = alice_client.post(
        propose_url(bobs_skill),
        {"proposed_parent_skill": alices_parent.pk, "message": "Scripts automate."},
        **HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="propose-grouping"' in response.text
    assert "Proposal sent to Bob Baker." in response.text


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_propose_errors_are_form_errors_and_save_nothing(
    alice_client, alice, bobs_skill, alices_parent, in_tenant, headers
):
    response = alice_client.post(
        propose_url(bobs_skill),
        {"proposed_parent_skill": alices_parent.pk, "message": "  "},
        **headers,
    )
    assert response.status_code == 200
    assert services.MESSAGE_REQUIRED in response.text
    assert ("<html" in response.text) == (not headers)
    with in_tenant(alice):
        assert not SkillMessage.objects.exists()


def test_propose_refusals_from_the_service_show_on_the_form(
    alice_client, alice, bob, bobs_skill, in_tenant
):
    child = SkillFactory(author=bob, parent=bobs_skill)
    response = alice_client.post(
        propose_url(bobs_skill), {"proposed_parent_skill": child.pk, "message": "Loop?"}
    )
    assert "the grouping would loop" in response.text
    own = SkillFactory(author=alice)
    response = alice_client.post(
        propose_url(own), {"proposed_parent_skill": bobs_skill.pk, "message": "Mine"}
    )
    assert services.OWN_SKILL.split(":")[0] in response.text
    with in_tenant(alice):
        assert not SkillMessage.objects.exists()


def test_propose_refuses_a_parent_of_another_tenant(
    alice_client, alice, carol, bobs_skill, in_tenant
):
    foreign = SkillFactory(author=carol)
    response = alice_client.post(
        propose_url(bobs_skill), {"proposed_parent_skill": foreign.pk, "message": "Hi"}
    )
    assert "Select a valid choice" in response.text
    with in_tenant(alice):
        assert not SkillMessage.objects.exists()


def test_propose_is_post_only(alice_client, bobs_skill):
    assert alice_client.get(propose_url(bobs_skill)).status_code == 405


def test_propose_on_another_tenants_skill_is_404(client_for, carol, bobs_skill, alices_parent):
    response = client_for(carol).post(
        propose_url(bobs_skill), {"proposed_parent_skill": alices_parent.pk, "message": "Hi"}
    )
    assert response.status_code == 404


# --- the inbox ------------------------------------------------------------------


def test_inbox_marks_unread_and_offers_the_actions(bob_client, proposal):
    response = bob_client.get("/messages/")
    assert response.status_code == 200
    assert f'id="message-{proposal.pk}"' in response.text
    assert "message-row unread" in response.text
    for action in ("accept", "decline", "read"):
        assert f'action="/messages/{proposal.pk}/{action}/"' in response.text
        assert f'hx-post="/messages/{proposal.pk}/{action}/"' in response.text


def test_sent_box_shows_the_senders_messages_with_status(alice_client, bob_client, proposal):
    response = alice_client.get("/messages/?box=sent")
    assert "To <strong>Bob Baker</strong>" in response.text
    assert "status-pending" in response.text
    assert "/accept/" not in response.text
    assert f'id="message-{proposal.pk}"' not in alice_client.get("/messages/").text
    assert f'id="message-{proposal.pk}"' not in bob_client.get("/messages/?box=sent").text


def test_inbox_pages_by_50(bob_client, alice, bobs_skill):
    for _ in range(51):
        SkillMessageFactory(subject_skill=bobs_skill, from_user=alice)
    first = bob_client.get("/messages/")
    assert first.text.count('class="message-row') == 50
    assert "Page 1 of 2" in first.text
    assert bob_client.get("/messages/?page=2").text.count('class="message-row') == 1


@pytest.mark.parametrize("box", ["", "?box=sent"])
def test_inbox_runs_the_same_queries_for_5_and_50_messages(client_for, alice, bob, box):
    def add(count: int) -> None:
        for _ in range(count):
            SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)

    add(5)
    reader = client_for(alice if box else bob)
    assert_constant_queries(lambda: reader.get(f"/messages/{box}"), lambda: add(45), limit=10)


def test_pages_do_not_count_unread_messages_while_rendering(alice_client):
    with CaptureQueriesContext(connection) as captured:
        response = alice_client.get("/skills/")
    assert 'hx-get="/messages/unread-count/"' in response.text
    badge = 'hx-trigger="load, every 60s, messages-changed from:body" data-background'
    assert badge in response.text
    assert not [q for q in captured.captured_queries if "messaging_skillmessage" in q["sql"]]


# --- accept / decline / mark read -----------------------------------------------------


def test_accept_as_a_plain_post_moves_the_skill_and_redirects(
    bob_client, bob, proposal, bobs_skill, alices_parent, in_tenant
):
    response = bob_client.post(f"/messages/{proposal.pk}/accept/", follow=True)
    assert response.redirect_chain == [("/messages/", 302)]
    assert "Accepted" in response.text
    with in_tenant(bob):
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk
        assert SkillMessage.objects.get(pk=proposal.pk).status == "accepted"


def test_accept_over_htmx_swaps_the_row_and_tells_the_badge(bob_client, proposal):
    response = bob_client.post(f"/messages/{proposal.pk}/accept/", **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<li class="message-row" id="message-{proposal.pk}"')
    assert "status-accepted" in response.text
    assert "/accept/" not in response.text
    assert response["HX-Trigger"] == '{"messages-changed": {}}'


def test_a_second_accept_says_so_and_changes_nothing(bob_client, bob, proposal, in_tenant):
    bob_client.post(f"/messages/{proposal.pk}/accept/")
    response = bob_client.post(f"/messages/{proposal.pk}/accept/", **HTMX)
    assert services.ALREADY_ANSWERED.format(status="accepted") in response.text
    response = bob_client.post(f"/messages/{proposal.pk}/decline/", follow=True)
    assert services.ALREADY_ANSWERED.format(status="accepted") in response.text
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).status == "accepted"


def test_decline_over_htmx_leaves_the_tree(bob_client, bob, proposal, bobs_skill, in_tenant):
    response = bob_client.post(f"/messages/{proposal.pk}/decline/", **HTMX)
    assert "status-declined" in response.text
    assert "<html" not in response.text
    with in_tenant(bob):
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id is None


def test_decline_as_a_plain_post_redirects(bob_client, proposal):
    response = bob_client.post(f"/messages/{proposal.pk}/decline/")
    assert (response.status_code, response["Location"]) == (302, "/messages/")


def test_mark_read_swaps_the_row_and_keeps_the_proposal_open(bob_client, bob, proposal, in_tenant):
    response = bob_client.post(f"/messages/{proposal.pk}/read/", **HTMX)
    assert "message-row unread" not in response.text
    assert "/read/" not in response.text
    assert "/accept/" in response.text
    assert response["HX-Trigger"] == '{"messages-changed": {}}'
    assert bob_client.post(f"/messages/{proposal.pk}/read/").status_code == 302
    with in_tenant(bob):
        message = SkillMessage.objects.get(pk=proposal.pk)
    assert (message.status, message.read_at is not None) == ("pending", True)


def test_accept_refused_over_htmx_shows_why_in_the_row(
    bob_client, proposal, alices_parent, alice, in_tenant
):
    with in_tenant(alice):
        alices_parent.delete()
    response = bob_client.post(f"/messages/{proposal.pk}/accept/", **HTMX)
    assert services.PARENT_GONE in response.text
    assert "status-pending" in response.text


@pytest.mark.parametrize("action", ["read", "accept", "decline"])
def test_actions_are_post_only(bob_client, proposal, action):
    assert bob_client.get(f"/messages/{proposal.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("action", ["read", "accept", "decline"])
@pytest.mark.parametrize("who", ["sender", "teammate", "outsider"])
def test_only_the_recipient_acts_others_get_404_and_nothing_changes(
    client_for, acme, alice, bob, carol, proposal, bobs_skill, in_tenant, action, who
):
    user = {"sender": alice, "teammate": UserFactory(tenant=acme), "outsider": carol}[who]
    for headers in ({}, HTMX):
        response = client_for(user).post(f"/messages/{proposal.pk}/{action}/", **headers)
        assert response.status_code == 404
    with in_tenant(bob):
        message = SkillMessage.objects.get(pk=proposal.pk)
        assert (message.status, message.read_at) == ("pending", None)
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id is None


# --- badge and dashboard ---------------------------------------------------------------


def test_unread_badge_fragment(bob_client, alice, bobs_skill, proposal):
    SkillMessageFactory(subject_skill=bobs_skill, from_user=alice, read_at="2026-01-01T00:00Z")
    response = bob_client.get("/messages/unread-count/", **HTMX)
    assert response.text.strip() == '<span class="badge" title="1 unread">1</span>'
    bob_client.post(f"/messages/{proposal.pk}/read/")
    assert bob_client.get("/messages/unread-count/", **HTMX).text.strip() == ""


def test_unread_badge_for_a_signed_out_page_swaps_nothing(client):
    assert client.get("/messages/unread-count/", **HTMX).status_code == 204


def test_unread_badge_counts_only_my_tenant(client_for, carol, proposal):
    assert client_for(carol).get("/messages/unread-count/").text.strip() == ""


def test_dashboard_card_shows_the_unread_count(bob_client, proposal):
    response = bob_client.get("/")
    assert response.context["cards"][2] == {
        "available": True,
        "title": "Messages",
        "value": 1,
        "detail": "unread · 1 waiting for your answer",
        "url": "/messages/",
        "waiting": 1,  # the headline's count, read by the same query
    }


def test_skills_list_shows_an_accepted_grouping_as_a_tree(bob_client, proposal, bobs_skill):
    bob_client.post(f"/messages/{proposal.pk}/accept/")
    text = bob_client.get("/skills/").text
    parent_at = text.index(">Automation</a>")
    child_row = text.rindex('<li class="tree-row', 0, text.index(">Python scripting</a>"))
    assert parent_at < child_row
    assert 'data-depth="1"' in text[child_row : text.index(">Python scripting</a>")]


@pytest.mark.parametrize("number", ["99999999999999999999", "-5", "0", "abc", "1e3", "3.0"])
def test_any_page_number_in_the_address_gets_a_page_not_an_error(client_for, alice, bob, number):
    SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
    response = client_for(bob).get(f"/messages/?page={number}")
    assert response.status_code == 200
    assert response.text.count('class="message-row') == 1  # the one page there is
