"""Prepared statements on the serving connection (config/settings.py): PostgreSQL plans
a page's statements once per connection; behind a transaction pooler there are none,
since PgBouncer before 1.21 cannot follow one from one server connection to the next."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_page_opened_often_runs_prepared_statements_unless_pooled(alice_client):
    for _ in range(6):  # past psycopg's prepare_threshold
        assert alice_client.get("/portfolio/").status_code == 200
    prepared = _prepared_on_this_connection()
    if settings.TRANSACTION_POOLING:
        assert prepared == []
    else:
        assert any("portfolio_workartifact" in statement for statement in prepared)
