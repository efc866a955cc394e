"""Views that run outside the request's transaction, for slow work that needs no database.

Every signed-in request normally runs in one transaction: TenantMiddleware opens
`tenant_context(user.tenant_id)` around it and ATOMIC_REQUESTS puts the view in a
savepoint inside. A view that spends seconds on something else (extracting an
upload's text in a child process, waiting for a language model) would hold that
transaction, and under PgBouncer in transaction mode a server connection, the
whole time.

`@outside_request_transaction` opts a view out of both, in one named way: Django
skips ATOMIC_REQUESTS for it (`transaction.non_atomic_requests`) and
TenantMiddleware leaves it without a tenant context. The view then does its
slow work first and wraps every read and write in its own short
`tenant_context(request.user.tenant_id)`; outside one, tenant tables show
nothing and refuse writes, so a forgotten block fails closed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from django.db import transaction
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from tenancy.context import tenant_context

View = TypeVar("View", bound=Callable)
_MARK = "outside_request_transaction"


def outside_request_transaction(view: View) -> View:
    view = transaction.non_atomic_requests(view)
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
