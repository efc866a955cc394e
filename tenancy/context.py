"""Setting the current tenant for the database's row-level security.

`tenant_context(tenant)` opens a transaction (or a savepoint inside one) and
sets `app.current_tenant_id` with `SET LOCAL`: transaction-local, so it ends at
commit or rollback and can never leak to the next request on a reused or
pooled connection (PgBouncer in transaction mode included). Commands, tasks
and tests use it directly; the request middleware uses it around every
signed-in request.

`SET LOCAL`, not `set_config(..., true)`: the two are the same on one server,
but Citus propagates only SET commands to its workers (with
`citus.propagate_set_commands = 'local'` on the serving role), so with
set_config every query routed to a worker would see no tenant and no rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from psycopg import pq

from tenancy.models import Tenant
from tenancy.rls import TENANT_SETTING

# The tenant of the innermost tenant_context, as Python sees it: tenant models'
# managers filter by it (tenancy.models.TenantManager), so every query names its
# tenant and Citus routes it to one shard. The database's setting stays the
# fence; this only mirrors it.
_active_tenant: ContextVar[int | None] = ContextVar("active_tenant", default=None)


def active_tenant_id() -> int | None:
    """The tenant of the innermost tenant_context (None outside any)."""
    return _active_tenant.get()


# SET takes no bound parameters: the value is written into the statement, so
# only a tenant id (digits) or nothing may ever be.
_SETTING_VALUE = re.compile(r"\d*")


def _tenant_id(tenant: Tenant | int) -> int:
    return tenant.pk if isinstance(tenant, Tenant) else int(tenant)


def set_local_sql(value: str) -> str:
    """`SET LOCAL app.current_tenant_id = '<value>'`, for a tenant id or ''."""
    if not _SETTING_VALUE.fullmatch(value):
        raise ValueError(f"not a tenant id: {value!r}")
    return f"SET LOCAL {TENANT_SETTING} = '{value}'"


def begin_in_tenant(connection: BaseDatabaseWrapper, cursor: CursorWrapper, value: str) -> None:
    """Open the transaction of Django's outermost atomic block with the tenant set
    (`value`, a tenant id or ''), in one round trip instead of two.

    psycopg sends BEGIN on its own before a transaction's first statement and waits
    for it, in pipeline mode too; SET LOCAL was then a second wait on every
    signed-in request. Here BEGIN goes in the same query as SET LOCAL: psycopg's
    autocommit flag is turned on while the connection is idle (no round trip), so
    it adds no BEGIN, and the server is in the transaction from that query on.
    Django's own flag stays off, so its atomic block ends as always: psycopg's
    commit and rollback go by the server's transaction status, not by the flag,
    and Django then turns autocommit on, where the two agree again. A connection
    already in a transaction (a health check's SELECT 1 began it) only gets the
    SET. Also for a request rolled back to its start (tenancy.transactions).
    One reader of psycopg's flag: Django declares a server-side cursor (a
    queryset's `.iterator()`) WITH HOLD when it is on, which inside a transaction
    reads the same rows.
    """
    raw = connection.connection
    if raw.pgconn.transaction_status == pq.TransactionStatus.IDLE:
        raw.autocommit = True
        cursor.execute(f"BEGIN; {set_local_sql(value)}")
    else:
        cursor.execute(set_local_sql(value))


@contextmanager
def tenant_context(tenant: Tenant | int, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    nested = connection.in_atomic_block
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if nested:
                # One round trip: read the previous value (to put back at the
                # end: tests, a task run inline inside a request), then set. The
                # cursor stays on the first statement's result. No bound
                # parameter: two statements in one query only go as one round
                # trip without any (with server-side binding, config/settings.py).
                cursor.execute(
                    f"SELECT current_setting('{TENANT_SETTING}', true); "
                    f"{set_local_sql(str(_tenant_id(tenant)))}"
                )
                previous = cursor.fetchone()[0] or ""
            else:
                begin_in_tenant(connection, cursor, str(_tenant_id(tenant)))
                previous = ""
        token = _active_tenant.set(_tenant_id(tenant))
        try:
            yield
        finally:
            _active_tenant.reset(token)
        if nested:
            # A savepoint release keeps transaction-local settings; put back
            # the outer value so the enclosing block keeps its tenant (or none).
            with connection.cursor() as cursor:
                cursor.execute(set_local_sql(previous))


def current_tenant_id(*, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The tenant the database sees right now (None outside any tenant context)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT NULLIF(current_setting(%s, true), '')", [TENANT_SETTING])
        value = cursor.fetchone()[0]
    return int(value) if value else None


@contextmanager
def placeholder_tenant(value: int) -> Iterator[None]:
    """Python's view of the active tenant set to `value`, nothing sent to the database.

    Only for tenancy.prepared, which compiles a read once with a placeholder where the
    tenant goes and puts each run's active tenant there; the database's setting, the
    fence, is untouched.
    """
    token = _active_tenant.set(value)
    try:
        yield
    finally:
        _active_tenant.reset(token)
