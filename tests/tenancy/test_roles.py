"""The serving role cannot lift the fence: it owns nothing and may change no schema.

Every statement here is one a hostile review ran successfully as the app role
before the roles were split. They run on the connection the app serves
requests with, inside a savepoint, and each must be refused by PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from config.database import OWNER_ALIAS
from tenancy.rls import rls_problems, tenant_models

pytestmark = pytest.mark.django_db

TABLE = "skills_skill"

REFUSED = [
    f"ALTER TABLE {TABLE} DISABLE ROW LEVEL SECURITY",
    f"ALTER TABLE {TABLE} NO FORCE ROW LEVEL SECURITY",
    f"DROP POLICY tenant_isolation ON {TABLE}",
    f"DROP POLICY tenant_fence ON {TABLE}",
    f"CREATE POLICY everyone ON {TABLE} USING (true)",
    f"ALTER TABLE {TABLE} OWNER TO CURRENT_USER",
    f"DROP TABLE {TABLE}",
    # TRUNCATE ignores row-level security: it would empty every tenant's rows.
    f"TRUNCATE {TABLE}",
    "CREATE TABLE serving_role_table (id int)",
    "CREATE SCHEMA serving_role_schema",
    "CREATE FUNCTION serving_role_fn() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    f"CREATE TRIGGER t BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION now()",
    "SET ROLE {owner}",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())",
    "DELETE FROM django_migrations",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_serving_role_is_refused(statement):
    statement = statement.format(owner=settings.DATABASES[OWNER_ALIAS]["USER"])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_serving_role_owns_no_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone()[0] == 0


def test_the_serving_role_reads_and_writes_every_tenant_table():
    with connection.cursor() as cursor:
        for model in tenant_models():
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    "SELECT has_table_privilege(current_user, %s, %s)",
                    [model._meta.db_table, privilege],
                )
                assert cursor.fetchone()[0], (model._meta.db_table, privilege)


@pytest.mark.django_db(transaction=True)  # the owner's DROP must not wait on our locks
def test_tables_created_later_are_granted_to_the_serving_role(owner_connection):
    """Default privileges: a table the owner creates is usable at once, not owned."""
    with owner_connection.cursor() as cursor:
        cursor.execute("CREATE TABLE later_table (id int)")
    try:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO later_table VALUES (1)")
            cursor.execute("SELECT count(*) FROM later_table")
            assert cursor.fetchone()[0] == 1
            with pytest.raises(DatabaseError), transaction.atomic():
                cursor.execute("DROP TABLE later_table")
    finally:
        with owner_connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_table")


def test_check_rls_refuses_a_role_that_owns_a_tenant_table(owner_connection):
    """Run as the owner (which owns every table), the audit names the defect."""
    problems = rls_problems(owner_connection)
    assert any(f"{TABLE}" in p and "owns" in p for p in problems)
    assert any("can create tables in schema" in p for p in problems)


def test_check_rls_passes_for_the_serving_role():
    assert rls_problems(connection) == []
