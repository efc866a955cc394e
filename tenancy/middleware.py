from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from tenancy.context import tenant_context
from tenancy.transactions import runs_outside_request_transaction


class TenantMiddleware:
    """Runs every signed-in request inside its user's tenant context.

    With ATOMIC_REQUESTS the view runs in a savepoint inside this
    transaction, so a failing view is rolled back while the tenant setting
    stays set for the error page. Anonymous requests run with no tenant:
    tenant tables then return nothing and refuse writes (fail closed). A view
    marked `@outside_request_transaction` opens its own short tenant contexts
    (tenancy/transactions.py).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            request.tenant = None
            return self.get_response(request)
        # Lazy: most requests only need the id, which the user row carries.
        request.tenant = SimpleLazyObject(lambda: user.tenant)
        if runs_outside_request_transaction(request):
            return self.get_response(request)
        with tenant_context(user.tenant_id):
            return self.get_response(request)
