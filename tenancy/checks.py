"""A system check that keeps the app from serving behind a broken fence.

`manage.py check` (and so runserver, migrate, and the suite's own check test)
fails when the serving role could skip row-level security or a tenant table that
exists lacks it. The audit is check_rls's (tenancy/rls.py), not a copy; check_rls
stays for the full audit of a migrated database (it also names missing tables).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import OperationalError

from tenancy.rls import fence_problems, role_problems

RLS_CHECK_ID = "tenancy.E001"
NO_DATABASE_ID = "tenancy.W001"


def rls_errors(connection: Any) -> list[CheckMessage]:
    problems = role_problems(connection) + fence_problems(connection, missing_ok=True)
    return [
        Error(problem, hint="Run `manage.py check_rls`; README, 'Database roles'.", id=RLS_CHECK_ID)
        for problem in problems
    ]


@register("database_roles")
def rls_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Registered without Django's "database" tag on purpose: those checks only run
    when asked for (`check --database`), and this one must run every time."""
    if app_configs is not None and not any(c.label == "tenancy" for c in app_configs):
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
    except OperationalError as error:
        # Not this check's business: every command that needs the database says so.
        return [Warning(f"Row-level security not checked: {error}", id=NO_DATABASE_ID)]
    return rls_errors(connection)
