"""The session and its user are read with plain statements (tenancy/sessions.py,
tenancy/backends.py), the user with its tenant: a page that names the
organisation pays no second round trip for it, and every rule of Django's own
backends holds (expiry, deactivation, a password change ending other sessions)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenancy.models import User

pytestmark = pytest.mark.django_db


def test_the_dashboard_names_the_tenant_without_reading_it_again(alice_client):
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get("/")
    assert "Acme" in response.text
    tenant_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tenancy_tenant"')]
    assert tenant_reads == []
    user_reads = [q["sql"] for q in queries if 'FROM "tenancy_user"' in q["sql"]]
    assert len(user_reads) == 1
    assert 'JOIN "tenancy_tenant"' in user_reads[0]


def test_a_deactivated_user_is_signed_out(alice_client, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_user_is_the_same_as_the_orms(alice, acme):
    from tenancy.backends import TenantUserBackend

    loaded = TenantUserBackend().get_user(alice.pk)
    expected = User.objects.select_related("tenant").get(pk=alice.pk)
    assert loaded == expected
    assert {f.attname: getattr(loaded, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    with CaptureQueriesContext(connection) as queries:
        assert loaded.tenant == acme
        assert loaded.tenant.name == "Acme"
    assert len(queries) == 0
    assert TenantUserBackend().get_user(0) is None
    assert TenantUserBackend().get_user("not a number") is None


def test_an_expired_session_is_no_session(alice_client):
    from django.contrib.sessions.models import Session

    assert alice_client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_password_change_elsewhere_signs_this_session_out(alice_client, alice):
    assert alice_client.get("/").status_code == 200
    alice.set_password("an entirely new one 42")
    alice.save(update_fields=["password"])
    assert alice_client.get("/").status_code == 302
