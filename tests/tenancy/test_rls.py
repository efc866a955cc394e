"""Row-level security, tested with raw SQL as the app role: no ORM filter helps here."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tenancy.context import current_tenant_id, tenant_context
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _skill_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM skills_skill ORDER BY name")
        return [row[0] for row in cursor.fetchall()]


def test_the_suite_connects_as_a_role_subject_to_rls():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)


def test_raw_select_in_a_tenant_context_returns_only_that_tenants_rows(alice, carol):
    SkillFactory(author=alice, name="Acme skill")
    SkillFactory(author=carol, name="Globex skill")

    with tenant_context(alice.tenant):
        assert _skill_names() == ["Acme skill"]
    with tenant_context(carol.tenant):
        assert _skill_names() == ["Globex skill"]


def test_raw_select_with_no_tenant_set_returns_nothing(alice):
    SkillFactory(author=alice, name="Acme skill")
    assert current_tenant_id() is None
    assert _skill_names() == []


def test_insert_with_another_tenants_id_is_refused(alice, carol):
    with (
        tenant_context(alice.tenant),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO skills_skill (tenant_id, author_id, name, description, "
            "created_at, updated_at) VALUES (%s, %s, 'Smuggled', '', now(), now())",
            [carol.tenant_id, carol.pk],
        )
    with tenant_context(carol.tenant):
        assert _skill_names() == []


def test_insert_with_no_tenant_set_is_refused(alice):
    with (
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO skills_skill (tenant_id, author_id, name, description, "
            "created_at, updated_at) VALUES (%s, %s, 'Orphan', '', now(), now())",
            [alice.tenant_id, alice.pk],
        )


def test_update_cannot_move_a_row_to_another_tenant(alice, carol):
    skill = SkillFactory(author=alice)
    # The policy's WITH CHECK refuses it; on Citus the distribution column cannot
    # change at all, which is refused before the policy is asked.
    with (
        tenant_context(alice.tenant),
        pytest.raises(DatabaseError, match=r"row-level security|partition value of rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE skills_skill SET tenant_id = %s WHERE id = %s", [carol.tenant_id, skill.pk]
        )


def test_nested_contexts_restore_the_outer_tenant(alice, carol):
    with tenant_context(alice.tenant):
        with tenant_context(carol.tenant):
            assert current_tenant_id() == carol.tenant_id
        assert current_tenant_id() == alice.tenant_id
    assert current_tenant_id() is None
