"""Row-level security: the one migration operation, and the live-database audit.

Every tenant table gets, through `EnableTenantRLS`:

- ENABLE and FORCE ROW LEVEL SECURITY (FORCE so the owning role, which is the
  app role, is subject to the policies too);
- a PERMISSIVE policy granting the rows of the current tenant, USING and WITH
  CHECK (a RESTRICTIVE policy alone grants nothing);
- a RESTRICTIVE policy with the same test, so a permissive policy added later
  for some other purpose can never widen access across tenants.

The current tenant is `app.current_tenant_id`, set transaction-locally by
`tenancy.context.tenant_context` and the request middleware. Unset or empty,
the NULLIF makes the comparison NULL: no rows visible, every write refused.

The expression has no sub-select: Citus refuses a policy holding one on a
distributed table. `current_setting` is STABLE, so PostgreSQL still evaluates
it once per index scan and `tenant_id = <expression>` can use an index
(tests/test_list_indexes.py proves it for every list query).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

TENANT_SETTING = "app.current_tenant_id"
TENANT_COLUMN = "tenant_id"
PERMISSIVE_POLICY = "tenant_isolation"
RESTRICTIVE_POLICY = "tenant_fence"
CURRENT_TENANT_SQL = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')::bigint"
TENANT_CHECK_SQL = f"{TENANT_COLUMN} = {CURRENT_TENANT_SQL}"
# The test the policies had before tenancy migration 0003 (which rewrites them).
SUBSELECT_TENANT_CHECK_SQL = f"{TENANT_COLUMN} = (SELECT {CURRENT_TENANT_SQL})"


def enable_sql(table: str, qn) -> list[str]:
    t = qn(table)
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {PERMISSIVE_POLICY} ON {t} AS PERMISSIVE FOR ALL "
        f"USING ({TENANT_CHECK_SQL}) WITH CHECK ({TENANT_CHECK_SQL})",
        f"CREATE POLICY {RESTRICTIVE_POLICY} ON {t} AS RESTRICTIVE FOR ALL "
        f"USING ({TENANT_CHECK_SQL}) WITH CHECK ({TENANT_CHECK_SQL})",
    ]


def disable_sql(table: str, qn) -> list[str]:
    t = qn(table)
    return [
        f"DROP POLICY IF EXISTS {RESTRICTIVE_POLICY} ON {t}",
        f"DROP POLICY IF EXISTS {PERMISSIVE_POLICY} ON {t}",
        f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY",
    ]


class EnableTenantRLS(Operation):
    """Fence a tenant table with row-level security (reversible).

    Use right after the CreateModel of every model with a `tenant` FK:

        EnableTenantRLS("skill")
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # database-only: the model state does not change

    def _table(self, app_label: str, state: ProjectState) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in enable_sql(self._table(app_label, to_state), schema_editor.quote_name):
            schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        for statement in disable_sql(self._table(app_label, from_state), schema_editor.quote_name):
            schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"


class RewriteTenantPolicies(Operation):
    """Give every existing tenant policy the current test, TENANT_CHECK_SQL
    (reversible, to the sub-select test the policies were created with).

    Runs over the policies found in the database (the two names EnableTenantRLS
    creates), so it covers every table fenced before it, whichever app made it.
    """

    reversible = True
    reduces_to_sql = False

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _rewrite(self, schema_editor: BaseDatabaseSchemaEditor, test: str) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, policyname FROM pg_policies "
                "WHERE schemaname = current_schema() AND policyname IN (%s, %s)",
                [PERMISSIVE_POLICY, RESTRICTIVE_POLICY],
            )
            found = cursor.fetchall()
        qn = schema_editor.quote_name
        for table, policy in found:
            schema_editor.execute(
                f"ALTER POLICY {qn(policy)} ON {qn(table)} USING ({test}) WITH CHECK ({test})"
            )

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rewrite(schema_editor, TENANT_CHECK_SQL)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._rewrite(schema_editor, SUBSELECT_TENANT_CHECK_SQL)

    def describe(self) -> str:
        return "Rewrite every tenant policy's test without a sub-select"


# Global tables that carry a tenant but are read before any tenant is known.
GLOBAL_MODELS = {"tenancy.User"}


def tenant_models() -> list[type[models.Model]]:
    """Every concrete, managed model with a foreign key named `tenant` (but GLOBAL_MODELS)."""
    from tenancy.models import Tenant

    found = []
    for model in apps.get_models():
        opts = model._meta
        if opts.abstract or not opts.managed or opts.proxy or opts.label in GLOBAL_MODELS:
            continue
        field = next((f for f in opts.concrete_fields if f.name == "tenant"), None)
        if field is not None and field.is_relation and field.related_model is Tenant:
            found.append(model)
    return found


@dataclass(frozen=True)
class TableState:
    enabled: bool
    forced: bool
    policies: dict[str, tuple[bool, str, str]]  # name -> (permissive, using, check)


def _table_state(cursor, table: str) -> TableState | None:
    cursor.execute(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = to_regclass(%s)",
        [table],
    )
    row = cursor.fetchone()
    if row is None:
        return None
    cursor.execute(
        "SELECT policyname, permissive = 'PERMISSIVE', coalesce(qual, ''), "
        "coalesce(with_check, '') FROM pg_policies "
        "WHERE schemaname = current_schema() AND tablename = %s",
        [table],
    )
    policies = {name: (permissive, using, check) for name, permissive, using, check in cursor}
    return TableState(enabled=row[0], forced=row[1], policies=policies)


# Privileges the serving role must not hold on a tenant table: TRUNCATE ignores
# row-level security, TRIGGER runs code on other tenants' writes, REFERENCES lets
# a foreign key probe for rows it cannot see.
FORBIDDEN_TABLE_PRIVILEGES = ("TRUNCATE", "TRIGGER", "REFERENCES")


def _privilege_problems(cursor, role: str) -> list[str]:
    """What lets the connected role change or bypass the fence it is behind."""
    problems: list[str] = []
    tables = [model._meta.db_table for model in tenant_models()]
    # Owning a table, or being able to act as its owner (SET ROLE), allows
    # DISABLE ROW LEVEL SECURITY and DROP POLICY.
    cursor.execute(
        "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
        "WHERE c.oid = ANY(SELECT to_regclass(t) FROM unnest(%s::text[]) AS t) "
        "AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY c.relname",
        [tables],
    )
    for table, owner in cursor.fetchall():
        problems.append(
            f"role {role!r} owns (or can act as {owner!r}, the owner of) tenant table {table}: "
            "it can switch row-level security off; connect as a role that owns nothing"
        )
    cursor.execute(
        "SELECT has_schema_privilege(current_user, current_schema(), 'CREATE'), "
        "has_database_privilege(current_user, current_database(), 'CREATE'), current_schema()"
    )
    creates_tables, creates_schemas, schema = cursor.fetchone()
    if creates_tables:
        problems.append(f"role {role!r} can create tables in schema {schema!r}")
    if creates_schemas:
        problems.append(f"role {role!r} can create schemas in the database")
    cursor.execute(
        "SELECT t, p FROM unnest(%s::text[]) AS t, unnest(%s::text[]) AS p "
        "WHERE to_regclass(t) IS NOT NULL AND has_table_privilege(current_user, t, p) "
        "ORDER BY t, p",
        [tables, list(FORBIDDEN_TABLE_PRIVILEGES)],
    )
    for table, privilege in cursor.fetchall():
        problems.append(f"role {role!r} has {privilege} on tenant table {table}")
    return problems


def rls_problems(connection: Any) -> list[str]:
    """What is missing for tenant isolation in the live database (empty: all good):
    the connected role's powers, then every tenant table's policies.

    `connection` is Django's or a plain psycopg connection.
    """
    return role_problems(connection) + fence_problems(connection)


def role_problems(connection: Any) -> list[str]:
    """What lets the connected role skip, switch off or go around the fence."""
    problems: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        role, is_super, bypasses = cursor.fetchone()
        if is_super:
            problems.append(
                f"role {role!r} is a superuser: superusers always bypass row-level security"
            )
        if bypasses:
            problems.append(f"role {role!r} has BYPASSRLS: it skips every policy")
        problems += _privilege_problems(cursor, role)
    return problems


def fence_problems(connection: Any, *, missing_ok: bool = False) -> list[str]:
    """Every tenant table has row-level security ENABLED, FORCED and both policies.

    `missing_ok`: a table not created yet is no problem (the system check runs
    before `migrate` creates it; `check_rls` audits a migrated database).
    """
    problems: list[str] = []
    with connection.cursor() as cursor:
        for model in tenant_models():
            table = model._meta.db_table
            state = _table_state(cursor, table)
            label = f"{table} ({model._meta.label})"
            if state is None:
                if not missing_ok:
                    problems.append(f"{label}: table does not exist (migrations not applied?)")
                continue
            if not state.enabled:
                problems.append(f"{label}: row-level security is not ENABLED")
            if not state.forced:
                problems.append(
                    f"{label}: row-level security is not FORCED (the owner bypasses it)"
                )
            permissive = state.policies.get(PERMISSIVE_POLICY)
            if permissive is None or not permissive[0]:
                problems.append(
                    f"{label}: missing the PERMISSIVE policy {PERMISSIVE_POLICY!r} "
                    "(without one no rows are granted)"
                )
            for name, (_, using, check) in state.policies.items():
                if TENANT_SETTING not in using or TENANT_SETTING not in check:
                    problems.append(
                        f"{label}: policy {name!r} does not test {TENANT_SETTING} "
                        "in both USING and WITH CHECK"
                    )
            if RESTRICTIVE_POLICY not in state.policies:
                problems.append(f"{label}: missing the RESTRICTIVE policy {RESTRICTIVE_POLICY!r}")
    return problems
