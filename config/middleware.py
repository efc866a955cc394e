"""Project-wide middleware that must run before sessions and authentication."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse

from config import views
from tenancy.text import is_storable

UNSTORABLE_INPUT = (
    "The request contains a character that cannot be used: a NUL (%00) or an "
    "unpaired surrogate. Remove it and try again."
)


class UnstorableInput(BadRequest):
    """Raised for a NUL or lone surrogate in the request; answered 400 by handler400."""


class UnstorableInputMiddleware:
    """Refuses a request whose path, query parameters or form fields hold a NUL or
    a lone surrogate, before any view can put one in a query; ignores a cookie
    that holds one.

    PostgreSQL stores neither in text, so a filter, a search or a lookup that
    passes one on fails with a DataError (a 500). Checking here once covers
    every page, the admin's filters and autocomplete and the API, instead of
    each view. Services keep their own check (tenancy/text.py) for the paths
    that do not come through a request (commands, tasks, JSON bodies).

    Django decodes percent-encoded invalid UTF-8 (a lone surrogate included) to
    U+FFFD, so in practice this meets NUL; the surrogate test costs nothing.
    A multipart body is checked when the view first reads it, not here: the
    view installs its upload handlers (the portfolio's size cap) before that,
    and reading the body here would run the upload without them. Field names
    of files are checked; file names need not be (Django's parser drops every
    non-printable character from them) and file content may hold NUL bytes (a
    .docx does).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A cookie is not the caller's input to a page (another site on the domain
        # may have set it): one that cannot be stored is ignored, not refused, so
        # a session key holding a NUL is no session rather than a 500.
        for name, value in list(request.COOKIES.items()):
            if not (is_storable(name) and is_storable(value)):
                del request.COOKIES[name]
        if not is_storable(request.path_info) or not _storable(request.GET):
            raise UnstorableInput(UNSTORABLE_INPUT)
        if request.content_type == "multipart/form-data":
            _check_when_read(request)
        elif request.method == "POST" and not _storable(request.POST):
            raise UnstorableInput(UNSTORABLE_INPUT)
        return self.get_response(request)


def _storable(data: QueryDict) -> bool:
    return all(
        is_storable(key) and all(is_storable(value) for value in values)
        for key, values in data.lists()
    )


def _check_when_read(request: HttpRequest) -> None:
    """Check the multipart fields as soon as the view reads them."""
    load = request._load_post_and_files  # type: ignore[attr-defined]

    def load_and_check() -> None:
        load()
        if not _storable(request.POST) or not all(map(is_storable, request.FILES)):
            raise UnstorableInput(UNSTORABLE_INPUT)

    request._load_post_and_files = load_and_check  # type: ignore[attr-defined]


class HealthCheckMiddleware:
    """Answers /healthz before the session and the signed-in user are loaded.

    Loading a session reads the database, and the tenant middleware loads it
    for any request with a session cookie: with the database down, a caller
    that sent one got a 500 page instead of the health check's 503. Placed
    after SecurityMiddleware (HTTPS redirect and headers still apply) and
    before SessionMiddleware, so nothing in between can touch the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.path = reverse("healthz")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == self.path:
            return views.healthz(request)
        return self.get_response(request)
