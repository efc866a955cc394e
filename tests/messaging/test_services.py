from __future__ import annotations

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError

from messaging import services
from messaging.models import SkillMessage
from skills.models import Skill
from tests.factories import SkillFactory, UserFactory
from tests.messaging.factories import SkillMessageFactory

pytestmark = pytest.mark.django_db


def send(sender, subject, parent, message="These belong together."):
    return services.send_skill_message(
        sender=sender, subject_skill=subject, proposed_parent_skill=parent, message=message
    )


def refusal(error: pytest.ExceptionInfo, field: str = NON_FIELD_ERRORS) -> list[str]:
    return error.value.message_dict[field]


# --- send_skill_message -----------------------------------------------------


def test_send_goes_to_the_skills_author_as_an_unread_pending_proposal(
    alice, bob, bobs_skill, alices_parent, in_tenant
):
    with in_tenant(alice):
        message = send(alice, bobs_skill, alices_parent, "  Scripts are automation.  ")
        message.refresh_from_db()
    assert message.to_user == bob
    assert message.from_user == alice
    assert message.tenant_id == alice.tenant_id
    assert message.message == "Scripts are automation."
    assert message.status == SkillMessage.Status.PENDING
    assert message.read_at is None
    assert message.created_at.tzinfo is not None


def test_send_refuses_a_proposal_to_oneself(alice, alices_parent, in_tenant):
    own = SkillFactory(author=alice)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, own, alices_parent)
    assert refusal(error) == [services.OWN_SKILL]


def test_send_refuses_the_skill_itself_as_parent(alice, bobs_skill, in_tenant):
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, bobs_skill, bobs_skill)
    assert refusal(error, "proposed_parent_skill") == [services.PARENT_IS_SUBJECT]


def test_send_refuses_a_descendant_as_parent(alice, bob, bobs_skill, in_tenant):
    child = SkillFactory(author=bob, parent=bobs_skill)
    grandchild = SkillFactory(author=alice, parent=child)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, bobs_skill, grandchild)
    assert refusal(error, "proposed_parent_skill") == [services.PARENT_MAKES_CYCLE]


def test_send_refuses_a_parent_of_another_tenant(alice, carol, bobs_skill, in_tenant):
    foreign = SkillFactory(author=carol)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, bobs_skill, foreign)
    assert refusal(error, "proposed_parent_skill") == [services.PARENT_NOT_FOUND]
    with in_tenant(alice):
        assert not SkillMessage.objects.exists()


def test_send_refuses_a_subject_of_another_tenant(alice, carol, alices_parent, in_tenant):
    foreign = SkillFactory(author=carol)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, foreign, alices_parent)
    assert refusal(error) == [services.SKILL_NOT_FOUND]
    with in_tenant(carol):
        assert not SkillMessage.objects.exists()


def test_send_refuses_no_parent(alice, bobs_skill, in_tenant):
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, bobs_skill, None)
    assert refusal(error, "proposed_parent_skill") == [services.PARENT_REQUIRED]


def test_send_refuses_the_parent_the_skill_already_has(alice, bob, alices_parent, in_tenant):
    skill = SkillFactory(author=bob, parent=alices_parent)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, skill, alices_parent)
    assert refusal(error, "proposed_parent_skill") == [services.ALREADY_GROUPED]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", services.MESSAGE_REQUIRED),
        ("   \n ", services.MESSAGE_REQUIRED),
        ("x" * 2001, services.MESSAGE_TOO_LONG),
    ],
)
def test_send_refuses_an_empty_or_too_long_message(
    alice, bobs_skill, alices_parent, in_tenant, text, expected
):
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        send(alice, bobs_skill, alices_parent, text)
    assert refusal(error, "message") == [expected]
    with in_tenant(alice):
        assert not SkillMessage.objects.exists()


def test_a_message_of_exactly_2000_characters_is_fine(alice, bobs_skill, alices_parent, in_tenant):
    with in_tenant(alice):
        assert len(send(alice, bobs_skill, alices_parent, "x" * 2000).message) == 2000


def test_send_refuses_a_duplicate_pending_proposal_from_anyone(
    alice, acme, bobs_skill, alices_parent, in_tenant
):
    dave = UserFactory(tenant=acme)
    with in_tenant(alice):
        send(alice, bobs_skill, alices_parent)
        for sender in (alice, dave):
            with pytest.raises(ValidationError) as error:
                send(sender, bobs_skill, alices_parent)
            assert refusal(error) == [services.DUPLICATE_PENDING]
        assert SkillMessage.objects.count() == 1


def test_the_same_pair_may_be_proposed_again_once_answered(
    alice, bob, bobs_skill, alices_parent, in_tenant
):
    with in_tenant(alice):
        first = send(alice, bobs_skill, alices_parent)
        services.decline(message=first, user=bob)
        assert send(alice, bobs_skill, alices_parent).pk != first.pk


def test_the_database_refuses_a_second_pending_row_for_a_pair(alice, bobs_skill, alices_parent):
    SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
    with pytest.raises(IntegrityError, match=services.UNIQUE_PENDING):
        SkillMessageFactory(
            subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
        )


def test_the_database_refuses_an_unknown_status(alice, bobs_skill, in_tenant):
    message = SkillMessageFactory(subject_skill=bobs_skill, from_user=alice)
    with pytest.raises(IntegrityError, match="status_valid"), in_tenant(alice):
        SkillMessage.objects.filter(pk=message.pk).update(status="maybe")


# --- reads ------------------------------------------------------------------


def test_messages_for_user_is_newest_first_50_per_page(alice, bob, in_tenant):
    skill = SkillFactory(author=bob)
    made = [SkillMessageFactory(subject_skill=skill, from_user=alice) for _ in range(53)]
    SkillMessageFactory(from_user=bob, subject_skill=SkillFactory(author=alice))  # bob's sent
    with in_tenant(bob):
        first = services.messages_for_user(user=bob)
        second = services.messages_for_user(user=bob, page=2)
    assert first.paginator.count == 53
    assert [m.pk for m in first] == [m.pk for m in reversed(made)][:50]
    assert [m.pk for m in second] == [m.pk for m in reversed(made)][50:]


def test_sent_messages_show_their_status_to_the_sender(alice, bob, in_tenant):
    pending = SkillMessageFactory(from_user=alice, subject_skill=SkillFactory(author=bob))
    declined = SkillMessageFactory(from_user=alice, subject_skill=SkillFactory(author=bob))
    with in_tenant(bob):
        services.decline(message=declined, user=bob)
    with in_tenant(alice):
        page = services.sent_messages_for_user(user=alice)
        assert {m.pk: m.status for m in page} == {pending.pk: "pending", declined.pk: "declined"}
        assert not services.messages_for_user(user=alice).object_list


def test_unread_count_counts_my_unread_messages_in_one_query(
    alice, bob, in_tenant, django_assert_num_queries
):
    skill = SkillFactory(author=bob)
    unread = [SkillMessageFactory(subject_skill=skill, from_user=alice) for _ in range(3)]
    SkillMessageFactory(subject_skill=skill, from_user=alice, read_at="2026-01-01T00:00Z")
    SkillMessageFactory(subject_skill=SkillFactory(author=alice), from_user=bob)
    with in_tenant(bob):
        with django_assert_num_queries(1) as captured:
            assert services.unread_count(user=bob) == 3
        assert "COUNT(*)" in captured.captured_queries[0]["sql"]
        services.mark_read(message=unread[0], user=bob)
        assert services.unread_count(user=bob) == 2


# --- mark_read ----------------------------------------------------------------


def test_mark_read_is_idempotent_and_keeps_the_first_read_time(alice, bob, in_tenant):
    message = SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
    with in_tenant(bob):
        first = services.mark_read(message=message, user=bob).read_at
        assert first is not None
    with in_tenant(bob):  # a later transaction: now() has moved on
        assert services.mark_read(message=message, user=bob).read_at == first


@pytest.mark.parametrize("who", ["alice", "teammate", "carol"])
def test_only_the_recipient_marks_read(request, acme, alice, bob, carol, in_tenant, who):
    others = {"alice": alice, "carol": carol, "teammate": UserFactory(tenant=acme)}
    message = SkillMessageFactory(subject_skill=SkillFactory(author=bob), from_user=alice)
    user = others[who]
    with in_tenant(user), pytest.raises(PermissionDenied, match=services.ONLY_RECIPIENT):
        services.mark_read(message=message, user=user)
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=message.pk).read_at is None


# --- accept / decline -----------------------------------------------------------


def test_accept_moves_the_skill_and_a_second_accept_is_refused(
    alice, bob, bobs_skill, alices_parent, in_tenant
):
    with in_tenant(alice):
        message = send(alice, bobs_skill, alices_parent)
    with in_tenant(bob):
        accepted = services.accept(message=message, user=bob)
        assert accepted.status == SkillMessage.Status.ACCEPTED
        assert accepted.read_at is not None  # answering reads it
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk
        with pytest.raises(ValidationError) as error:
            services.accept(message=message, user=bob)
        assert error.value.messages == [services.ALREADY_ANSWERED.format(status="accepted")]
        with pytest.raises(ValidationError, match="already accepted"):
            services.decline(message=message, user=bob)
        assert SkillMessage.objects.get(pk=message.pk).status == "accepted"


def test_decline_leaves_the_tree_as_it_was(alice, bob, bobs_skill, alices_parent, in_tenant):
    old_parent = SkillFactory(author=bob)
    with in_tenant(bob):
        Skill.objects.filter(pk=bobs_skill.pk).update(parent=old_parent)
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
    with in_tenant(bob):
        before = list(Skill.objects.order_by("pk").values_list("pk", "parent_id"))
        declined = services.decline(message=message, user=bob)
        assert declined.status == SkillMessage.Status.DECLINED
        assert list(Skill.objects.order_by("pk").values_list("pk", "parent_id")) == before
        with pytest.raises(ValidationError, match="already declined"):
            services.accept(message=message, user=bob)
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id == old_parent.pk


@pytest.mark.parametrize("action", [services.accept, services.decline])
@pytest.mark.parametrize("who", ["alice", "teammate", "carol"])
def test_only_the_recipient_answers_and_nothing_changes(
    acme, alice, bob, carol, bobs_skill, alices_parent, in_tenant, action, who
):
    others = {"alice": alice, "carol": carol, "teammate": UserFactory(tenant=acme)}
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
    user = others[who]
    with in_tenant(user), pytest.raises(PermissionDenied, match=services.ONLY_RECIPIENT):
        action(message=message, user=user)
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=message.pk).status == "pending"
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id is None


def test_accept_refuses_when_the_proposed_parent_was_deleted(
    alice, bob, bobs_skill, alices_parent, in_tenant
):
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
    with in_tenant(alice):
        alices_parent.delete()
    with in_tenant(bob):
        message.refresh_from_db()
        assert message.proposed_parent_skill_id is None  # SET NULL
        with pytest.raises(ValidationError) as error:
            services.accept(message=message, user=bob)
        assert error.value.messages == [services.PARENT_GONE]
        assert SkillMessage.objects.get(pk=message.pk).status == "pending"
        assert services.decline(message=message, user=bob).status == "declined"


def test_accept_rechecks_the_cycle_rule_at_that_moment(alice, bob, bobs_skill, in_tenant):
    proposed = SkillFactory(author=alice)
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=proposed
    )
    with in_tenant(alice):  # meanwhile the proposed parent moved under the subject
        Skill.objects.filter(pk=proposed.pk).update(parent=bobs_skill)
    with in_tenant(bob):
        with pytest.raises(ValidationError) as error:
            services.accept(message=message, user=bob)
        assert error.value.messages == [services.PARENT_MAKES_CYCLE]
        assert SkillMessage.objects.get(pk=message.pk).status == "pending"
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id is None


def test_deleting_the_subject_skill_deletes_its_messages(alice, bob, bobs_skill, in_tenant):
    SkillMessageFactory(subject_skill=bobs_skill, from_user=alice)
    with in_tenant(bob):
        bobs_skill.delete()
        assert not SkillMessage.objects.exists()


def test_another_tenant_sees_no_messages(alice, bob, carol, bobs_skill, in_tenant):
    message = SkillMessageFactory(subject_skill=bobs_skill, from_user=alice)
    with in_tenant(carol):
        assert not SkillMessage.objects.filter(pk=message.pk).exists()
