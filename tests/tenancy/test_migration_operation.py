"""The RLS migration operations are reversible: backwards removes exactly what forwards added."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.migrations.state import ProjectState

from config.database import OWNER_ALIAS
from tenancy.rls import EnableTenantRLS, RewriteTenantPolicies, fence_problems


# The operation runs as the owner, like every migration; its test transaction
# on that alias is rolled back at the end like the default one.
@pytest.mark.django_db(databases=["default", OWNER_ALIAS])
def test_operation_reverses_and_reapplies():
    from django.db.migrations.loader import MigrationLoader

    owner = connections[OWNER_ALIAS]
    state: ProjectState = MigrationLoader(owner).project_state()
    operation = EnableTenantRLS("skill")

    with owner.schema_editor() as editor:
        operation.database_backwards("skills", editor, state, state)
    problems = fence_problems(owner)
    assert any("skills_skill" in p and "not ENABLED" in p for p in problems)
    assert any("skills_skill" in p and "PERMISSIVE" in p for p in problems)

    with owner.schema_editor() as editor:
        operation.database_forwards("skills", editor, state, state)
    assert fence_problems(owner) == []


def test_operation_deconstructs_for_migration_files():
    name, args, kwargs = EnableTenantRLS("skill").deconstruct()
    assert (name, args, kwargs) == ("EnableTenantRLS", ["skill"], {})


def _policy_tests(connection) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT qual FROM pg_policies WHERE schemaname = current_schema() "
            "UNION SELECT with_check FROM pg_policies WHERE schemaname = current_schema()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.single_node("reversing it restores the sub-select, which Citus refuses by design")
@pytest.mark.django_db(databases=["default", OWNER_ALIAS])
def test_policies_hold_no_sub_select_and_the_rewrite_reverses():
    """Citus refuses a policy holding a sub-select on a distributed table."""
    owner = connections[OWNER_ALIAS]
    state = ProjectState()
    tests = _policy_tests(owner)
    assert len(tests) == 1, tests
    assert "SELECT" not in tests.pop().upper()

    with owner.schema_editor() as editor:
        RewriteTenantPolicies().database_backwards("tenancy", editor, state, state)
    assert all("SELECT" in test.upper() for test in _policy_tests(owner))
    assert fence_problems(owner) == []  # the old test fenced as well

    with owner.schema_editor() as editor:
        RewriteTenantPolicies().database_forwards("tenancy", editor, state, state)
    assert not any("SELECT" in test.upper() for test in _policy_tests(owner))
