"""Fuzzing workshops.services with what the workshop, chat, artifact and summary
forms (and the admin) can hand them, and worse: succeed, or refuse having written nothing.

The artifact form parses JSON, so an artifact can hold any JSON value,
including "\\u0000" and lone surrogates ("\\ud800"), which JSON allows and
PostgreSQL cannot store.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from assistant import get_assistant
from tenancy.context import tenant_context
from tests.fuzz.harness import (
    RESET_PER_EXAMPLE,
    check_refusal_writes_nothing,
    json_texts,
    json_values,
    numbers,
    texts,
)
from tests.workshops.conftest import get_step, make_workshop
from workshops import services
from workshops.context import build_step_context
from workshops.models import (
    MESSAGE_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ChatMessage,
    StepArtifact,
    StepSummary,
    Workshop,
    WorkshopStep,
)

pytestmark = pytest.mark.django_db

TABLES = [Workshop, WorkshopStep, ChatMessage, StepArtifact, StepSummary]
REFUSALS = (PermissionDenied, services.VersionConflict)
titles = texts(TITLE_MAX_LENGTH) | st.none()
versions = numbers.filter(lambda n: isinstance(n, int)) | st.integers(0, 2)
# The challenge step's artifact, with hostile text in its fields, or any JSON at all.
artifacts = st.one_of(
    st.fixed_dictionaries(
        {
            "problem_statement": json_texts(1000),
            "who_is_affected": st.just("Every new hire") | json_texts(500),
        },
        optional={"evidence": st.lists(json_texts(500), max_size=3)},
    ),
    json_values,
)


@pytest.fixture
def steps(alice, carol) -> dict[str, WorkshopStep]:
    """alice's challenge step, with a saved artifact and summary, and carol's (another tenant)."""
    mine = get_step(make_workshop(alice), "challenge")
    with tenant_context(alice.tenant_id):
        services.message_post(workshop_step=mine, user=alice, content="Onboarding is slow.")
        services.artifact_save(
            workshop_step=mine,
            user=alice,
            artifact={"problem_statement": "Onboarding takes weeks.", "who_is_affected": "Hires"},
            expected_version=0,
        )
        services.summary_save(workshop_step=mine, user=alice, summary="Slow.", expected_version=0)
    return {"mine": mine, "outsider": get_step(make_workshop(carol), "challenge")}


def _check(alice, carol, call):
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            call, tables=TABLES, tenants=[alice.tenant, carol.tenant], refusals=REFUSALS
        )


@RESET_PER_EXAMPLE
@given(title=titles, rename=st.booleans(), target=st.sampled_from(["mine", "outsider"]))
def test_workshop_create_and_rename(alice, carol, steps, title, rename, target):
    if rename:
        workshop = steps[target].workshop
        _check(
            alice,
            carol,
            lambda: services.workshop_rename(workshop=workshop, user=alice, title=title),
        )
    else:
        _check(alice, carol, lambda: services.workshop_create(owner=alice, title=title))


@RESET_PER_EXAMPLE
@given(content=texts(MESSAGE_MAX_LENGTH) | st.none(), target=st.sampled_from(["mine", "outsider"]))
def test_chat_send(alice, carol, steps, content, target):
    _check(
        alice,
        carol,
        lambda: services.chat_send(
            workshop_step=steps[target], user=alice, content=content, assistant=get_assistant()
        ),
    )


@RESET_PER_EXAMPLE
@given(artifact=artifacts, version=versions, target=st.sampled_from(["mine", "outsider"]))
def test_artifact_save(alice, carol, steps, artifact, version, target):
    _check(
        alice,
        carol,
        lambda: services.artifact_save(
            workshop_step=steps[target], user=alice, artifact=artifact, expected_version=version
        ),
    )


@RESET_PER_EXAMPLE
@given(
    summary=texts(SUMMARY_MAX_LENGTH) | st.none(),
    version=versions,
    target=st.sampled_from(["mine", "outsider"]),
)
def test_summary_save(alice, carol, steps, summary, version, target):
    _check(
        alice,
        carol,
        lambda: services.summary_save(
            workshop_step=steps[target], user=alice, summary=summary, expected_version=version
        ),
    )


@RESET_PER_EXAMPLE
@given(budget=st.none() | st.integers(min_value=1, max_value=200_000))
def test_context_preview_fits_any_budget_the_form_allows(alice, steps, budget):
    with tenant_context(alice.tenant_id):
        context = build_step_context(steps["mine"], budget_tokens=budget)
    assert context.messages is not None
