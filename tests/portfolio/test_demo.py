from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from portfolio.models import WorkArtifact
from tenancy.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_alice_a_dozen_artifacts_once(settings, in_tenant):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    alice = User.objects.get(email="alice@acme.test")
    with in_tenant(alice):
        artifacts = list(WorkArtifact.objects.owned_by(alice))
        categories = {a.category for a in artifacts}
        suggested = [a for a in artifacts if a.suggested_skill_ids]
    assert len(artifacts) == 12
    assert categories == {"document", "email", "template", "script", "other"}
    assert len({a.artifact_date.year for a in artifacts}) >= 3
    assert len(suggested) >= 8

    call_command("seed_demo", stdout=io.StringIO())
    with in_tenant(alice):
        assert WorkArtifact.objects.count() == 12
