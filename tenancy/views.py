"""Sign-in (site and admin, with two-factor), invitations, password reset and change,
two-factor setup, and the People page for tenant admins. Thin: each view parses,
calls a service in tenancy/, and renders or redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from tenancy import invitations, services, two_factor
from tenancy.context import tenant_context
from tenancy.forms import (
    AcceptInvitationForm,
    AdminEmailAuthenticationForm,
    CodeForm,
    EmailAuthenticationForm,
    InvitationForm,
    RoleForm,
    SetupCodeForm,
    ThrottledPasswordResetForm,
    apply_service_errors,
)
from tenancy.models import User

SIGNED_IN_LINK = "registration/link_signed_in.html"


class LoginView(auth_views.LoginView):
    """Django's login view with the email form; a locked-out sign-in answers 429; a
    person with two-factor sign-in goes on to the code (tenancy/two_factor.py)."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        target = two_factor.sign_in(self.request, form.get_user())
        if target is None:
            return redirect(self.get_success_url())
        return redirect(_with_next(target, self.get_success_url()))

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        return _too_many_requests_when_locked(super().form_invalid(form), form)


class AdminLoginView(LoginView):
    """The admin's sign-in: the admin's form and page, the site's two-factor step.

    Replaces AdminSite.login (config/urls.py routes /admin/login/ here), which
    would sign in without the second factor.
    """

    authentication_form = AdminEmailAuthenticationForm
    template_name = "admin/login.html"
    redirect_authenticated_user = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.current_app = admin.site.name
        if request.method == "GET" and admin.site.has_permission(request):
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_default_redirect_url(self) -> str:
        return reverse("admin:index")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            admin.site.each_context(self.request),
            title="Log in",
            subtitle=None,
            app_path=self.request.get_full_path(),
            username=self.request.user.get_username(),
        )
        if REDIRECT_FIELD_NAME not in self.request.GET | self.request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index")
        return context


def _with_next(target: str, next_url: str) -> str:
    return f"{target}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    allowed = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if allowed else default


def _too_many_requests_when_locked(response: HttpResponse, form: Any) -> HttpResponse:
    if getattr(form, "is_bound", False) and form.has_error(NON_FIELD_ERRORS, "locked"):
        response.status_code = 429
    return response


# --- two-factor ---------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("code")
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a sign-in: a code from the authenticator, or a recovery code."""
    if two_factor.pending_user(request) is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.verify(request, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)
            if error.code == "expired":
                messages.error(request, two_factor.PENDING_EXPIRED)
                return redirect("login")
        else:
            return redirect(_safe_next(request, reverse("dashboard")))
    response = render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _safe_next(request, "")},
    )
    return _too_many_requests_when_locked(response, form)


@login_required
@never_cache
@sensitive_post_parameters("code")
def two_factor_page(request: HttpRequest) -> HttpResponse:
    """Set up, see and turn off two-factor sign-in (one view, named submit buttons)."""
    user = request.user
    action = request.POST.get("action")
    form = (SetupCodeForm if action == "confirm" else CodeForm)(request.POST or None)
    codes: list[str] = []
    if request.method == "POST":
        try:
            if action == "start":
                two_factor.totp_start(user=user)
                form = CodeForm()
            elif action == "confirm" and form.is_valid():
                codes = two_factor.totp_confirm(request=request, code=form.cleaned_data["code"])
                messages.success(request, "Two-factor sign-in is on.")
            elif action == "codes":
                codes = two_factor.recovery_codes_replace(user=user)
                form = CodeForm()
            elif action == "disable" and form.is_valid():
                two_factor.two_factor_disable(request=request, code=form.cleaned_data["code"])
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("two_factor")
        except ValidationError as error:
            apply_service_errors(form, error)
    enabled = two_factor.is_enabled(user)
    device = None if enabled else two_factor.totp_device(user)
    if device is not None and not form.is_bound:
        form = SetupCodeForm()
    context = {
        "form": form,
        "enabled": enabled,
        "codes": codes,
        "codes_left": two_factor.recovery_codes_left(user) if enabled else 0,
        "device": device,
        "qr_code": two_factor.qr_code_data_uri(device) if device else "",
        "secret": two_factor.secret_for_typing(device) if device else "",
        "required": request.session.get(two_factor.STATE_KEY) == "setup_required",
    }
    if context["required"] and not codes:
        messages.info(request, two_factor.SETUP_REQUIRED)
    return render(request, "registration/two_factor.html", context)


# --- invitations and password reset: links for people who are signed out ------------


def _signed_in_link(request: HttpRequest) -> HttpResponse:
    """A sign-in link opened while signed in: nothing of the link's account or tenant
    is shown (404 like any id that is not the viewer's), and the way on is said."""
    return render(request, SIGNED_IN_LINK, status=404)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        return _signed_in_link(request)
    tenant_id = invitations.token_tenant_id(token)
    if tenant_id is None:
        return render(request, "404.html", status=404)
    # The invitation is a tenant row: read and accepted inside the token's tenant.
    with tenant_context(tenant_id):
        invitation = invitations.invitation_for_token(token=token)
        user = User(email=invitation.email, tenant_id=invitation.tenant_id)
        form = AcceptInvitationForm(user, request.POST or None)
        try:
            invitations.invitation_check_usable(invitation)
        except ValidationError as error:
            context = {"invitation": invitation, "unusable": error.messages[0]}
            return render(request, "registration/invitation_accept.html", context, status=410)
        if request.method == "POST" and form.is_valid():
            try:
                user = invitations.invitation_accept(
                    token=token,
                    password=form.cleaned_data["new_password1"],
                    display_name=form.cleaned_data["display_name"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Welcome to {invitation.tenant.name}.")
                return redirect(two_factor.sign_in(request, user) or reverse("dashboard"))
        context = {"invitation": invitation, "form": form}
        return render(request, "registration/invitation_accept.html", context)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset: the same answer whether or not the address has an account,
    under the sign-in throttle's reset limits (429 when locked)."""

    form_class = ThrottledPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form: Any) -> HttpResponse:
        return _too_many_requests_when_locked(super().form_invalid(form), form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's tokens: single use (they hash the password and last sign-in) and
    expiring (PASSWORD_RESET_TIMEOUT). The new password signs nobody in: the person
    signs in next, through two-factor sign-in if they have it."""

    success_url = reverse_lazy("password_reset_complete")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return _signed_in_link(request)
        return super().dispatch(request, *args, **kwargs)


# --- People: a tenant admin's page ---------------------------------------------------


@login_required
def people(request: HttpRequest) -> HttpResponse:
    actor = request.user
    services.check_tenant_admin(actor)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_create(
                actor=actor,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("people:list")
    rows = [(person, _role_form(person)) for person in services.people_of_tenant(actor)]
    context = {
        "form": form,
        "rows": rows,
        "invitations": invitations.invitations_open(actor=actor),
        "tenant": actor.tenant,
        "two_factor_enabled": two_factor.is_enabled(actor),
    }
    return render(request, "tenancy/people.html", context, status=400 if form.errors else 200)


def _role_form(person: User) -> RoleForm:
    return RoleForm(initial={"role": services.role_of(person)}, auto_id=f"role-{person.pk}-%s")


def _people_action(request: HttpRequest, action: Any, done: str) -> HttpResponse:
    """Run a service; post/redirect/get with a flash message."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("people:list")


def _person_action(request: HttpRequest, pk: int, action: Any, done: str) -> HttpResponse:
    """A row action on a person: a plain request is _people_action; an htmx request
    gets the person's row as it now is, saying what happened in the row."""
    if not request.htmx:
        return _people_action(request, action, done)
    try:
        action()
    except ValidationError as error:
        message, ok = " ".join(error.messages), False
    else:
        message, ok = done, True
    person = services.person_get(actor=request.user, pk=pk)  # the row as it is now
    context = {
        "person": person,
        "role_form": _role_form(person),
        "row_message": message,
        "row_ok": ok,
    }
    response = render(request, "tenancy/people.html#person_row", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def person_role(request: HttpRequest, pk: int) -> HttpResponse:
    form = RoleForm(request.POST)
    role = form.cleaned_data["role"] if form.is_valid() else ""
    return _person_action(
        request,
        pk,
        lambda: services.user_set_role(actor=request.user, user_id=pk, role=role),
        "Role changed.",
    )


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        lambda: services.user_deactivate(actor=request.user, user_id=pk),
        "Deactivated: their sessions have ended and they cannot sign in.",
    )


@login_required
@require_POST
def person_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_action(
        request,
        pk,
        lambda: services.user_reactivate(actor=request.user, user_id=pk),
        "Reactivated: they can sign in again.",
    )


@login_required
@require_POST
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    base_url = request.build_absolute_uri("/")
    return _people_action(
        request,
        lambda: invitations.invitation_resend(actor=request.user, pk=pk, base_url=base_url),
        "Invitation sent again with a new link; the previous link no longer works.",
    )


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _people_action(
        request,
        lambda: invitations.invitation_revoke(actor=request.user, pk=pk),
        "Invitation revoked: its link no longer works.",
    )


@login_required
@require_POST
def tenant_two_factor(request: HttpRequest) -> HttpResponse:
    required = request.POST.get("required") == "on"
    return _people_action(
        request,
        lambda: two_factor.tenant_set_two_factor_required(actor=request.user, required=required),
        "Two-factor sign-in is now "
        + ("required for everyone." if required else "up to each person."),
    )
