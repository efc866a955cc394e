"""The catalogue's holder and evidence counts, and the tenant admin's coverage chart."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portfolio.services import profile as profile_services
from skills.selectors import PROFILE_COUNTS_SQL, profile_counts, skill_coverage
from tenancy.demo import tenant_admin_group
from tests.factories import SkillFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.test_list_indexes import _RawSQL
from tests.utils import assert_constant_queries, assert_uses_index

pytestmark = pytest.mark.django_db


def _hold(user, skill, artifacts, in_tenant, level="expert"):
    with in_tenant(user):
        return profile_services.profile_skill_confirm(
            user=user, skill_id=skill.pk, artifact_ids=[a.pk for a in artifacts], level=level
        )


def test_counts_members_and_evidence_per_skill(alice, bob, carol, in_tenant):
    skill = SkillFactory(author=alice, name="Forecasting")
    _hold(alice, skill, WorkArtifactFactory.create_batch(2, user=alice), in_tenant)
    _hold(bob, skill, WorkArtifactFactory.create_batch(1, user=bob), in_tenant)
    foreign = SkillFactory(author=carol)
    _hold(carol, foreign, WorkArtifactFactory.create_batch(1, user=carol), in_tenant)
    with in_tenant(alice):
        assert profile_counts(tenant_id=alice.tenant_id) == {skill.pk: (2, 3)}


def test_the_catalogue_shows_the_counts_in_constant_queries(alice_client, alice, in_tenant):
    def grow(n: int) -> None:
        for _ in range(n):
            _hold(alice, SkillFactory(author=alice), [WorkArtifactFactory(user=alice)], in_tenant)

    grow(2)
    page = alice_client.get(reverse("skills:list")).content.decode()
    assert "1 member · 1 evidence" in page
    assert_constant_queries(lambda: alice_client.get(reverse("skills:list")), lambda: grow(6))


def test_the_counts_read_the_profile_through_an_index(alice, in_tenant):
    with in_tenant(alice):
        assert_uses_index(_RawSQL(PROFILE_COUNTS_SQL, [alice.tenant_id]), "portfolio_profileskill")


def test_coverage_puts_the_thinnest_skills_first(alice, bob, in_tenant):
    wide = SkillFactory(author=alice, name="Wide")
    thin = SkillFactory(author=alice, name="Thin")
    SkillFactory(author=alice, name="Nobody")
    _hold(alice, wide, [WorkArtifactFactory(user=alice)], in_tenant)
    _hold(bob, wide, [WorkArtifactFactory(user=bob)], in_tenant)
    _hold(alice, thin, [WorkArtifactFactory(user=alice)], in_tenant)
    with in_tenant(alice):
        coverage = skill_coverage(tenant_id=alice.tenant_id)
    assert [(b.skill.name, b.holders) for b in coverage.bars] == [
        ("Nobody", 0),
        ("Thin", 1),
        ("Wide", 2),
    ]
    assert coverage.bars[-1].share == 100.0


def test_the_coverage_chart_is_for_tenant_admins(client_for, alice, bob, in_tenant):
    url = reverse("skills:coverage")
    assert client_for(bob).get(url).status_code == 403
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())

    def grow(n: int) -> None:
        for _ in range(n):
            _hold(alice, SkillFactory(author=alice), [WorkArtifactFactory(user=alice)], in_tenant)

    grow(1)
    response = client_for(alice).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page
    assert 'data-testid="coverage-row"' in page
    assert_constant_queries(lambda: client_for(alice).get(url), lambda: grow(5))
