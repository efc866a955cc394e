from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.models import Tenant, User

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    counts = {"tenants": Tenant.objects.count(), "users": User.objects.count()}
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            counts[f"skills:{tenant.slug}"] = Skill.objects.count()
    return counts


def test_seed_demo_creates_the_demo_logins_and_is_idempotent(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert set(User.objects.values_list("email", flat=True)) >= {
        "alice@acme.test",
        "bob@acme.test",
        "carol@globex.test",
        "dave@globex.test",
    }
    assert first["skills:acme"] > 0
    assert first["skills:globex"] > 0
    response = client.post(
        "/accounts/login/", {"username": "dave@globex.test", "password": "demo-password"}
    )
    assert response.status_code == 302


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo")
    assert not User.objects.exists()
