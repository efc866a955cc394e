"""Setting the current tenant for the database's row-level security.

`tenant_context(tenant)` opens a transaction (or a savepoint inside one) and
sets `app.current_tenant_id` with `set_config(..., true)`: transaction-local,
so it ends at commit or rollback and can never leak to the next request on a
reused or pooled connection. Commands, tasks and tests use it directly; the
request middleware uses it around every signed-in request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from tenancy.models import Tenant
from tenancy.rls import TENANT_SETTING


def _tenant_id(tenant: Tenant | int) -> int:
    return tenant.pk if isinstance(tenant, Tenant) else int(tenant)


@contextmanager
def tenant_context(tenant: Tenant | int, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    nested = connection.in_atomic_block
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            # Read the previous value in the same round trip; it only matters
            # when nested (tests, a task run inline inside a request).
            cursor.execute(
                "SELECT current_setting(%s, true), set_config(%s, %s, true)",
                [TENANT_SETTING, TENANT_SETTING, str(_tenant_id(tenant))],
            )
            previous = cursor.fetchone()[0] or ""
        yield
        if nested:
            # A savepoint release keeps transaction-local settings; put back
            # the outer value so the enclosing block keeps its tenant (or none).
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [TENANT_SETTING, previous])


def current_tenant_id(*, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The tenant the database sees right now (None outside any tenant context)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT NULLIF(current_setting(%s, true), '')", [TENANT_SETTING])
        value = cursor.fetchone()[0]
    return int(value) if value else None
