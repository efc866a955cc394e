from __future__ import annotations

import pytest

from skills.models import Skill
from tests.factories import SkillFactory


@pytest.fixture
def bobs_skill(bob) -> Skill:
    return SkillFactory(author=bob, name="Python scripting")


@pytest.fixture
def alices_parent(alice) -> Skill:
    return SkillFactory(author=alice, name="Automation")
