"""EnableTenantRLS is reversible: backwards removes exactly what forwards added."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.migrations.state import ProjectState

from config.database import OWNER_ALIAS
from tenancy.rls import EnableTenantRLS, fence_problems


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
