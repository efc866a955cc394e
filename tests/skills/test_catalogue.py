"""Issue 14 §2: search the catalogue, fold the tree, count the artifacts suggesting each skill."""

from __future__ import annotations

import pytest

from skills.selectors import skill_forest, suggestion_counts
from tests.factories import SkillFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_the_tree_folds_in_details_that_work_without_javascript(alice_client, alice):
    root = SkillFactory(author=alice, name="Writing")
    SkillFactory(author=alice, name="Emails", parent=root)
    page = alice_client.get("/skills/").text
    assert '<details class="tree-branch" open>' in page
    assert "1 sub-skill" in page
    assert 'href="?collapse=1">Collapse all' in page
    folded = alice_client.get("/skills/", {"collapse": "1"}).text
    assert '<details class="tree-branch">' in folded
    assert "Expand all" in folded


def test_search_keeps_matches_in_their_place_in_the_tree(alice_client, alice, carol):
    root = SkillFactory(author=alice, name="Writing")
    SkillFactory(author=alice, name="Email drafting", parent=root)
    SkillFactory(author=alice, name="Python", description="Scripts that send email")
    SkillFactory(author=alice, name="Spreadsheets")
    SkillFactory(author=carol, name="Globex email")
    page = alice_client.get("/skills/", {"q": "EMAIL"}).text
    assert "2 skills match “EMAIL”" in page
    assert "<mark>Email drafting</mark>" in page
    assert ">Writing</a>" in page  # the ancestor, so the match keeps its place
    assert "<mark>Python</mark>" in page  # found by its description
    assert "Spreadsheets" not in page
    assert "Globex" not in page
    assert "0 skills match" in alice_client.get("/skills/", {"q": "zebra"}).text


def test_htmx_search_returns_only_the_tree(alice_client, alice):
    SkillFactory(author=alice, name="Writing")
    response = alice_client.get(
        "/skills/", {"q": "writ"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="skill-tree"
    )
    assert response.text.lstrip().startswith('<div id="skill-tree">')
    assert "<html" not in response.text


def test_each_skill_shows_how_many_artifacts_suggest_it(alice_client, alice, bob, carol, in_tenant):
    skill = SkillFactory(author=alice, name="Writing")
    other = SkillFactory(author=alice, name="Python")
    WorkArtifactFactory.create_batch(2, user=alice, suggested_skill_ids=[str(skill.pk)])
    WorkArtifactFactory(user=bob, suggested_skill_ids=[str(skill.pk), str(other.pk)])
    # Another tenant's artifact naming the same id counts for nothing here.
    WorkArtifactFactory(user=carol, suggested_skill_ids=[str(skill.pk)])
    with in_tenant(alice):
        assert suggestion_counts(tenant_id=alice.tenant_id) == {skill.pk: 3, other.pk: 1}
    page = alice_client.get("/skills/").text
    assert "3 artifacts" in page
    assert "1 artifact<" in page


def test_counts_are_one_query(alice, in_tenant, django_assert_num_queries):
    WorkArtifactFactory(user=alice, suggested_skill_ids=["1", "not-a-number"])
    with in_tenant(alice), django_assert_num_queries(1):
        assert suggestion_counts(tenant_id=alice.tenant_id) == {1: 1}


def test_list_with_counts_runs_the_same_queries_for_5_and_50_skills(alice_client, alice):
    def add(count: int) -> None:
        parent = None
        for i in range(count):
            parent = SkillFactory(author=alice, parent=parent if i % 3 else None)
            WorkArtifactFactory(user=alice, suggested_skill_ids=[str(parent.pk)])

    add(5)
    for params in ({}, {"q": "skill"}):
        assert_constant_queries(
            lambda params=params: alice_client.get("/skills/", params), lambda: add(20), limit=10
        )


def test_forest_nests_children_under_parents(alice, in_tenant):
    root = SkillFactory(author=alice, name="A")
    child = SkillFactory(author=alice, name="B", parent=root)
    SkillFactory(author=alice, name="C", parent=child)
    with in_tenant(alice):
        (node,) = skill_forest(tenant_id=alice.tenant_id)
    assert node.skill == root
    assert node.children[0].skill == child
    assert node.children[0].children[0].skill.name == "C"
