"""EnableTenantRLS is reversible: backwards removes exactly what forwards added."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.state import ProjectState

from tenancy.rls import EnableTenantRLS, rls_problems

pytestmark = pytest.mark.django_db


def test_operation_reverses_and_reapplies():
    from django.db.migrations.loader import MigrationLoader

    state: ProjectState = MigrationLoader(connection).project_state()
    operation = EnableTenantRLS("skill")

    with connection.schema_editor() as editor:
        operation.database_backwards("skills", editor, state, state)
    problems = rls_problems(connection)
    assert any("skills_skill" in p and "not ENABLED" in p for p in problems)
    assert any("skills_skill" in p and "PERMISSIVE" in p for p in problems)

    with connection.schema_editor() as editor:
        operation.database_forwards("skills", editor, state, state)
    assert rls_problems(connection) == []


def test_operation_deconstructs_for_migration_files():
    name, args, kwargs = EnableTenantRLS("skill").deconstruct()
    assert (name, args, kwargs) == ("EnableTenantRLS", ["skill"], {})
