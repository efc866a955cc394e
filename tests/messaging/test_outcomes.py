"""Issue 14 §2: filter pending and answered, the proposer told the outcome, withdrawing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from messaging import selectors, services
from messaging.models import SkillMessage
from skills.models import Skill
from tests.messaging.factories import SkillMessageFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BADGE = "/messages/unread-count/"


def _status(message, user, in_tenant) -> str:
    with in_tenant(user):
        return SkillMessage.objects.get(pk=message.pk).status


# --- filters ------------------------------------------------------------------------------


def test_both_boxes_filter_pending_and_answered(
    alice_client, bob_client, alice, bob, bobs_skill, proposal
):
    other = SkillMessageFactory(subject_skill=bobs_skill, from_user=alice, message="Answered one")
    bob_client.post(f"/messages/{other.pk}/decline/")
    for client, box in ((bob_client, "inbox"), (alice_client, "sent")):
        pending = client.get("/messages/", {"box": box, "status": "pending"}).text
        assert f'id="message-{proposal.pk}"' in pending
        assert f'id="message-{other.pk}"' not in pending
        answered = client.get("/messages/", {"box": box, "status": "answered"}).text
        assert f'id="message-{other.pk}"' in answered
        assert f'id="message-{proposal.pk}"' not in answered
        everything = client.get("/messages/", {"box": box, "status": "nonsense"}).text
        assert f'id="message-{proposal.pk}"' in everything
        assert f'id="message-{other.pk}"' in everything


def test_the_filter_links_keep_the_box(alice_client, proposal):
    page = alice_client.get("/messages/", {"box": "sent"}).text
    assert 'href="?box=sent&amp;status=pending"' in page


def test_an_empty_filter_says_so(bob_client, proposal):
    page = bob_client.get("/messages/", {"status": "answered"}).text
    assert "No answered proposals here." in page


def test_filtered_inbox_runs_the_same_queries_for_5_and_50(bob_client, alice, bobs_skill):
    def add(count: int) -> None:
        SkillMessageFactory.create_batch(count, subject_skill=bobs_skill, from_user=alice)

    add(5)
    assert_constant_queries(
        lambda: bob_client.get("/messages/", {"status": "pending"}), lambda: add(45), limit=10
    )


# --- the proposer sees the outcome ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "outcome"),
    [("accept", "Bob Baker accepted"), ("decline", "Bob Baker declined")],
)
def test_the_proposer_is_notified_of_the_answer(
    alice_client, bob_client, proposal, action, outcome
):
    assert alice_client.get(BADGE, **HTMX).text.strip() == ""
    bob_client.post(f"/messages/{proposal.pk}/{action}/")
    assert alice_client.get(BADGE, **HTMX).text.strip() == (
        '<span class="badge" title="1 unread">1</span>'
    )
    sent = alice_client.get("/messages/", {"box": "sent"}).text
    assert outcome in sent
    assert "New answer" in sent
    response = alice_client.post(f"/messages/{proposal.pk}/seen/", **HTMX)
    assert response.text.lstrip().startswith(f'<li class="message-row" id="message-{proposal.pk}"')
    assert "messages-changed" in response["HX-Trigger"]
    assert alice_client.get(BADGE, **HTMX).text.strip() == ""
    assert outcome in alice_client.get("/messages/", {"box": "sent"}).text  # still shown


def test_the_badge_adds_unread_messages_and_unseen_answers(
    alice, bob, bobs_skill, proposal, alices_parent, in_tenant
):
    SkillMessageFactory(subject_skill=alices_parent, from_user=bob)  # unread, to alice
    with in_tenant(bob):
        services.decline(message=proposal, user=bob)
    with in_tenant(alice):
        assert selectors.notification_count(user=alice) == 2
        services.mark_outcome_seen(message=proposal, user=alice)
        assert selectors.notification_count(user=alice) == 1


def test_only_the_proposer_marks_an_outcome_seen(client_for, bob, carol, proposal, in_tenant):
    with in_tenant(bob):
        services.accept(message=proposal, user=bob)
        with pytest.raises(PermissionDenied):
            services.mark_outcome_seen(message=proposal, user=bob)
    for user in (bob, carol):
        assert client_for(user).post(f"/messages/{proposal.pk}/seen/").status_code == 404
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).proposer_unread


# --- withdrawing ----------------------------------------------------------------------------------


def test_the_proposer_withdraws_a_pending_proposal(
    alice_client, bob_client, alice, bob, proposal, in_tenant
):
    response = alice_client.post(f"/messages/{proposal.pk}/withdraw/")
    assert response["Location"] == "/messages/?box=sent"
    assert _status(proposal, alice, in_tenant) == "withdrawn"
    # The author no longer sees it as pending, and cannot accept it.
    inbox = bob_client.get("/messages/", {"status": "pending"}).text
    assert f'id="message-{proposal.pk}"' not in inbox
    everything = bob_client.get("/messages/").text
    assert "withdrew this proposal" in everything
    assert f"/messages/{proposal.pk}/accept/" not in everything
    with in_tenant(bob), pytest.raises(ValidationError) as refused:
        services.accept(message=proposal, user=bob)
    assert refused.value.messages == ["This proposal was already withdrawn; nothing changed."]
    with in_tenant(bob):
        assert Skill.objects.get(pk=proposal.subject_skill_id).parent_id is None


def test_withdraw_over_htmx_returns_the_row(alice_client, proposal):
    response = alice_client.post(f"/messages/{proposal.pk}/withdraw/", **HTMX)
    assert response.text.lstrip().startswith('<li class="message-row"')
    assert "You withdrew this proposal." in response.text
    assert "Withdraw</button>" not in response.text


def test_only_a_pending_proposal_can_be_withdrawn(
    alice_client, bob_client, alice, proposal, in_tenant
):
    bob_client.post(f"/messages/{proposal.pk}/accept/")
    response = alice_client.post(f"/messages/{proposal.pk}/withdraw/", follow=True)
    assert "This proposal was already accepted; nothing changed." in response.text
    assert _status(proposal, alice, in_tenant) == "accepted"


def test_only_the_proposer_withdraws(client_for, bob, carol, proposal, in_tenant):
    with in_tenant(bob), pytest.raises(PermissionDenied):
        services.withdraw(message=proposal, user=bob)
    for user in (bob, carol):  # the recipient, and another tenant
        assert client_for(user).post(f"/messages/{proposal.pk}/withdraw/").status_code == 404
    assert _status(proposal, bob, in_tenant) == "pending"


def test_withdraw_and_seen_are_post_only(alice_client, proposal):
    for action in ("withdraw", "seen"):
        assert alice_client.get(f"/messages/{proposal.pk}/{action}/").status_code == 405


def test_a_withdrawn_pair_can_be_proposed_again(
    alice, proposal, bobs_skill, alices_parent, in_tenant
):
    with in_tenant(alice):
        services.withdraw(message=proposal, user=alice)
        again = services.send_skill_message(
            sender=alice,
            subject_skill=bobs_skill,
            proposed_parent_skill=alices_parent,
            message="Second try",
        )
    assert again.is_pending
