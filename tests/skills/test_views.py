from __future__ import annotations

import pytest

from skills.models import Skill
from tests.factories import SkillFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_list_shows_the_tree_of_my_tenant_only(alice_client, alice, carol):
    root = SkillFactory(author=alice, name="Prompt engineering")
    SkillFactory(author=alice, name="Summaries", parent=root)
    SkillFactory(author=carol, name="Globex secret")
    response = alice_client.get("/skills/")
    assert response.status_code == 200
    assert 'data-depth="1"' in response.text
    assert "Summaries" in response.text
    assert "Globex secret" not in response.text


def test_list_runs_the_same_queries_for_5_and_50_skills(alice_client, alice):
    def add(count: int) -> None:
        parent = None
        for i in range(count):
            parent = SkillFactory(author=alice, parent=parent if i % 3 else None)

    add(5)
    assert_constant_queries(lambda: alice_client.get("/skills/"), lambda: add(45), limit=10)


def test_create_via_the_form(alice_client, alice, in_tenant):
    response = alice_client.post("/skills/new/", {"name": "Email drafting", "description": ""})
    with in_tenant(alice):
        skill = Skill.objects.get(name="Email drafting")
    assert response.status_code == 302
    assert response["Location"] == f"/skills/{skill.pk}/"


@pytest.mark.parametrize(
    ("name", "error"), [("", "This field is required"), ("x" * 101, "at most 100 characters")]
)
def test_bad_names_are_form_errors_and_save_nothing(alice_client, alice, in_tenant, name, error):
    response = alice_client.post("/skills/new/", {"name": name})
    assert response.status_code == 200
    assert error in response.text
    with in_tenant(alice):
        assert not Skill.objects.exists()


def test_duplicate_name_is_a_form_error(alice_client, alice):
    SkillFactory(author=alice, name="Prompting")
    response = alice_client.post("/skills/new/", {"name": "PROMPTING"})
    assert "already has a skill with this name" in response.text


def test_author_edits_and_can_move_under_a_parent(alice_client, alice, in_tenant):
    parent = SkillFactory(author=alice, name="Parent")
    skill = SkillFactory(author=alice, name="Child")
    response = alice_client.post(
        f"/skills/{skill.pk}/edit/", {"name": "Child renamed", "parent": parent.pk}
    )
    assert response.status_code == 302
    with in_tenant(alice):
        skill.refresh_from_db()
    assert (skill.name, skill.parent_id) == ("Child renamed", parent.pk)


def test_edit_refuses_a_cycle_with_a_form_error(alice_client, alice, in_tenant):
    root = SkillFactory(author=alice, name="Root")
    child = SkillFactory(author=alice, name="Kid", parent=root)
    response = alice_client.post(f"/skills/{root.pk}/edit/", {"name": "Root", "parent": child.pk})
    assert response.status_code == 200
    assert "would loop" in response.text
    with in_tenant(alice):
        assert Skill.objects.get(pk=root.pk).parent_id is None


def test_teammate_cannot_edit_and_nothing_changes(client_for, alice, bob, in_tenant):
    skill = SkillFactory(author=alice, name="Alice's")
    bob_client = client_for(bob)
    assert bob_client.get(f"/skills/{skill.pk}/edit/").status_code == 403
    response = bob_client.post(f"/skills/{skill.pk}/edit/", {"name": "Bob's now"})
    assert response.status_code == 403
    assert "author can edit it" in response.text
    with in_tenant(alice):
        assert Skill.objects.get(pk=skill.pk).name == "Alice's"


@pytest.mark.parametrize("suffix", ["", "edit/"])
def test_another_tenants_skill_is_404_on_every_url(client_for, alice, carol, suffix, in_tenant):
    foreign = SkillFactory(author=carol, name="Globex")
    client = client_for(alice)
    assert client.get(f"/skills/{foreign.pk}/{suffix}").status_code == 404
    assert client.post(f"/skills/{foreign.pk}/{suffix}", {"name": "Hijack"}).status_code == 404
    with in_tenant(carol):
        assert Skill.objects.get(pk=foreign.pk).name == "Globex"


def test_parent_choices_are_limited_to_my_tenant(alice_client, alice, carol, in_tenant):
    foreign = SkillFactory(author=carol, name="Globex parent")
    skill = SkillFactory(author=alice)
    response = alice_client.post(
        f"/skills/{skill.pk}/edit/", {"name": skill.name, "parent": foreign.pk}
    )
    assert "Select a valid choice" in response.text
    with in_tenant(alice):
        assert Skill.objects.get(pk=skill.pk).parent_id is None


def test_the_list_query_uses_an_index(alice, in_tenant):
    from tests.utils import assert_uses_index

    SkillFactory(author=alice)
    with in_tenant(alice):
        assert_uses_index(
            Skill.objects.for_tenant(alice.tenant_id).order_by("name"), "skills_skill"
        )
