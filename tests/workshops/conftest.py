"""Workshops fixtures: alice's workshop and a way to fetch its steps."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tenancy.context import tenant_context
from tenancy.models import User
from workshops import services
from workshops.models import Workshop, WorkshopStep


def make_workshop(owner: User, title: str = "Faster onboarding") -> Workshop:
    with tenant_context(owner.tenant_id):
        return services.workshop_create(owner=owner, title=title)


def get_step(workshop: Workshop, step_id: str) -> WorkshopStep:
    """The step as views load it (workshop and definition joined), read in its tenant."""
    with tenant_context(workshop.tenant_id):
        return WorkshopStep.objects.select_related("workshop", "step_definition").get(
            workshop=workshop, step_definition_id=step_id
        )


@pytest.fixture
def workshop(alice) -> Workshop:
    return make_workshop(alice)


@pytest.fixture
def step(workshop) -> Callable[[str], WorkshopStep]:
    """`step("ideation")`: a step of alice's workshop."""
    return lambda step_id: get_step(workshop, step_id)


class FailingAssistant:
    """A provider that always fails, as an unreachable or timed-out one does."""

    name = "Failing assistant"
    offline = False
    message = "The assistant did not answer in time. Your message is saved; try again."

    def _fail(self, *args, **kwargs):
        from assistant import AssistantTimeout

        raise AssistantTimeout(self.message)

    reply = summarize = extract_artifact = extract_profile_edits = _fail
