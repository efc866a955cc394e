"""The tenant lives inside each request's transaction and dies with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid_and_setting() -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('app.current_tenant_id', true)")
        pid, setting = cursor.fetchone()
    return pid, setting or ""


def test_consecutive_requests_on_one_connection_each_see_only_their_tenant(alice, carol):
    SkillFactory(author=alice, name="Acme only")
    SkillFactory(author=carol, name="Globex only")
    # Keep the connection open between requests, as a pooled worker would.
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = None
    try:
        alice_client, carol_client = Client(), Client()
        alice_client.force_login(alice)
        carol_client.force_login(carol)

        first = alice_client.get("/skills/")
        pid_after_first, setting_after_first = _backend_pid_and_setting()
        second = carol_client.get("/skills/")
        pid_after_second, _ = _backend_pid_and_setting()
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = 0
        connection.close()

    assert pid_after_first == pid_after_second  # the very same server connection
    assert setting_after_first == ""  # nothing survives the first request
    assert "Acme only" in first.text
    assert "Globex only" not in first.text
    assert "Globex only" in second.text
    assert "Acme only" not in second.text


def test_anonymous_requests_see_no_tenant_rows(alice, client):
    SkillFactory(author=alice)
    response = client.get("/skills/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
