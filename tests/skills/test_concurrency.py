"""Tree moves and names under real concurrency (threads, committed transactions)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from skills import services
from skills.models import Skill
from tenancy.context import tenant_context
from tests.factories import SkillFactory
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_crossed_moves_cannot_make_a_loop(alice):
    a = SkillFactory(author=alice, name="A")
    b = SkillFactory(author=alice, name="B")

    def move(skill, parent):
        def job():
            with tenant_context(alice.tenant_id):
                return services.skill_set_parent(skill=skill, parent=parent)

        return job

    results = run_concurrently([move(a, b), move(b, a)])
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1
    assert services.PARENT_MAKES_CYCLE in errors[0].messages
    with tenant_context(alice.tenant_id):
        parents = dict(Skill.objects.values_list("name", "parent__name"))
    assert set(parents.values()) in ({None, "A"}, {None, "B"})  # one move won, no loop


def test_two_creates_of_one_name_give_one_skill_and_a_clear_error(alice, bob):
    def create(user):
        def job():
            with tenant_context(user.tenant_id):
                return services.skill_create(author=user, name="Same name")

        return job

    results = run_concurrently([create(alice), create(bob)])
    errors = [r for r in results if isinstance(r, ValidationError)]
    assert len(errors) == 1
    assert services.NAME_TAKEN in errors[0].messages
    with tenant_context(alice.tenant_id):
        assert Skill.objects.filter(name="Same name").count() == 1
