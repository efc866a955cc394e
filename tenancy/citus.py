"""Distributing the schema on Citus: tenant tables by tenant_id, global tables as
reference tables (`manage.py distribute_tables`).

- Every tenant table (tenancy.rls.tenant_models) is distributed by `tenant_id`,
  all colocated with the first, so a tenant's rows of every table live on one
  node and joins that equate tenant_id (tenancy/keys.py) run there.
- The global tables they reference (tenants, users, step definitions) and what
  those reference in turn (groups, permissions, content types, the
  many-to-many tables between them) become reference tables: a copy on every
  node, so a tenant table's foreign key to them can be checked locally.
- The rest (sessions, the sign-in throttle, the task queue, the admin log,
  migrations) stays on the coordinator.

Citus refuses to distribute a table whose foreign key points at a table that
is not distributed yet, so the foreign keys are dropped first and added back
once every table is converted, all in one transaction. What is done already is
skipped: running it twice changes nothing. On a plain PostgreSQL it does
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from tenancy.rls import TENANT_COLUMN, tenant_models

_SHARD_SUFFIX = re.compile(r"_\d+$")
_CONSTRAINT_IN_MESSAGE = re.compile(r'violates (?:unique|foreign key|check) constraint "([^"]+)"')


def violated_constraint(error: Exception) -> str:
    """The name of the constraint an IntegrityError names, as the schema has it.

    On Citus the error comes from a shard, whose constraints carry the shard's
    id as a suffix ("…_unique_102008"); it is removed. Compare the result with
    names of our own making, which never end in "_<digits>".
    """
    name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if not name:
        # Citus relays a worker's error without its fields, message only.
        found = _CONSTRAINT_IN_MESSAGE.search(str(error))
        name = found.group(1) if found else ""
    return _SHARD_SUFFIX.sub("", name)


def is_citus(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        return cursor.fetchone() is not None


def _targets(model: type[models.Model]) -> list[type[models.Model]]:
    """The models `model`'s table references: its foreign keys' targets, and for
    its many-to-many fields the through tables (which reference it in turn)."""
    found = [f.related_model for f in model._meta.concrete_fields if f.is_relation]
    return [m for m in found if m is not model and m._meta.managed]


def reference_models() -> list[type[models.Model]]:
    """The global models the tenant tables reach through foreign keys, with the
    many-to-many tables among them, referenced before referencing (the order
    Citus needs)."""
    tenant = set(tenant_models())
    reached: list[type[models.Model]] = []

    def visit(model: type[models.Model]) -> None:
        if model in tenant or model in reached:
            return
        for target in _targets(model):
            visit(target)
        reached.append(model)
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            for target in _targets(through):
                visit(target)
            if through not in reached:
                reached.append(through)

    for model in tenant_models():
        for target in _targets(model):
            visit(target)
    return reached


def _kinds(cursor: Any) -> dict[str, str]:
    """Table -> "distributed", "reference" or "citus local" (for the tables Citus knows)."""
    cursor.execute(
        "SELECT logicalrelid::regclass::text, CASE WHEN partmethod = 'h' THEN 'distributed' "
        "WHEN repmodel = 't' THEN 'reference' ELSE 'citus local' END FROM pg_dist_partition"
    )
    return dict(cursor.fetchall())


def distribute(connection: Any, say: Callable[[str], None]) -> list[str]:
    """Distribute the schema on `connection` (the owner role's); return what was done.

    One transaction: every foreign key touching a table to convert is dropped
    (Citus would otherwise pull the tables it links into its metadata as local
    tables, which it then cannot convert because of their identity columns),
    the tables are converted, and the same keys are added back. A failure
    leaves the schema as it was.
    """
    if not is_citus(connection):
        return []
    tenant = [m._meta.db_table for m in tenant_models()]
    reference = [m._meta.db_table for m in reference_models()]
    done: list[str] = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Reference tables and foreign keys to them are created one node at a
        # time within a transaction.
        cursor.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'")
        # crm_artifacts' customers carry pghistory's row triggers, which write
        # the event table (crm_artifacts.models.CustomerProfileEvent). Citus
        # distributes a table with triggers only with this setting: safe here
        # because the event table is distributed by tenant_id too, co-located,
        # and the trigger writes a row of the same tenant, so it stays on the
        # shard's own node (docs/scaling.md, "Triggers").
        cursor.execute("SET LOCAL citus.enable_unsafe_triggers TO on")
        kinds = _kinds(cursor)
        pending_reference = [t for t in reference if kinds.get(t) != "reference"]
        pending_tenant = [t for t in tenant if kinds.get(t) != "distributed"]
        pending = pending_reference + pending_tenant
        if not pending:
            return done
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND (conrelid = ANY(%s::regclass[]) "
            "OR confrelid = ANY(%s::regclass[]))",
            [pending, pending],
        )
        keys = cursor.fetchall()
        qn = connection.ops.quote_name
        for table, name, _ in keys:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        for table in pending_reference:
            cursor.execute("SELECT create_reference_table(%s)", [table])
            done.append(f"reference table {table}")
            say(done[-1])
        colocate = next((t for t in tenant if kinds.get(t) == "distributed"), "default")
        for table in pending_tenant:
            cursor.execute(
                "SELECT create_distributed_table(%s, %s, colocate_with => %s)",
                [table, TENANT_COLUMN, colocate],
            )
            colocate = table if colocate == "default" else colocate
            done.append(f"distributed table {table} by {TENANT_COLUMN}")
            say(done[-1])
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
        if keys:
            done.append(f"{len(keys)} foreign keys added back")
            say(done[-1])
    return done


def distribution_problems(connection: Any) -> list[str]:
    """On Citus: every tenant table distributed by tenant_id, all colocated, and
    its policies on every shard; every reference model a reference table."""
    if not is_citus(connection):
        return []
    problems: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT logicalrelid::regclass::text, partmethod, "
            "column_to_column_name(logicalrelid, partkey), colocationid FROM pg_dist_partition"
        )
        found = {table: (method, column, group) for table, method, column, group in cursor}
        groups = set()
        for model in tenant_models():
            table = model._meta.db_table
            method, column, group = found.get(table, (None, None, None))
            if method != "h" or column != TENANT_COLUMN:
                problems.append(f"{table}: not distributed by {TENANT_COLUMN}")
                continue
            groups.add(group)
            # Each shard is a table of its own on a worker; Citus copies the
            # policies (and ENABLE/FORCE) onto it when it creates it.
            cursor.execute(
                "SELECT shardid, success, result FROM run_command_on_shards(%s, "
                "$$SELECT count(*) FILTER (WHERE relforcerowsecurity) || '/' || "
                "(SELECT count(*) FROM pg_policy WHERE polrelid = '%%1$s'::regclass) "
                "FROM pg_class WHERE oid = '%%1$s'::regclass$$)",
                [table],
            )
            for shard, success, result in cursor.fetchall():
                if not success or result != "1/2":
                    problems.append(
                        f"{table}: shard {shard} lacks FORCE ROW LEVEL SECURITY or its two "
                        f"policies ({result})"
                    )
        if len(groups) > 1:
            problems.append("tenant tables are not all colocated")
        for model in reference_models():
            if found.get(model._meta.db_table, (None,))[0] != "n":
                problems.append(f"{model._meta.db_table}: not a reference table")
    return problems


def bind_on_the_client_on_citus(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On a new connection with server-side binding (config/settings.py), go back to
    client-side binding when the server is a Citus coordinator.

    Citus refuses an UPDATE that sets the distribution column unless it can see the new
    value is the row's own, which it can only with values written into the statement:
    Django's save() sets every column, tenant_id included, so with bound parameters
    every save of a tenant row would fail ("modifying the partition value of rows is
    not allowed"). One query per new connection; connections persist in production.
    """
    from django.db.backends.postgresql.base import Cursor

    if not connection.settings_dict["OPTIONS"].get("server_side_binding"):
        return
    raw = connection.connection
    with raw.cursor() as cursor:  # the raw cursor: no query log, no wrapper
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        citus = cursor.fetchone() is not None
    if citus:
        raw.cursor_factory = Cursor
        raw.prepare_threshold = None
