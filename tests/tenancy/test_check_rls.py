from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenancy.rls import rls_problems

pytestmark = pytest.mark.django_db


def test_check_rls_passes_on_the_migrated_database(capsys):
    call_command("check_rls")
    assert "Row-level security OK" in capsys.readouterr().out


def test_check_rls_fails_when_force_is_dropped():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE skills_skill NO FORCE ROW LEVEL SECURITY")
    with pytest.raises(CommandError, match=r"skills_skill .* not FORCED"):
        call_command("check_rls")


def test_check_rls_fails_when_rls_is_disabled():
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE skills_skill DISABLE ROW LEVEL SECURITY")
    assert any("not ENABLED" in p for p in rls_problems(connection))


def test_check_rls_fails_when_the_permissive_policy_is_missing():
    with connection.cursor() as cursor:
        cursor.execute("DROP POLICY tenant_isolation ON skills_skill")
    with pytest.raises(CommandError, match="missing the PERMISSIVE policy"):
        call_command("check_rls")


def test_check_rls_fails_on_a_policy_that_ignores_the_tenant():
    with connection.cursor() as cursor:
        cursor.execute("CREATE POLICY everyone ON skills_skill USING (true)")
    with pytest.raises(CommandError, match=r"'everyone' does not test app\.current_tenant_id"):
        call_command("check_rls")
