"""Project-wide middleware that must run before sessions and authentication."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from config import views


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
