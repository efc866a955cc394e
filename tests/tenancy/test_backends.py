"""The session's user is read with its tenant (tenancy/backends.py): a page that
names the organisation pays no second round trip for it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_the_dashboard_names_the_tenant_without_reading_it_again(alice_client):
    with CaptureQueriesContext(connection) as queries:
        response = alice_client.get("/")
    assert "Acme" in response.text
    tenant_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tenancy_tenant"')]
    assert tenant_reads == []
    user_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "tenancy_user"')]
    assert len(user_reads) == 1
    assert 'INNER JOIN "tenancy_tenant"' in user_reads[0]


def test_a_deactivated_user_is_signed_out(alice_client, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    response = alice_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
