"""Two-factor sign-in: an authenticator app (TOTP) and recovery codes, for anyone,
required for a whole tenant when its admin says so.

Library: django-otp (1.7). It keeps the devices (TOTPDevice, and StaticDevice
for single-use recovery codes), verifies codes with drift tolerance, refuses a
code used twice, and slows guessing per device. We keep our own sign-in views
(email, the sign-in throttle, the admin's sign-in), so we use its models and
verification only. django-allauth's MFA would bring allauth's whole account
system (its own sign-in, email and reset flows) to replace ours;
django-two-factor-auth brings its own wizard views and phone dependencies.

The flow, on the site's and the admin's sign-in alike (sign_in below):

- a right password for someone with a confirmed device does not sign in: the
  session remembers who is half-way (for PENDING_SECONDS) and the verify page
  asks for a code; a right code signs in, a wrong one counts towards the
  sign-in throttle of tenancy/login_throttle.py, like a wrong password;
- someone without a device in a tenant that requires one is signed in but sent
  to the setup page for every other page until they have one;
- setting up, or turning off, ends the person's other sessions.

Per-request cost is one session read (no device query): the state is decided at
sign-in and kept in the session. When an admin turns the requirement on, the
sessions of everyone without a device end (tenancy.services.user_end_sessions),
so the rule applies at their next request.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib.auth import login, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import login_throttle
from tenancy.forms import locked_out_error
from tenancy.models import Tenant, User
from tenancy.services import check_tenant_admin, person_get, user_end_sessions

STATE_KEY = "two_factor"  # "verified" or "setup_required"
PENDING_KEY = "two_factor_pending"
PENDING_SECONDS = 5 * 60
RECOVERY_CODES = 10

CODE_WRONG = "That code is not right. Check the time on your phone and try again."
PENDING_EXPIRED = "Your sign-in took too long. Sign in again."
SETUP_REQUIRED = "Your organisation requires two-factor sign-in: set it up to continue."
ALREADY_ON = "Two-factor sign-in is already on."
NOT_STARTED = "Start the setup first."
REQUIRED_BY_TENANT = "Your organisation requires two-factor sign-in, so it cannot be turned off."
ENROL_YOURSELF_FIRST = (
    "Set up two-factor sign-in for yourself first, so you are not the one locked out."
)


def _backend_path(user: User) -> str:
    return getattr(user, "backend", None) or settings.AUTHENTICATION_BACKENDS[0]


def sign_in(request: HttpRequest, user: User) -> str | None:
    """Finish a sign-in whose password (or invitation) was right.

    Returns where to go instead of the usual next page, or None to carry on.
    """
    if user_has_device(user):
        request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": _backend_path(user),
            "at": time.time(),
        }
        return reverse("two_factor_verify")
    login(request, user, backend=_backend_path(user))
    if Tenant.objects.filter(pk=user.tenant_id, two_factor_required=True).exists():
        request.session[STATE_KEY] = "setup_required"
        return reverse("two_factor")
    return None


def pending_user(request: HttpRequest) -> User | None:
    """Who passed the password step in this session and waits for a code, if anyone."""
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def verify(request: HttpRequest, *, code: str) -> User:
    """Check the pending person's code (authenticator or recovery) and sign them in."""
    user = pending_user(request)
    if user is None:
        request.session.pop(PENDING_KEY, None)
        raise ValidationError(PENDING_EXPIRED, code="expired")
    address = login_throttle.client_address(request)
    if lock := login_throttle.lockout(email=user.email, address=address):
        raise locked_out_error(lock)
    device = match_token(user, "".join(code.split()).lower())
    if device is None:
        if lock := login_throttle.record_failure(email=user.email, address=address):
            raise locked_out_error(lock)
        raise ValidationError(CODE_WRONG, code="wrong_code")
    login_throttle.record_success(email=user.email, address=address)
    backend = request.session.pop(PENDING_KEY)["backend"]
    login(request, user, backend=backend)
    request.session[STATE_KEY] = "verified"
    return user


class TwoFactorMiddleware:
    """Sends a signed-in person whose tenant requires two-factor sign-in, and who has
    not set it up, to the setup page from every other page."""

    EXEMPT = ("two_factor", "logout")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt = {reverse(name) for name in self.EXEMPT}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.session.get(STATE_KEY) == "setup_required"
            and request.path_info not in self.exempt
            and not request.path_info.startswith(settings.STATIC_URL)
        ):
            response = redirect("two_factor")
            if request.headers.get("HX-Request"):
                response["HX-Redirect"] = response["Location"]
            return response
        return self.get_response(request)


# --- setting up and turning off -------------------------------------------------


def totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=None).first()


def is_enabled(user: User) -> bool:
    return user_has_device(user)


@transaction.atomic
def totp_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for `user` (replacing an unfinished one)."""
    if is_enabled(user):
        raise ValidationError(ALREADY_ON, code="already_on")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// link as an SVG QR code, for an <img> (our CSP allows data:)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, grouped by four, for people who cannot scan."""
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def totp_confirm(*, request: HttpRequest, code: str) -> list[str]:
    """Turn the unconfirmed authenticator on with a code from it; returns new
    recovery codes (shown once). Other sessions of the person end."""
    user = request.user
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ValidationError(NOT_STARTED, code="not_started")
    if not device.verify_token("".join(code.split())):
        raise ValidationError(CODE_WRONG, code="wrong_code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_replace(user=user)
    _keep_only_this_session(request)
    request.session[STATE_KEY] = "verified"
    return codes


def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def two_factor_disable(*, request: HttpRequest, code: str) -> None:
    """Turn two-factor sign-in off with a current code; refused where the tenant requires it."""
    user = request.user
    if Tenant.objects.filter(pk=user.tenant_id, two_factor_required=True).exists():
        raise PermissionDenied(REQUIRED_BY_TENANT)
    if match_token(user, "".join(code.split()).lower()) is None:
        raise ValidationError(CODE_WRONG, code="wrong_code")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    _keep_only_this_session(request)
    request.session.pop(STATE_KEY, None)


@transaction.atomic
def two_factor_reset(*, actor: User, user_id: object) -> User:
    """A tenant admin turns off a colleague's two-factor sign-in (lost phone and
    recovery codes). Their sessions end; where the tenant requires it, their next
    sign-in sets it up again."""
    user = person_get(actor=actor, pk=user_id)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user_end_sessions(user=user)
    return user


def _keep_only_this_session(request: HttpRequest) -> None:
    user_end_sessions(user=request.user)
    update_session_auth_hash(request, request.user)


@transaction.atomic
def tenant_set_two_factor_required(*, actor: User, required: bool) -> Tenant:
    """The tenant admin's switch. Turning it on ends the sessions of everyone in
    the tenant without two-factor sign-in, so their next request asks them to sign
    in and set it up; the admin must have it first."""
    check_tenant_admin(actor)
    tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
    if required and not is_enabled(actor):
        raise ValidationError(ENROL_YOURSELF_FIRST, code="enrol_first")
    if tenant.two_factor_required != required:
        tenant.two_factor_required = required
        tenant.save(update_fields=["two_factor_required"])
        if required:
            with_device = TOTPDevice.objects.filter(confirmed=True).values("user_id")
            User.objects.filter(tenant_id=tenant.pk).exclude(pk__in=with_device).update(
                session_epoch=F("session_epoch") + 1
            )
    return tenant
