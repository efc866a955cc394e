"""A page, not a bare 405, for opening a POST-only address.

A refresh, a bookmark or the `next` of an old form opens an action's address
(accept, send, delete) with GET; `require_POST` answers an empty 405 that the
browser shows as "HTTP ERROR 405". Replaced here once for every view: the same
status and Allow header (the isolation matrix and clients rely on both), with a
page that says what happened and leads to the page the action belongs to.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import Resolver404, URLPattern, get_resolver, resolve, reverse

from config import views

API_PREFIX = "/api/"  # JSON clients keep the plain 405


class MethodNotAllowedPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            isinstance(response, HttpResponseNotAllowed)
            and request.method == "GET"  # HEAD has no body to show
            and not request.path_info.startswith(API_PREFIX)
        ):
            page = views.method_not_allowed(request, back=related_page(request.path_info))
            page["Allow"] = response["Allow"]
            return page
        return response


def related_page(path: str) -> str:
    """The page an action's address belongs to: the nearest address above it that
    is a page (`…/steps/challenge/messages/` → `…/steps/challenge/`), else its
    app's first page (`/crm/artifacts/7/accept/` → `/crm/customers/`), else the
    dashboard."""
    parts = path.strip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/" + "/".join(parts) + "/"
        try:
            resolve(candidate)
        except Resolver404:
            continue
        return candidate
    try:
        namespace = resolve(path).namespace
    except Resolver404:
        namespace = ""
    return _app_home(namespace) or reverse("dashboard")


def _app_home(namespace: str) -> str | None:
    """The first address of an app's URLconf that needs no argument."""
    if not namespace or namespace not in get_resolver().namespace_dict:
        return None
    _prefix, app_resolver = get_resolver().namespace_dict[namespace]
    for pattern in app_resolver.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
            return reverse(f"{namespace}:{pattern.name}")
    return None
