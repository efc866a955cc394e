"""htmx that never breaks the page: one middleware in place of django-htmx's own.

Three things every htmx answer needs, done here once so no view can forget them:

- `Vary: HX-Request, HX-History-Restore-Request` on every response. A page and
  its fragment share a URL; without the header the browser's cache hands the
  fragment back for a plain visit (Back after a search showed a bare results
  list). It goes on every response, not only on those whose view read
  `request.htmx`: our own answers differ by it too (the signed-out answer
  below, error pages), tracking who read a header would have to be right on
  every path, and the cost is nil because every page already varies by Cookie
  and is private to its user.
- A history restore (htmx re-fetching a page it has no snapshot of) is a page
  request, not a fragment request: `request.htmx` is false for it, so every
  view answers the full page.
- A request whose session has ended: an htmx request gets `HX-Redirect` to the
  sign-in page with `next` = the page the user was on (from `HX-Current-URL`,
  same origin only), instead of the sign-in page swapped into a panel, and
  an `HX-Trigger: session-ended` that static/js/app.js answers by keeping the
  page's typed text in the tab until the user is back. A plain POST (no
  JavaScript) goes to sign-in with `next` = the page the form was on, never the
  POST-only URL, and is told plainly that nothing was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx import middleware as django_htmx
from django_htmx.http import HttpResponseClientRedirect

VARY = ("HX-Request", "HX-History-Restore-Request")
SESSION_ENDED_EVENT = "session-ended"  # static/js/app.js saves the typed text on it
SESSION_ENDED = "Your session has ended. Sign in to go back to the page you were on."
NOT_SAVED = (
    "Your session had ended, so what you sent was not saved. "
    "Sign in and send it again from the page you were on."
)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class HtmxDetails(django_htmx.HtmxDetails):
    """django-htmx's request.htmx, false for a history restore: that wants the page."""

    def __bool__(self) -> bool:
        return super().__bool__() and not self.history_restore_request


class HtmxMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        if _is_sign_in_redirect(request, response):
            response = _session_ended(request, response)
        patch_vary_headers(response, VARY)
        return response


def _is_sign_in_redirect(request: HttpRequest, response: HttpResponse) -> bool:
    """`login_required` sending a signed-out request to the sign-in page."""
    if response.status_code != 302 or request.user.is_authenticated:
        return False
    # login_required's redirect carries the page asked for; signing out's does not.
    target = urlsplit(response["Location"])
    return target.path == resolve_url(settings.LOGIN_URL) and parse_qs(target.query).get(
        REDIRECT_FIELD_NAME
    ) == [request.get_full_path()]


def _session_ended(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        messages.info(request, SESSION_ENDED)
        page = request.htmx.current_url_abs_path  # type: ignore[attr-defined]
        redirect = HttpResponseClientRedirect(_sign_in_url(request, page))
        redirect["HX-Trigger"] = SESSION_ENDED_EVENT
        return redirect
    if request.method in SAFE_METHODS:
        return response  # next = the page asked for, as login_required made it
    # A POST-only URL as `next` would land on a 405 after signing in: go back to
    # the page the form was on instead.
    messages.warning(request, NOT_SAVED)
    return HttpResponseRedirect(_sign_in_url(request, _referrer(request)))


def _referrer(request: HttpRequest) -> str | None:
    referrer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referrer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referrer)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _sign_in_url(request: HttpRequest, page: str | None) -> str:
    """The sign-in page, coming back to `page` if it is one of ours to come back to."""
    login = resolve_url(settings.LOGIN_URL)
    if (
        not page
        or not page.startswith("/")
        or urlsplit(page).path == login
        or not url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()})
    ):
        return login
    return f"{login}?{urlencode({REDIRECT_FIELD_NAME: page})}"
