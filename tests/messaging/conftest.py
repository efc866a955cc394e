from __future__ import annotations

import pytest
from django.test import Client

from messaging.models import SkillMessage
from skills.models import Skill
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory


@pytest.fixture
def bobs_skill(bob) -> Skill:
    return SkillFactory(author=bob, name="Python scripting")


@pytest.fixture
def alices_parent(alice) -> Skill:
    return SkillFactory(author=alice, name="Automation")


@pytest.fixture
def bob_client(client_for, bob) -> Client:
    return client_for(bob)


@pytest.fixture
def proposal(alice, bobs_skill, alices_parent) -> SkillMessage:
    """alice proposes to bob, the author of the skill, a parent for it."""
    return SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )
