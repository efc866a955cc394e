from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from tenancy.context import tenant_context
from tenancy.transactions import (
    request_transaction,
    roll_back_request,
    runs_outside_request_transaction,
)

API_PREFIX = "/api/"
BEARER = "bearer "
TOKEN_INVALID = "The API token is unknown or revoked."
TOKEN_RATE_LIMITED = "Too many requests with this API token; try again in {minutes} minute(s)."


class TenantMiddleware:
    """Runs every request in one transaction, a signed-in one in its user's tenant context.

    A view that raises is rolled back to the start of that transaction, the
    tenant setting kept for the error page (RollbackViewErrorMiddleware).
    Anonymous requests run with no tenant: tenant tables then return nothing
    and refuse writes (fail closed). A view marked `@outside_request_transaction`
    runs outside any and opens its own short tenant contexts
    (tenancy/transactions.py).

    An /api/ request with `Authorization: Bearer <token>` runs in the tenant
    its token names (crm_artifacts' agent tokens): the token is looked up
    inside that tenant's context, so RLS fences the lookup, and the request
    carries `request.api_token` (its principal) and no user. A bad token is a
    401 whatever the session says; token requests skip CSRF (no cookie is
    involved, so there is nothing to forge).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_token = None
        bearer = _bearer_token(request)
        if bearer is not None:
            return self._token_request(request, bearer)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            request.tenant = None
            with request_transaction(request, None):
                return self.get_response(request)
        # The user itself from here on, not AuthenticationMiddleware's lazy wrapper
        # (now loaded): each attribute read through the wrapper costs about 1.4 µs,
        # and a page's views and templates read the user dozens of times.
        if isinstance(user, SimpleLazyObject) and user._wrapped is not empty:
            request.user = user = user._wrapped
        # The tenant the user's row was read with (tenancy/backends.py), or lazily:
        # most requests only need the id, which the user row carries.
        tenant_field = type(user)._meta.get_field("tenant")
        request.tenant = (
            tenant_field.get_cached_value(user)
            if tenant_field.is_cached(user)
            else SimpleLazyObject(lambda: user.tenant)
        )
        if runs_outside_request_transaction(request):
            return self.get_response(request)
        with request_transaction(request, user.tenant_id):
            return self.get_response(request)

    def _token_request(self, request: HttpRequest, raw: str) -> HttpResponse:
        # Imported here: the CRM app's models import tenancy's.
        from django.contrib.auth.models import AnonymousUser

        from crm_artifacts.services.api_tokens import authenticate
        from tenancy.login_throttle import record_token_request
        from tenancy.models import Tenant
        from tenancy.tokens import token_tenant_id

        tenant_id = token_tenant_id(raw)
        if tenant_id is None:
            return JsonResponse({"error": TOKEN_INVALID}, status=401)
        # The session (if any) plays no part: the token is the principal.
        request.user = AnonymousUser()
        request.tenant = SimpleLazyObject(lambda: Tenant.objects.get(pk=tenant_id))
        request._dont_enforce_csrf_checks = True
        # Three short steps rather than one transaction: the per-token counter's
        # row lock must not be held for a whole request (parallel requests of one
        # agent would queue on it), nor the last-used update's.
        with tenant_context(tenant_id):
            token = authenticate(raw)
        if token is None:
            return JsonResponse({"error": TOKEN_INVALID}, status=401)
        lockout = record_token_request(token_id=token.pk)
        if lockout is not None:
            response = JsonResponse(
                {"error": TOKEN_RATE_LIMITED.format(minutes=lockout.minutes_left)}, status=429
            )
            response["Retry-After"] = str(lockout.minutes_left * 60)
            return response
        request.api_token = token
        with request_transaction(request, tenant_id):
            return self.get_response(request)


class RollbackViewErrorMiddleware:
    """Rolls back what a view wrote before it raised (tenancy/transactions.py).

    Last in MIDDLEWARE: Django asks the last middleware's `process_exception`
    first, so the transaction is clean before DomainErrorMiddleware renders
    its refusal page or Django its 404/403/500 page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        roll_back_request(request)


def _bearer_token(request: HttpRequest) -> str | None:
    """The bearer token of an /api/ request, or None (then the session decides)."""
    if not request.path_info.startswith(API_PREFIX):
        return None
    header = request.headers.get("Authorization", "")
    if header[: len(BEARER)].lower() != BEARER:
        return None
    return header[len(BEARER) :].strip()[:200]
