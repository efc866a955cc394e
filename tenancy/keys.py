"""Keys that carry the tenant: what a tenant table needs beyond its policies.

On every tenant table the database's primary key is `(tenant_id, id)` (Django
still sees `id` as the primary key), and every foreign key between two tenant
tables is `(tenant_id, x_id) -> (tenant_id, id)`. Two reasons:

- Citus distributes tenant tables by `tenant_id`, and refuses a primary key,
  a unique constraint or a foreign key between distributed tables that does
  not hold the distribution column (docs/scaling.md);
- the database itself refuses a reference to another tenant's row, which
  otherwise only the services check.

`TenantForeignKey` is a ForeignKey between tenant models. Django creates no
constraint for it (the `TenantKeys` migration operation adds the composite
one), and every join it makes, forwards (`select_related`, `filter(skill__…)`)
or backwards, also equates the two tables' `tenant_id`: Citus routes a join to
one shard only when it sees the distribution column equal on both sides.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.db.models.expressions import Col
from django.db.models.lookups import Exact

from tenancy.rls import TENANT_COLUMN


class TenantForeignKey(models.ForeignKey):
    """A foreign key from one tenant model to another (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["db_constraint"] = False  # TenantKeys adds the composite constraint
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        return name, path, args, kwargs

    def get_extra_restriction(self, alias: str | None, related_alias: str | None) -> Any:
        # `alias` is the referenced table's alias in the join, `related_alias`
        # this field's table (the reverse relation swaps them before calling).
        # Subquery pushdown passes no alias: the subquery is already one table.
        if alias is None or related_alias is None:
            return None
        theirs = self.related_model._meta.get_field("tenant")
        ours = self.model._meta.get_field("tenant")
        return Exact(Col(alias, theirs), Col(related_alias, ours))


def tenant_foreign_keys(model: type[models.Model]) -> list[TenantForeignKey]:
    return [f for f in model._meta.local_concrete_fields if isinstance(f, TenantForeignKey)]


def primary_key_name(table: str) -> str:
    return f"{table}_pkey"


def foreign_key_name(table: str, column: str) -> str:
    # PostgreSQL names are at most 63 bytes; Django's tables here are short.
    return f"{table}_{column}_tenant_fk"[:63]


def keys_sql(model: type[models.Model], qn) -> list[str]:
    table = model._meta.db_table
    t, pk = qn(table), qn(model._meta.pk.column)
    statements = [
        f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {qn(primary_key_name(table))}",
        f"ALTER TABLE {t} ADD CONSTRAINT {qn(primary_key_name(table))} "
        f"PRIMARY KEY ({TENANT_COLUMN}, {pk})",
    ]
    return statements


def foreign_keys_sql(model: type[models.Model], qn) -> list[str]:
    # Checked at each statement, not deferred to commit as Django's own keys
    # are: our services write parents before children and Django deletes
    # children first, and on Citus a deferred check fails inside the two-phase
    # commit, where it can only be reported as "could not commit transaction"
    # instead of naming the key.
    table = model._meta.db_table
    statements = []
    for field in tenant_foreign_keys(model):
        target = field.related_model._meta
        statements.append(
            f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(foreign_key_name(table, field.column))} "
            f"FOREIGN KEY ({TENANT_COLUMN}, {qn(field.column)}) "
            f"REFERENCES {qn(target.db_table)} ({TENANT_COLUMN}, {qn(target.pk.column)})"
        )
    return statements


class TenantKeys(Operation):
    """Give tenant models their tenant-carrying keys (reversible).

        TenantKeys(["skills.skill", "messaging.skillmessage"])

    Forwards: each table's primary key becomes (tenant_id, id), then each
    TenantForeignKey of the models gets its composite constraint. The models'
    TenantForeignKeys must already be in the state (their plain constraints
    dropped by the AlterField that made them TenantForeignKeys), and every
    table they reference must be in the list or have its keys already.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.labels], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # database-only: the model state does not change

    def _models(self, state: ProjectState) -> list[type[models.Model]]:
        return [state.apps.get_model(label) for label in self.labels]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        found = self._models(to_state)
        qn = schema_editor.quote_name
        for model in found:
            for statement in keys_sql(model, qn):
                schema_editor.execute(statement)
        for model in found:
            for statement in foreign_keys_sql(model, qn):
                schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        found = self._models(from_state)
        qn = schema_editor.quote_name
        for model in found:
            table = model._meta.db_table
            for field in tenant_foreign_keys(model):
                name = qn(foreign_key_name(table, field.column))
                schema_editor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {name}")
        for model in found:
            table = model._meta.db_table
            schema_editor.execute(
                f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(primary_key_name(table))}, "
                f"ADD CONSTRAINT {qn(primary_key_name(table))} "
                f"PRIMARY KEY ({qn(model._meta.pk.column)})"
            )

    def describe(self) -> str:
        return f"Primary and foreign keys with tenant_id on {', '.join(self.labels)}"
