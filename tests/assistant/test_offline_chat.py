from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from assistant.offline import OfflineAssistant
from assistant.offline_chat import FALLBACK_TEXT, QUESTIONS, extract_artifact, reply, summarize
from assistant.tokens import count_tokens, truncate_to_tokens
from workshops.models import StepDefinition

CONVERSATIONS = {
    "challenge": (
        "New hires take six weeks to become productive. Managers repeat themselves.\n"
        "who is affected: new hires and their managers\n"
        "- Exit surveys mention confusion"
    ),
    "stakeholder-mapping": (
        "- Hiring managers — want faster starts, high\n- IT support: fewer tickets"
    ),
    "ideation": "- Buddy system - pair each hire with a peer\n- Onboarding wiki",
    "prioritisation": "- Buddy system, impact 4 effort 2\n- Wiki — impact 3, effort 4",
    "action-plan": "- Draft buddy guidelines — Alice, due 2026-01-15\nnext review: 2026-02-01",
}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def test_reply_is_deterministic_and_rotates_questions():
    first = reply(user("Onboarding is slow. Very slow."), "")
    assert first == reply(user("Onboarding is slow. Very slow."), "")
    assert first == f"Noted: “Onboarding is slow”. {QUESTIONS[0]}"
    two = [*user("One."), {"role": "assistant", "content": "ok"}, *user("Two?")]
    second = reply(two, "")
    assert "offline assistant" in second
    assert second.endswith(QUESTIONS[1])


def test_reply_mentions_earlier_steps_once():
    context = (
        "Workshop step 3\n\n## Challenge\nproblem: x\n\n## Stakeholder mapping\n- a\n\n"
        "## Challenge\nThe summary.\n\n## Stakeholder mapping\nAnother summary."
    )
    assert "build on: Challenge, Stakeholder mapping." in reply(user("Let's start."), context)


def test_summarize_is_extractive():
    messages = [
        *user("Hires wait weeks. Nobody owns it."),
        {"role": "assistant", "content": "Assistant text is left out."},
        *user("Managers are frustrated"),
    ]
    summary = summarize(messages)
    assert summary == (
        "The participant covered (2 messages): Hires wait weeks. Managers are frustrated."
    )
    assert summarize([]) == "No input from the participant yet."


@pytest.mark.django_db
@pytest.mark.parametrize("step_id", list(CONVERSATIONS))
@pytest.mark.parametrize("kind", ["conversation", "empty", "chatter", "long", "digits"])
def test_extracted_artifacts_always_satisfy_the_step_schema(step_id, kind):
    schema = StepDefinition.objects.get(pk=step_id).schema
    text = {
        "conversation": CONVERSATIONS[step_id],
        "empty": "",
        "chatter": "hi",
        "long": ("- item\nsome: value\n" + "word " * 400 + ".\n") * 40,
        # Numbers past int()'s 4,300-digit limit, where scores and impacts are read.
        "digits": "- Idea, impact " + "9" * 5000 + "\nimpact: " + "9" * 5000,
    }[kind]
    artifact = OfflineAssistant().extract_artifact(user(text) if text else [], schema)
    assert list(Draft202012Validator(schema).iter_errors(artifact)) == []


@pytest.mark.django_db
def test_extraction_uses_the_participants_words():
    schemas = {d.id: d.schema for d in StepDefinition.objects.all()}
    challenge = extract_artifact(user(CONVERSATIONS["challenge"]), schemas["challenge"])
    assert challenge == {
        "problem_statement": "New hires take six weeks to become productive.",
        "who_is_affected": "new hires and their managers",
        "evidence": ["Exit surveys mention confusion"],
    }
    stakeholders = extract_artifact(
        user(CONVERSATIONS["stakeholder-mapping"]), schemas["stakeholder-mapping"]
    )
    assert stakeholders["stakeholders"][0] == {
        "name": "Hiring managers",
        "interest": "want faster starts",
        "influence": "high",
    }
    plan = extract_artifact(user(CONVERSATIONS["action-plan"]), schemas["action-plan"])
    assert plan == {
        "actions": [{"action": "Draft buddy guidelines", "owner": "Alice", "due": "2026-01-15"}],
        "next_review": "2026-02-01",
    }
    empty = extract_artifact([], schemas["ideation"])
    assert empty == {"ideas": [{"title": FALLBACK_TEXT}]}


def test_the_token_counter_is_about_four_characters_a_token():
    assert count_tokens("") == 0
    assert count_tokens("abcd") == 1
    assert count_tokens("abcde") == 2
    cut = truncate_to_tokens("word " * 100, 10)
    assert count_tokens(cut) <= 10
    assert cut.endswith(" …")
    assert truncate_to_tokens("short", 10) == "short"


def test_a_required_number_or_choice_with_no_line_for_it_gets_the_middle_value():
    schema = {
        "type": "object",
        "required": ["impact", "level"],
        "properties": {
            "impact": {"type": "integer", "minimum": 1, "maximum": 5},
            "level": {"enum": ["low", "medium", "high"]},
        },
    }
    assert extract_artifact(user("Nothing about numbers here."), schema) == {
        "impact": 3,
        "level": "medium",
    }
