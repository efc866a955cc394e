"""Prepared statements on the serving connection (config/settings.py): PostgreSQL plans
a page's statements once per connection. None behind a transaction pooler (PgBouncer
before 1.21 cannot follow one from server connection to server connection), nor on
Citus (tenancy/citus.py: it must see a saved row's tenant_id written into the UPDATE)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from portfolio.models import WorkArtifact
from tenancy.citus import is_citus
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = pytest.mark.django_db


def _prepared_on_this_connection() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_page_opened_often_runs_prepared_statements_where_they_can_be(alice_client):
    for _ in range(6):  # past psycopg's prepare_threshold
        assert alice_client.get("/portfolio/").status_code == 200
    prepared = _prepared_on_this_connection()
    if settings.TRANSACTION_POOLING or is_citus(connection):
        assert prepared == []
    else:
        assert any("portfolio_workartifact" in statement for statement in prepared)


def test_saving_a_tenant_row_again_and_again_works_on_every_server(alice, in_tenant):
    """A save sets every column, tenant_id too: fine prepared on one server, and on
    Citus only because it binds on the client there."""
    with in_tenant(alice):
        artifact = WorkArtifactFactory(user=alice, title="Draft")
        for n in range(7):
            artifact.title = f"Draft {n}"
            artifact.save()
        assert WorkArtifact.objects.get(pk=artifact.pk).title == "Draft 6"
