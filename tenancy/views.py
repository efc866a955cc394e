from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse

from tenancy.forms import EmailAuthenticationForm


class LoginView(auth_views.LoginView):
    """Django's login view with the email form; a locked-out sign-in answers 429."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "locked"):
            response.status_code = 429
        return response
