"""Strict mode (issue 16 §3): a tenant table queried outside any tenant context
raises in development and tests, naming the model; production keeps failing
closed (no row, no error), as the database's fence does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from portfolio.models import WorkArtifact
from tenancy.context import tenant_context
from tenancy.models import TenantContextMissing
from tests.portfolio.factories import WorkArtifactFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def test_a_query_outside_any_tenant_context_names_the_model(alice):
    WorkArtifactFactory(user=alice)
    with pytest.raises(TenantContextMissing) as raised:
        list(WorkArtifact.objects.all())
    assert "portfolio.WorkArtifact" in str(raised.value)
    assert "tenant_context" in str(raised.value)


def test_writes_and_related_reads_outside_a_context_raise_too(alice):
    artifact = WorkArtifactFactory(user=alice)
    artifact.title = "changed outside any tenant"
    # Model.save() updates through the base manager, which filters by tenant.
    with pytest.raises(TenantContextMissing), transaction.atomic():
        artifact.save()
    with pytest.raises(TenantContextMissing), transaction.atomic():
        WorkArtifact.objects.filter(pk=artifact.pk).update(title="x")
    with tenant_context(alice.tenant):
        assert WorkArtifact.objects.get(pk=artifact.pk).title != "changed outside any tenant"


def test_a_queryset_made_outside_a_context_takes_the_tenant_it_runs_in(alice, carol):
    """A form's choices or a module-level queryset are built at import time: the
    tenant is decided when the query runs, not when it was written."""
    mine = WorkArtifactFactory(user=alice)
    theirs = WorkArtifactFactory(user=carol)
    built_outside = WorkArtifact.objects.order_by("pk")
    with tenant_context(alice.tenant):
        assert list(built_outside.all()) == [mine]
        assert "tenant_id" in str(built_outside.query)
    with tenant_context(carol.tenant):
        assert list(built_outside.all()) == [theirs]


def test_not_strict_a_query_outside_any_context_matches_nothing(alice):
    WorkArtifactFactory(user=alice)
    with override_settings(TENANCY_STRICT=False):
        assert list(WorkArtifact.objects.all()) == []
        assert WorkArtifact.objects.count() == 0


@pytest.mark.timeout(120)
def test_strict_by_default_except_in_production():
    def strict(**extra: str) -> str:
        env = {**os.environ, **extra}
        env.pop("TENANCY_STRICT", None)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); "
                "from django.conf import settings; print(settings.TENANCY_STRICT)",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            capture_output=True,
            text=True,
            timeout=110,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert strict() == "True"
    production = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "z" * 20 + "-production-grade-secret-key-for-the-strict-check-0123",
        "ALLOWED_HOSTS": "skills.example.com",
        "TRUSTED_PROXY_COUNT": "1",
    }
    assert strict(**production) == "False"
