from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError

from tenancy import login_throttle
from tenancy.models import Role

LOCKED_OUT = "Too many failed sign-ins. Try again in {minutes} minute{plural}."
RESETS_LOCKED_OUT = "Too many reset requests. Try again in {minutes} minute{plural}."


class ThrottledLoginMixin:
    """Refuses sign-in while a lock applies to this attempt, and counts wrong
    passwords towards a lockout (the rules: tenancy/login_throttle.py)."""

    request: Any
    user_cache: Any
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password:
            return super().clean()  # type: ignore[misc]
        address = login_throttle.client_address(self.request)
        if lock := login_throttle.lockout(email=email, address=address):
            # Refused before the password is checked: a locked-out guesser learns nothing.
            raise locked_out_error(lock)
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except ValidationError:
            # user_cache is None for a wrong password (not for an inactive account).
            if self.user_cache is None and (
                lock := login_throttle.record_failure(email=email, address=address)
            ):
                raise locked_out_error(lock) from None
            raise
        login_throttle.record_success(email=email, address=address)
        return cleaned


def locked_out_error(lock: login_throttle.Lockout, message: str = LOCKED_OUT) -> ValidationError:
    minutes = lock.minutes_left
    return ValidationError(
        message.format(minutes=minutes, plural="" if minutes == 1 else "s"), code="locked"
    )


class EmailAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The login form, with the username labelled as the email it is."""

    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": (
            "That email and password do not match an account. Check both and try again."
        ),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class AdminEmailAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form, under the same sign-in rate limit as the site's."""


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on a form: under the field it names when
    the form has that field, otherwise at the top of the form."""
    if not hasattr(error, "error_dict"):
        # The error itself, not its messages: its code stays (a "locked" answers 429).
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form under the sign-in throttle's reset limits
    (login_throttle.record_reset_request); the page answers 429 when locked."""

    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        email = cleaned.get("email")
        if email:
            address = login_throttle.client_address(self.request)
            if lock := login_throttle.record_reset_request(email=email, address=address):
                raise locked_out_error(lock, RESETS_LOCKED_OUT)
        return cleaned


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class AcceptInvitationForm(SetPasswordForm):
    """Choose a name and a password (Django's validators, with the invitee's email)."""

    display_name = forms.CharField(label="Your name", max_length=150, required=False)
    field_order = ["display_name", "new_password1", "new_password2"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password2"].label = "Password again"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The six digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SetupCodeForm(CodeForm):
    """The first code, from the authenticator being set up (no recovery codes yet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "The six digits your authenticator app shows now."
