"""The admin's profile entries and share links go through the same services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portfolio.models import PortfolioShare, ProfileSkill
from portfolio.services import profile as profile_services
from portfolio.services import shares as share_services
from tests.factories import SkillFactory
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(alice, in_tenant):
    skill = SkillFactory(author=alice, name="Forecasting")
    with in_tenant(alice):
        return profile_services.profile_skill_confirm(
            user=alice,
            skill_id=skill.pk,
            artifact_ids=[WorkArtifactFactory(user=alice).pk],
            level="working",
        )


def test_the_admin_changes_a_level_and_refuses_a_bad_one(admin_client, alice, entry, in_tenant):
    url = reverse("admin:portfolio_profileskill_change", args=[entry.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"level": "expert"})
    with in_tenant(alice):
        assert ProfileSkill.objects.get(pk=entry.pk).level == "expert"
    response = admin_client.post(url, {"level": "guru"})
    assert response.status_code == 200  # the form again, with the choice error
    with in_tenant(alice):
        assert ProfileSkill.objects.get(pk=entry.pk).level == "expert"


def test_the_admin_removes_an_entry(admin_client, alice, entry, in_tenant):
    url = reverse("admin:portfolio_profileskill_delete", args=[entry.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    with in_tenant(alice):
        assert not ProfileSkill.objects.exists()


def test_the_admin_revokes_links(admin_client, alice, in_tenant):
    with in_tenant(alice):
        share, token = share_services.share_create(user=alice)
    response = admin_client.post(
        reverse("admin:portfolio_portfolioshare_changelist"),
        {"action": "revoke", "_selected_action": [share.pk]},
    )
    assert response.status_code == 302
    with in_tenant(alice):
        assert PortfolioShare.objects.get(pk=share.pk).revoked_at is not None
    assert Client().get(reverse("portfolio:shared", args=[token])).status_code == 404
