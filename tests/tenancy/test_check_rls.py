"""`check_rls` audits the live database; each broken fence is named.

The fence is broken on purpose on the owner role's connection (the serving role
cannot break it, tests/tenancy/test_roles.py), in a transaction rolled back at
the end, and audited on that same connection.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from psycopg import sql

from tenancy.rls import rls_problems

pytestmark = pytest.mark.django_db


def test_check_rls_passes_on_the_migrated_database(capsys):
    call_command("check_rls")
    assert "Row-level security OK" in capsys.readouterr().out


def broken(owner, statement: str) -> list[str]:
    with owner.cursor() as cursor:
        cursor.execute(statement)
    return rls_problems(owner)


def test_check_rls_fails_when_force_is_dropped(owner_transaction):
    problems = broken(owner_transaction, "ALTER TABLE skills_skill NO FORCE ROW LEVEL SECURITY")
    assert any("skills_skill" in p and "not FORCED" in p for p in problems)


def test_check_rls_fails_when_rls_is_disabled(owner_transaction):
    problems = broken(owner_transaction, "ALTER TABLE skills_skill DISABLE ROW LEVEL SECURITY")
    assert any("not ENABLED" in p for p in problems)


def test_check_rls_fails_when_the_permissive_policy_is_missing(owner_transaction):
    problems = broken(owner_transaction, "DROP POLICY tenant_isolation ON skills_skill")
    assert any("missing the PERMISSIVE policy" in p for p in problems)


def test_check_rls_fails_on_a_policy_that_ignores_the_tenant(owner_transaction):
    problems = broken(owner_transaction, "CREATE POLICY everyone ON skills_skill USING (true)")
    assert any("'everyone' does not test app.current_tenant_id" in p for p in problems)


def test_check_rls_fails_when_the_serving_role_may_truncate(owner_connection):
    """TRUNCATE ignores row-level security: granting it is a hole in the fence."""
    serving = sql.Identifier(settings.DATABASES["default"]["USER"])
    owner_connection.execute(sql.SQL("GRANT TRUNCATE ON skills_skill TO {}").format(serving))
    try:
        with pytest.raises(CommandError, match="has TRUNCATE on tenant table skills_skill"):
            call_command("check_rls")
    finally:
        owner_connection.execute(sql.SQL("REVOKE TRUNCATE ON skills_skill FROM {}").format(serving))
