from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse

from tenancy.forms import EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    """Django's login view with the email form; a locked-out sign-in answers 429."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        return _too_many_requests_when_locked(super().form_invalid(form), form)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in, answering 429 when locked out like the site's.

    AdminSite.login builds Django's LoginView itself, so the status is set on
    its response rather than in a view subclass (config/urls.py routes
    /admin/login/ here, ahead of the admin's own URLs).
    """
    response = admin.site.login(request)
    form = (getattr(response, "context_data", None) or {}).get("form")
    return _too_many_requests_when_locked(response, form)


def _too_many_requests_when_locked(response: HttpResponse, form: Any) -> HttpResponse:
    if getattr(form, "is_bound", False) and form.has_error(NON_FIELD_ERRORS, "locked"):
        response.status_code = 429
    return response
