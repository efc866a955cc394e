from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from skills import services
from skills.models import Skill
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


def test_create_strips_and_saves(alice, in_tenant):
    with in_tenant(alice):
        skill = services.skill_create(author=alice, name="  Prompting  ", description=" d ")
        assert (skill.name, skill.description, skill.tenant_id) == (
            "Prompting",
            "d",
            alice.tenant_id,
        )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", services.NAME_REQUIRED),
        ("   ", services.NAME_REQUIRED),
        ("x" * 101, services.NAME_TOO_LONG),
    ],
)
def test_create_refuses_bad_names(alice, in_tenant, name, message):
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        services.skill_create(author=alice, name=name)
    assert error.value.message_dict["name"] == [message]
    with in_tenant(alice):
        assert not Skill.objects.exists()


def test_name_of_exactly_100_characters_is_fine(alice, in_tenant):
    with in_tenant(alice):
        assert services.skill_create(author=alice, name="x" * 100).pk


def test_names_are_unique_per_tenant_ignoring_case(alice, bob, carol, in_tenant):
    SkillFactory(author=alice, name="Prompting")
    with in_tenant(bob), pytest.raises(ValidationError, match=services.NAME_TAKEN):
        services.skill_create(author=bob, name="prompting")
    with in_tenant(carol):  # another organisation may use the same name
        assert services.skill_create(author=carol, name="Prompting").pk


def test_only_the_author_updates(alice, bob, in_tenant):
    skill = SkillFactory(author=alice, name="Mine")
    with in_tenant(bob), pytest.raises(PermissionDenied):
        services.skill_update(skill=skill, user=bob, name="Taken over", description="", parent=None)
    with in_tenant(alice):
        assert Skill.objects.get(pk=skill.pk).name == "Mine"


def test_parent_cannot_be_the_skill_itself_or_a_descendant(alice, in_tenant):
    root = SkillFactory(author=alice)
    child = SkillFactory(author=alice, parent=root)
    grandchild = SkillFactory(author=alice, parent=child)
    with in_tenant(alice):
        with pytest.raises(ValidationError, match=services.PARENT_IS_SELF):
            services.skill_set_parent(skill=root, parent=root)
        with pytest.raises(ValidationError, match="would loop"):
            services.skill_set_parent(skill=root, parent=grandchild)
        assert Skill.objects.get(pk=root.pk).parent_id is None
        services.skill_set_parent(skill=grandchild, parent=root)
        assert Skill.objects.get(pk=grandchild.pk).parent_id == root.pk


def test_parent_from_another_tenant_is_refused(alice, carol, in_tenant):
    skill = SkillFactory(author=alice)
    foreign = SkillFactory(author=carol)
    with in_tenant(alice), pytest.raises(ValidationError, match=services.PARENT_OTHER_TENANT):
        services.skill_set_parent(skill=skill, parent=foreign)


def test_would_create_cycle_is_one_query(alice, in_tenant, django_assert_num_queries):
    a = SkillFactory(author=alice)
    b = SkillFactory(author=alice, parent=a)
    c = SkillFactory(author=alice, parent=b)
    with in_tenant(alice), django_assert_num_queries(1):
        assert services.would_create_cycle(skill=a, parent=c)
