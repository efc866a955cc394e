"""Keys that carry the tenant (tenancy/keys.py): the database refuses a reference
to another tenant's row, and every tenant table has the keys Citus needs."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, models
from django.test import override_settings

from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.keys import TenantForeignKey, foreign_key_name, primary_key_name
from tenancy.rls import tenant_models
from tests.factories import SkillFactory
from workshops.models import Workshop, WorkshopStep

pytestmark = pytest.mark.django_db

TENANT_MODELS = tenant_models()


# Committed for real, so nothing of the test's own transaction hides the refusal.
@pytest.mark.django_db(transaction=True)
def test_a_raw_insert_referencing_another_tenants_row_is_refused(alice, carol):
    """RLS lets the row in (its own tenant_id is alice's); the composite foreign
    key refuses it, because carol's skill is not (alice's tenant, that id)."""
    smuggled_parent = SkillFactory(author=carol, name="Globex parent")
    with (
        pytest.raises(IntegrityError, match="skills_skill_parent_id_tenant_fk"),
        tenant_context(alice.tenant),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO skills_skill (tenant_id, author_id, parent_id, name, description, "
            "created_at, updated_at) VALUES (%s, %s, %s, 'Child', '', now(), now())",
            [alice.tenant_id, alice.pk, smuggled_parent.pk],
        )
    with tenant_context(alice.tenant):
        assert not Skill.objects.exists()


def test_a_reference_within_the_tenant_is_accepted(alice):
    parent = SkillFactory(author=alice, name="Parent")
    child = SkillFactory(author=alice, name="Child", parent=parent)
    with tenant_context(alice.tenant):
        assert child.parent.pk == parent.pk


def _constraint_columns(table: str, name: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_constraint c "
            "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, position) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = to_regclass(%s) AND c.conname = %s ORDER BY k.position",
            [table, name],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_every_tenant_table_has_a_primary_key_with_the_tenant(model):
    table = model._meta.db_table
    # `id`, or the key of a library's table (pghistory's events: `pgh_id`).
    pk = model._meta.pk.column
    assert _constraint_columns(table, primary_key_name(table)) == ["tenant_id", pk]


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_every_reference_between_tenant_tables_carries_the_tenant(model):
    """A plain ForeignKey to another tenant model would make a join Citus cannot
    route and a constraint it refuses: use TenantForeignKey (and TenantKeys)."""
    table = model._meta.db_table
    for field in model._meta.local_concrete_fields:
        if not field.is_relation or field.related_model not in TENANT_MODELS:
            continue
        assert isinstance(field, TenantForeignKey), f"{model._meta.label}.{field.name}"
        name = foreign_key_name(table, field.column)
        assert _constraint_columns(table, name) == ["tenant_id", field.column], name


@override_settings(TENANCY_STRICT=False)  # the SQL's shape only, compiled without a tenant
def test_joins_between_tenant_tables_equate_the_tenant():
    forwards = str(WorkshopStep.objects.filter(workshop__title="x").query)
    backwards = str(Workshop.objects.filter(steps__status="done").query)
    for sql in (forwards, backwards):
        assert '"workshops_workshop"."tenant_id" = ("workshops_workshopstep"."tenant_id")' in sql


def test_a_tenant_foreign_key_never_creates_a_plain_constraint():
    field = TenantForeignKey(Workshop, on_delete=models.CASCADE)
    assert field.db_constraint is False
    assert "db_constraint" not in field.deconstruct()[3]
