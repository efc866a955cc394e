"""The request's one transaction, and views that run outside it.

Every request runs in one transaction that TenantMiddleware opens with
`request_transaction`: `tenant_context(user.tenant_id)` for a signed-in
request (or an API token's tenant), a plain transaction for an anonymous one.

No savepoint around the view (Django's ATOMIC_REQUESTS is off): SAVEPOINT and
RELEASE were two of the ten round trips of every page (docs/performance.md,
"Fifth round"). A view that raises is rolled back instead by
`roll_back_request`, which `RollbackViewErrorMiddleware` (last in MIDDLEWARE,
so its `process_exception` runs first) calls before the error page is made:
the transaction goes back to where the request began, the tenant setting
still set, so the view writes nothing and the 404/403/409 page can still read.

A view that spends seconds on something else (extracting an upload's text in a
child process, waiting for a language model) would hold that transaction, and
under PgBouncer in transaction mode a server connection, the whole time.
`@outside_request_transaction` opts a view out, in one named way:
TenantMiddleware leaves it without a transaction or a tenant context. The view
then does its slow work first and wraps every read and write in its own short
`tenant_context(request.user.tenant_id)`; outside one, tenant tables show
nothing and refuse writes, so a forgotten block fails closed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from tenancy.context import begin_in_tenant, set_local_sql, tenant_context

View = TypeVar("View", bound=Callable)
_MARK = "outside_request_transaction"
_START = "_request_transaction_start"


@dataclass(frozen=True)
class _Start:
    """Where a request's transaction began, for rolling a failed view back to it."""

    tenant_id: int | None
    # True when the request began the transaction (a server); False when it runs
    # inside one already (a test's), in the savepoint below.
    outermost: bool
    savepoint: str | None


@contextmanager
def request_transaction(request: HttpRequest, tenant_id: int | None) -> Iterator[None]:
    """The request's one transaction, in `tenant_id`'s context (None: anonymous, no tenant)."""
    connection = connections[DEFAULT_DB_ALIAS]
    outermost = not connection.in_atomic_block
    with tenant_context(tenant_id) if tenant_id is not None else transaction.atomic():
        savepoint = None if outermost else connection.savepoint_ids[-1]
        setattr(request, _START, _Start(tenant_id, outermost, savepoint))
        try:
            yield
        finally:
            delattr(request, _START)


def roll_back_request(request: HttpRequest) -> None:
    """Undo everything the request wrote, keeping its transaction and tenant open.

    For a view that raised: its writes (and the commit callbacks it registered)
    are gone, and the error page still reads in the request's tenant. Outside
    `request_transaction` (an opted-out view) there is nothing to undo.
    """
    start: _Start | None = getattr(request, _START, None)
    if start is None:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    if not start.outermost and start.savepoint is None:
        # Begun inside a transaction already marked for rollback: no savepoint to
        # go back to, so the enclosing block rolls it all back at its end.
        connection.needs_rollback = True
        return
    # Whatever marked the transaction broken is undone by the rollback below.
    connection.needs_rollback = False
    try:
        if start.outermost:
            connection._rollback()  # not .rollback(): that one refuses inside atomic
            connection.run_on_commit = []  # every callback was this transaction's
        else:
            connection.savepoint_rollback(start.savepoint)
        if start.tenant_id is not None:
            # The rollback undid the SET LOCAL too (and, outermost, ended the
            # transaction, which begin_in_tenant opens again with it).
            with connection.cursor() as cursor:
                if start.outermost:
                    begin_in_tenant(connection, cursor, str(start.tenant_id))
                else:
                    cursor.execute(set_local_sql(str(start.tenant_id)))
    except DatabaseError:
        # The connection itself failed: leave the transaction to be rolled back
        # at its end; the error page that follows may then be Django's 500.
        connection.needs_rollback = True


def outside_request_transaction(view: View) -> View:
    setattr(view, _MARK, True)
    return view


def in_request_tenant(request: HttpRequest) -> AbstractContextManager[None]:
    """A short transaction in the signed-in user's tenant, for a view that runs
    `@outside_request_transaction`: wrap each read and write in one."""
    return tenant_context(request.user.tenant_id)


def runs_outside_request_transaction(request: HttpRequest) -> bool:
    """Whether the view this request goes to opted out (resolved before the handler does)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return getattr(match.func, _MARK, False)
