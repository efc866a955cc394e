"""Project-wide pages: the dashboard, the health check, placeholders and error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.dashboard import dashboard_for
from ui.fragments import fingerprint

logger = logging.getLogger(__name__)

BAD_REQUEST = "The request could not be understood."


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    board = dashboard_for(request.user)
    # The chart's cache key: whatever changes in it changes it (ui/fragments.py).
    context = {"board": board, "cards": board.cards, "chart_key": fingerprint(board.chart)}
    return render(request, "dashboard.html", context)


# Answered by config.middleware.HealthCheckMiddleware before the session, the
# user and the request's transaction, each of which would reach the database:
# with it down they made a 500 page instead of this 503 (found by tests/faults).
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        # The reason goes to the log, not to anonymous callers: it names hosts and sockets.
        logger.exception("Health check: the database did not answer")
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the manifest storage has no URL before collectstatic.
    return redirect(static("favicon.svg"), permanent=True)


@login_required
def not_available(request: HttpRequest, area: str, **kwargs: Any) -> HttpResponse:
    return render(request, "not_available.html", {"area": area}, status=200)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Only our own refusal's message is shown: other 400s (a bad Host header, a
    # malformed upload) carry details meant for the log, not for the caller.
    from config.middleware import UnstorableInput  # config.middleware imports this module

    message = str(exception) if isinstance(exception, UnstorableInput) else BAD_REQUEST
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": message}, status=400)  # the API's error shape
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    message = str(exception) or "You are not allowed to do that."
    return render(request, "403.html", {"message": message}, status=403)


def method_not_allowed(request: HttpRequest, *, back: str) -> HttpResponse:
    """An action's address opened as a page (config/not_allowed.py)."""
    return render(request, "405.html", {"back": back}, status=405)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form whose security token is out of date (the user signed in again in
    another tab, which rotates it). htmx would swap nothing and the button would
    seem dead: it is told to reload the page instead, after static/js/app.js has
    kept what was typed (the same event as an ended session, config/htmx.py)."""
    from config.htmx import SESSION_ENDED_EVENT  # config.htmx needs nothing from here

    if getattr(request, "htmx", False):
        return HttpResponse(
            status=403, headers={"HX-Refresh": "true", "HX-Trigger": SESSION_ENDED_EVENT}
        )
    return render(request, "403_csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
