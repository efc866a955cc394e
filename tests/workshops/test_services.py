from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistant import AssistantError
from assistant.offline import OfflineAssistant
from assistant.tokens import count_tokens
from tests.workshops.conftest import FailingAssistant, get_step, make_workshop
from workshops import services
from workshops.models import ChatMessage, StepArtifact, StepSummary, WorkshopStep

pytestmark = pytest.mark.django_db

CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": "Hires"}


def save_artifact(user, step, artifact=CHALLENGE, version=0):
    return services.artifact_save(
        workshop_step=step, user=user, artifact=artifact, expected_version=version
    )


@pytest.mark.parametrize(
    ("title", "error"), [("  ", services.TITLE_REQUIRED), ("x" * 201, services.TITLE_TOO_LONG)]
)
def test_workshop_title_is_required_and_bounded(alice, in_tenant, title, error):
    with in_tenant(alice), pytest.raises(ValidationError, match=error):
        services.workshop_create(owner=alice, title=title)


def test_first_message_starts_the_step_and_done_stays_done(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        services.message_post(workshop_step=challenge, user=alice, content="  Hello  ")
        assert WorkshopStep.objects.get(pk=challenge.pk).status == "in_progress"
        assert ChatMessage.objects.get().content == "Hello"
        save_artifact(alice, challenge)
        services.step_mark_done(workshop_step=challenge, user=alice)
        services.message_post(workshop_step=challenge, user=alice, content="One more thing")
        assert WorkshopStep.objects.get(pk=challenge.pk).status == "done"


def test_an_empty_message_is_refused(alice, step, in_tenant):
    with in_tenant(alice), pytest.raises(ValidationError, match=services.MESSAGE_REQUIRED):
        services.message_post(workshop_step=step("challenge"), user=alice, content=" ")


def test_marking_done_needs_a_saved_artifact(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        with pytest.raises(ValidationError, match=services.DONE_NEEDS_ARTIFACT):
            services.step_mark_done(workshop_step=challenge, user=alice)
        save_artifact(alice, challenge)
        services.step_mark_done(workshop_step=challenge, user=alice)
        services.step_reopen(workshop_step=challenge, user=alice)
        assert WorkshopStep.objects.get(pk=challenge.pk).status == "in_progress"


def test_first_save_is_version_1_and_each_save_increments(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        first = save_artifact(alice, challenge)
        assert (first.version, first.schema_version) == (1, "1.0")
        changed = {**CHALLENGE, "who_is_affected": "Hires and their managers"}
        second = save_artifact(alice, challenge, changed, version=1)
        assert second.version == 2
        assert StepArtifact.objects.get().artifact == changed
        assert second.extracted_at >= first.extracted_at


def test_a_stale_version_conflicts_and_overwrites_nothing(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        save_artifact(alice, challenge)
        theirs = {**CHALLENGE, "who_is_affected": "Theirs"}
        save_artifact(alice, challenge, theirs, version=1)
        mine = {**CHALLENGE, "who_is_affected": "Mine"}
        with pytest.raises(services.VersionConflict) as caught:
            save_artifact(alice, challenge, mine, version=1)
        assert caught.value.current_value == theirs
        assert caught.value.current_version == 2
        assert caught.value.attempted_value == mine
        assert str(caught.value) == services.VERSION_CONFLICT
        assert StepArtifact.objects.get().artifact == theirs


def test_a_first_save_when_someone_saved_already_conflicts(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        save_artifact(alice, challenge)
        with pytest.raises(services.VersionConflict) as caught:
            save_artifact(alice, challenge, {**CHALLENGE, "who_is_affected": "Late"}, version=0)
        assert (caught.value.current_value, caught.value.current_version) == (CHALLENGE, 1)
        assert StepArtifact.objects.count() == 1


@pytest.mark.parametrize(
    ("artifact", "message"),
    [
        ({"problem_statement": "Long enough problem."}, "who_is_affected: is required."),
        ({**CHALLENGE, "evidence": "one"}, "evidence: must be a list."),
        ({**CHALLENGE, "colour": "red"}, "colour: is not a field of this artifact."),
        ({**CHALLENGE, "problem_statement": "short"}, "problem_statement: needs at least 10"),
        (["not", "an", "object"], services.ARTIFACT_NOT_OBJECT),
    ],
)
def test_schema_violations_name_the_field_and_save_nothing(
    alice, step, in_tenant, artifact, message
):
    with in_tenant(alice):
        with pytest.raises(ValidationError) as caught:
            save_artifact(alice, step("challenge"), artifact)
        assert any(message in m for m in caught.value.message_dict["artifact"])
        assert not StepArtifact.objects.exists()


def test_nested_schema_errors_give_the_item_path(alice, step, in_tenant):
    artifact = {"stakeholders": [{"name": "IT", "influence": "high"}, {"influence": "huge"}]}
    with in_tenant(alice), pytest.raises(ValidationError) as caught:
        save_artifact(alice, step("stakeholder-mapping"), artifact)
    assert caught.value.message_dict["artifact"] == [
        "stakeholders[1].name: is required.",
        "stakeholders[1].influence: must be one of low, medium, high.",
    ]


def test_another_tenants_step_is_refused(alice, carol, in_tenant):
    foreign = get_step(make_workshop(carol, "Globex plans"), "challenge")
    with in_tenant(alice):
        with pytest.raises(PermissionDenied, match=services.NOT_YOUR_WORKSHOP):
            services.message_post(workshop_step=foreign, user=alice, content="Hijack")
        with pytest.raises(PermissionDenied):
            save_artifact(alice, foreign)
    with in_tenant(carol):
        assert not ChatMessage.objects.exists()
        assert not StepArtifact.objects.exists()


def test_a_teammate_cannot_write_in_my_workshop(bob, step, in_tenant):
    with in_tenant(bob), pytest.raises(PermissionDenied):
        services.summary_save(
            workshop_step=step("challenge"), user=bob, summary="Mine now", expected_version=0
        )


def test_chat_send_stores_both_messages_with_the_offline_assistant(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        outcome = services.chat_send(
            workshop_step=challenge,
            user=alice,
            content="Onboarding is slow.",
            assistant=OfflineAssistant(),
        )
        assert outcome.error == ""
        roles = list(ChatMessage.objects.values_list("role", flat=True))
    assert roles == ["user", "assistant"]
    assert "Onboarding is slow" in outcome.reply.content


def test_a_failed_reply_keeps_the_users_message_and_can_be_retried(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        outcome = services.chat_send(
            workshop_step=challenge, user=alice, content="Keep me", assistant=FailingAssistant()
        )
        assert outcome.reply is None
        assert outcome.error == FailingAssistant.message
        assert list(ChatMessage.objects.values_list("role", "content")) == [("user", "Keep me")]
        assert services.awaiting_reply(workshop_step=challenge)
        services.reply_request(workshop_step=challenge, user=alice, assistant=OfflineAssistant())
        assert not services.awaiting_reply(workshop_step=challenge)
        with pytest.raises(ValidationError, match=services.NOTHING_TO_ANSWER):
            services.reply_request(
                workshop_step=challenge, user=alice, assistant=OfflineAssistant()
            )


def test_generate_summary_saves_it_with_its_token_count(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        with pytest.raises(ValidationError, match=services.NOTHING_TO_SUMMARISE):
            services.summary_generate(
                workshop_step=challenge,
                user=alice,
                expected_version=0,
                assistant=OfflineAssistant(),
            )
        services.message_post(workshop_step=challenge, user=alice, content="Hires wait weeks.")
        summary = services.summary_generate(
            workshop_step=challenge, user=alice, expected_version=0, assistant=OfflineAssistant()
        )
        again = services.summary_generate(
            workshop_step=challenge, user=alice, expected_version=1, assistant=OfflineAssistant()
        )
    assert "Hires wait weeks." in summary.summary
    assert summary.token_count == count_tokens(summary.summary)
    assert again.version == 2


def test_a_failing_summary_writes_nothing(alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        services.message_post(workshop_step=challenge, user=alice, content="Something.")
        with pytest.raises(AssistantError):
            services.summary_generate(
                workshop_step=challenge,
                user=alice,
                expected_version=0,
                assistant=FailingAssistant(),
            )
        assert not StepSummary.objects.exists()


def test_extract_proposes_a_valid_artifact_and_saves_nothing(alice, step, in_tenant):
    ideation = step("ideation")
    with in_tenant(alice):
        services.message_post(
            workshop_step=ideation, user=alice, content="- Buddy system\n- Onboarding wiki"
        )
        proposal = services.artifact_propose(
            workshop_step=ideation, user=alice, assistant=OfflineAssistant()
        )
        assert not StepArtifact.objects.exists()
        assert proposal == {"ideas": [{"title": "Buddy system"}, {"title": "Onboarding wiki"}]}
        assert save_artifact(alice, ideation, proposal).version == 1
