"""crm_artifacts 0003 (Artifact → Proposal, table kept) and 0004 (profile history)
migrate forwards and backwards over a database with data, and no row moves."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from crm_artifacts.models import CustomerProfileEvent, Proposal
from tenancy.context import tenant_context
from tenancy.rls import tenant_models

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(*target: str) -> None:
    # The project's migrate: as the owner role, then the serving role's grants
    # (tenancy/management/commands/migrate.py), as in production.
    call_command("migrate", *target, verbosity=0)


@pytest.mark.single_node(
    "going back past 0005 undoes TenantKeys on the API token table: a primary key "
    "without tenant_id, which Citus refuses on a distributed table by design"
)
def test_rename_and_history_migrate_both_ways_keeping_the_rows(customer, make_batch, bob):
    batch = make_batch(customer, email="jane@new.example", occupation="Pilot")
    ids = sorted(p.pk for p in batch)
    try:
        migrate("crm_artifacts", "0002_tenant_foreign_keys")
        with tenant_context(bob.tenant_id), connection.cursor() as cursor:
            cursor.execute("SELECT id FROM crm_artifacts_artifact ORDER BY id")
            assert [row[0] for row in cursor.fetchall()] == ids
            cursor.execute("SELECT to_regclass('crm_artifacts_customerprofileevent')")
            assert cursor.fetchone()[0] is None
    finally:
        migrate()
    with tenant_context(bob.tenant_id):
        assert sorted(Proposal.objects.values_list("pk", flat=True)) == ids
        customer.refresh_from_db()
        customer.profile = {**customer.profile, "phone": "+44 20 7946 0000"}
        customer.save(update_fields=["profile"])
        assert CustomerProfileEvent.objects.filter(pgh_obj=customer).count() == 1
    # RLS and Citus find the tables by the models' db_table: the kept name.
    tables = {m._meta.db_table for m in tenant_models()}
    assert {"crm_artifacts_artifact", "crm_artifacts_customerprofileevent"} <= tables
