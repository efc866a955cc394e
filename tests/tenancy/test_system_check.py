"""`manage.py check` refuses a serving role or a tenant table that lets tenants mix."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.management import call_command

from tenancy.checks import RLS_CHECK_ID, rls_check, rls_errors

pytestmark = pytest.mark.django_db


def test_the_check_is_registered_and_passes_on_the_migrated_database():
    assert rls_check in checks.registry.registry.get_checks()
    assert rls_check() == []
    call_command("check")  # raises SystemCheckError on any error


def test_the_check_fails_when_a_tenant_table_lacks_its_policy(owner_transaction):
    with owner_transaction.cursor() as cursor:
        cursor.execute("DROP POLICY tenant_isolation ON skills_skill")
    errors = rls_errors(owner_transaction)
    assert all(e.id == RLS_CHECK_ID and e.level == checks.ERROR for e in errors)
    assert any("skills_skill" in e.msg and "PERMISSIVE" in e.msg for e in errors)


def test_the_check_names_a_role_that_can_switch_the_fence_off(owner_transaction):
    # The owner role owns every table, as a superuser or BYPASSRLS role would skip them:
    # the same audit as check_rls (tenancy/rls.py) names it.
    errors = rls_errors(owner_transaction)
    assert any("owns" in e.msg for e in errors)


def test_a_table_not_created_yet_does_not_fail_the_check(owner_transaction):
    # `migrate` runs the checks before it creates the tables.
    with owner_transaction.cursor() as cursor:
        cursor.execute("DROP TABLE skills_skill CASCADE")
    errors = rls_errors(owner_transaction)
    assert not any("skills_skill (" in e.msg for e in errors)
