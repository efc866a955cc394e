from __future__ import annotations

import pytest

from assistant.tokens import count_tokens
from tenancy.context import tenant_context
from tests.utils import count_queries
from tests.workshops.conftest import get_step, make_workshop
from tests.workshops.factories import ChatMessageFactory
from workshops import services
from workshops.context import LONG_TERM, PERSISTENT, SHORT_TERM, build_step_context

pytestmark = pytest.mark.django_db

CHALLENGE = {
    "problem_statement": "New hires take six weeks to become productive.",
    "who_is_affected": "New hires and their managers",
}
STAKEHOLDERS = {"stakeholders": [{"name": "Hiring managers", "influence": "high"}]}
PRIORITIES = {"priorities": [{"idea": "LATER-STEP-IDEA", "impact": 4, "effort": 2}]}


def fill(user, workshop, step_id, artifact, summary):
    step = get_step(workshop, step_id)
    with tenant_context(user.tenant_id):
        services.artifact_save(workshop_step=step, user=user, artifact=artifact, expected_version=0)
        services.summary_save(workshop_step=step, user=user, summary=summary, expected_version=0)


@pytest.fixture
def ideation(alice, workshop):
    """Alice's workshop with challenge and stakeholders done, prioritisation (later) filled
    in too, and four messages in ideation."""
    fill(alice, workshop, "challenge", CHALLENGE, "We framed onboarding delays. " * 5)
    fill(alice, workshop, "stakeholder-mapping", STAKEHOLDERS, "Managers matter most. " * 5)
    fill(alice, workshop, "prioritisation", PRIORITIES, "LATER-STEP-SUMMARY")
    step = get_step(workshop, "ideation")
    for i in range(4):
        ChatMessageFactory(workshop_step=step, role="user", content=f"Idea message {i}. " * 10)
    return step


def test_the_three_tiers_without_a_budget(ideation, alice, in_tenant):
    with in_tenant(alice):
        context = build_step_context(ideation)
    assert [p.label for p in context.parts_of(PERSISTENT)] == [
        "Challenge artifact",
        "Stakeholder mapping artifact",
    ]
    assert context.persistent_context.startswith(
        "## Challenge\nproblem statement: New hires take six weeks to become productive.\n"
        "who is affected: New hires and their managers\n\n## Stakeholder mapping"
    )  # in the schema's field order, whatever order JSONB keeps the keys in
    assert "- name: Hiring managers; influence: high" in context.persistent_context
    assert [p.step_id for p in context.parts_of(LONG_TERM)] == ["challenge", "stakeholder-mapping"]
    assert "## Challenge\nWe framed onboarding delays." in context.summaries
    assert [m["content"][:15] for m in context.messages] == [f"Idea message {i}." for i in range(4)]
    assert {m["role"] for m in context.messages} == {"user"}
    assert {p.tier for p in context.parts_of(SHORT_TERM)} == {SHORT_TERM}
    assert context.cuts == []
    assert not context.over_budget
    assert context.total_tokens == count_tokens(context.context_text) + sum(
        count_tokens(m["content"]) for m in context.messages
    )


def test_only_earlier_steps_of_the_same_workshop_count(ideation, alice, carol, in_tenant):
    other = make_workshop(alice, "Another workshop")
    fill(alice, other, "challenge", {**CHALLENGE, "who_is_affected": "OTHER-WORKSHOP"}, "OTHER")
    foreign = make_workshop(carol, "Globex")
    fill(carol, foreign, "challenge", {**CHALLENGE, "who_is_affected": "OTHER-TENANT"}, "GLOBEX")
    with in_tenant(alice):
        context = build_step_context(ideation)
        first = build_step_context(get_step(other, "challenge"))
    everything = context.context_text + str(context.messages)
    for absent in ["LATER-STEP", "OTHER-WORKSHOP", "OTHER-TENANT", "GLOBEX", "Ideation artifact"]:
        assert absent not in everything
    # The first step has no earlier steps: no persistent or long-term context at all.
    assert (first.persistent_context, first.summaries, first.messages) == ("", "", [])


def test_a_budget_drops_the_oldest_messages_first(ideation, alice, in_tenant):
    with in_tenant(alice):
        full = build_step_context(ideation)
        message_tokens = count_tokens(full.messages[0]["content"])
        fitted = build_step_context(ideation, budget_tokens=full.total_tokens - message_tokens)
    assert [m["content"][:15] for m in fitted.messages] == [f"Idea message {i}." for i in (1, 2, 3)]
    assert fitted.cuts == ["Dropped the 1 oldest message."]
    assert fitted.summaries == full.summaries
    assert fitted.total_tokens <= fitted.budget_tokens


def test_then_summaries_are_trimmed_oldest_first_and_artifacts_stay(ideation, alice, in_tenant):
    with in_tenant(alice):
        full = build_step_context(ideation)
        newest = count_tokens(full.messages[-1]["content"])
        without_summaries = count_tokens(
            full.context_text.split("Summaries of earlier steps")[0].strip()
        )
        budget = without_summaries + newest + 20
        fitted = build_step_context(ideation, budget_tokens=budget)
    assert len(fitted.messages) == 1
    assert fitted.messages[0] == full.messages[-1]
    assert fitted.cuts[0] == "Dropped the 3 oldest messages."
    assert any("Challenge summary" in cut for cut in fitted.cuts[1:])
    assert fitted.persistent_context == full.persistent_context
    assert fitted.total_tokens <= budget
    assert not fitted.over_budget


def test_artifacts_are_never_dropped_and_the_overrun_is_reported(ideation, alice, in_tenant):
    with in_tenant(alice):
        full = build_step_context(ideation)
        tiny = build_step_context(ideation, budget_tokens=10)
    assert tiny.persistent_context == full.persistent_context
    assert tiny.summaries == ""
    assert len(tiny.messages) == 1
    assert tiny.over_budget
    assert "never dropped" in tiny.cuts[-1]
    assert "Dropped the Challenge summary" in " ".join(tiny.cuts)


def test_building_the_context_takes_three_queries(ideation, alice, in_tenant):
    with in_tenant(alice):
        queries, _ = count_queries(lambda: build_step_context(ideation, budget_tokens=500))
    assert queries == 3
