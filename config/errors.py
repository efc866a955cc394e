"""The project's one hierarchy of refusals, and the one place HTML pages answer them.

Services of every app raise these; nothing else turns them into responses:

- HTML: `DomainErrorMiddleware.process_exception` answers the status of the
  error (404, 403, 409, 400). What it shows is the page's to say: a view that
  has a better place for the message (the proposal's row, the form) names a
  renderer with `show_refusals_with(request, renderer)` before calling its
  service; otherwise the error page, or, for htmx, the message alone
  retargeted into the page's `#flash` region (static/js/app.js lets the
  403/404 fragments swap, which base.html's htmx config would not). The
  status always comes from the error's class, here;
- JSON: `json_refusal` builds the seed's `{"error": message}` bodies
  (crm_artifacts/api.py calls it from its one decorator).

It lives in `config`, beside the other cross-app request machinery (htmx,
405 pages, logging), not in `tenancy`: the refusals are about the domain, not
about tenants, and every app imports `config` already without creating an
import cycle through `tenancy.models`.

`NotAllowed` is also Django's `PermissionDenied` and `InvalidInput` its
`ValidationError`, so code and tests that already speak Django's exceptions
keep working, and a form can still put an `InvalidInput` next to its field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

REFUSAL_HEADER = "X-Refusal"  # static/js/app.js swaps a refusal whatever its status
API_PREFIX = "/api/"


class DomainError(Exception):
    """A refusal with a message for a person (`str(error)` and `.message`)."""

    status = 400
    title = "Not possible"

    def __init__(self, message: str = "", *args: Any) -> None:
        # *args: an app's refusal may also be a ValidationError (messaging's
        # "already answered"), whose __init__ passes its code and params on.
        super().__init__(message, *args)
        self.message = message

    def json_details(self) -> dict[str, Any]:
        """Extra keys of the JSON body (e.g. the decided object for its loser)."""
        return {}


class NotFound(DomainError):
    """Unknown, or another tenant's (the same answer: never a hint that it exists)."""

    status = 404
    title = "Not found"


class NotAllowed(DomainError, PermissionDenied):
    """The object exists and is visible, but this user may not do that."""

    status = 403
    title = "Not allowed"


class Conflict(DomainError):
    """The object is no longer in a state where this can be done."""

    status = 409
    title = "Already changed"


class AlreadyDecided(Conflict):
    """Someone answered or decided first; a decision is final."""


class Stale(Conflict):
    """What the user saw has changed since: the data they would overwrite moved on."""


class InvalidInput(ValidationError):
    """Bad input: 400 with the message next to its field (a Django ValidationError)."""

    status = 400


def refusal_status(error: BaseException) -> int | None:
    """The HTTP status for a refusal, or None for anything that is not one."""
    if isinstance(error, DomainError):
        return error.status
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, ValidationError):
        return 400
    return None


def refusal_message(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ValidationError):
        return error.messages[0] if error.messages else ""
    return str(error)


def json_refusal(error: BaseException, *, default_message: str = "") -> JsonResponse | None:
    """The seed's `{"error": message}` body for a refusal, or None if it is not one."""
    status = refusal_status(error)
    if status is None:
        return None
    body: dict[str, Any] = {"error": refusal_message(error) or default_message}
    if isinstance(error, DomainError):
        body.update(error.json_details())
    return JsonResponse(body, status=status)


Renderer = Callable[[HttpRequest, DomainError], HttpResponse]
_RENDERER_ATTRIBUTE = "_refusal_renderer"


def show_refusals_with(request: HttpRequest, renderer: Renderer) -> None:
    """Let `renderer` draw this request's refusals (the middleware sets the status).

    Called when the view has what the renderer needs, before the service that
    may refuse; the renderer runs after the view's transaction rolled back,
    so what it reads is what the database holds.
    """
    setattr(request, _RENDERER_ATTRIBUTE, renderer)


def html_refusal(request: HttpRequest, error: DomainError | ValidationError) -> HttpResponse:
    """The page (or, for htmx, the message fragment into #flash) for a refusal.

    A ValidationError gets here only for a view that named a renderer (a form
    shows its own otherwise).
    """
    renderer: Renderer | None = getattr(request, _RENDERER_ATTRIBUTE, None)
    if renderer is not None and not isinstance(error, NotFound | NotAllowed):
        try:
            response = renderer(request, error)
        except DomainError as first:
            # What the renderer reads is gone or not this user's (another
            # tenant's id with bad input): that refusal comes first.
            return refusal_page(request, first)
        response.status_code = refusal_status(error) or 400
        return response
    return refusal_page(request, error)


def refusal_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    """The generic answer: the error page, or for htmx the message into #flash."""
    context = {"error": error, "message": error.message, "title": error.title}
    if getattr(request, "htmx", False):
        response = render(request, "refusal.html#message", context, status=error.status)
        response["HX-Retarget"] = "#flash"
        response["HX-Reswap"] = "innerHTML"
        response[REFUSAL_HEADER] = str(error.status)
        return response
    return render(request, "refusal.html", context, status=error.status)


class DomainErrorMiddleware:
    """Answers a DomainError that a page's view let through (the JSON API answers its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        named = getattr(request, _RENDERER_ATTRIBUTE, None) is not None
        if not isinstance(exception, DomainError) and not (
            named and isinstance(exception, ValidationError)
        ):
            return None  # Django's own 403/404/500 handling, unchanged
        if request.path_info.startswith(API_PREFIX):
            return json_refusal(exception)
        return html_refusal(request, exception)
