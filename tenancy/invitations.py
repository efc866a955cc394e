"""Invitations: a tenant admin asks an address to join; the link makes the account.

Invitation is a tenant table behind row-level security, but the person who opens
the link is not signed in, so no tenant is set. The link's token says which
tenant to look in: `<tenant id>.<invitation id>.<secret>`. The accept page reads
the row inside that tenant's context only (tenant_context), and only if the
secret's hash matches, compared in constant time; the table stores the hash, so
reading it gives no working link. A token naming another tenant's id finds
nothing there (the fence), and a made-up secret matches nothing.

Single use (accepting records accepted_at and the next use is refused), expiring
(INVITATION_DAYS), revocable, and resent with a new secret (the old link stops
working). An address that already has an account anywhere gets the neutral
answer of tenancy.services.EMAIL_UNAVAILABLE, whichever tenant holds it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenancy.models import Invitation, Role, Tenant, User
from tenancy.services import (
    check_tenant_admin,
    email_check_available,
    role_grant,
)
from tenancy.tokens import new_secret, secret_hash, token_tenant_id

logger = logging.getLogger(__name__)

INVITATION_OPEN = "This address already has an open invitation: resend it or revoke it."
INVITATION_NOT_FOUND = "No such invitation."
INVITATION_NOT_OPEN = "This invitation was already accepted or revoked."
INVITATION_UNUSABLE = (
    "This invitation link can no longer be used: it expired, was replaced by a newer "
    "one, was revoked or was already used. Ask your organisation's admin for a new one."
)
INVITATION_NOT_SENT = (
    "The invitation could not be sent: the mail server did not accept it. Nothing was "
    "saved; try again later."
)
INVITATION_SUBJECT = "You are invited to {tenant} on AI Skills"


def _new_secret(invitation: Invitation) -> str:
    secret = new_secret()
    invitation.secret_hash = secret_hash(secret)
    invitation.expires_at = timezone.now() + dt.timedelta(days=settings.INVITATION_DAYS)
    return f"{invitation.tenant_id}.{invitation.pk}.{secret}"


def new_token(invitation: Invitation) -> str:
    """Save a new invitation (inside its tenant's context) with a fresh secret; its
    link's token. No checks and no mail: invitation_create does those."""
    invitation.expires_at = timezone.now()
    invitation.save()  # for its id, which the token carries
    token = _new_secret(invitation)
    invitation.save(update_fields=["secret_hash", "expires_at"])
    return token


def invitation_for_token(*, token: str) -> Invitation:
    """The invitation a token opens, whatever its state; Http404 for any token that
    does not match one. Call inside tenant_context(token_tenant_id(token))."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 18:
        raise Http404(INVITATION_NOT_FOUND)
    invitation = (
        Invitation.objects.select_related("tenant")
        .filter(tenant_id=token_tenant_id(token), pk=int(parts[1]))
        .first()
    )
    if invitation is None or not secrets.compare_digest(
        invitation.secret_hash, secret_hash(parts[2])
    ):
        raise Http404(INVITATION_NOT_FOUND)
    return invitation


def _send(*, invitation: Invitation, token: str, base_url: str) -> None:
    """Mail the link; refuse (and so roll back the caller's writes) if the server will not."""
    link = urljoin(base_url, reverse("invitation_accept", args=[token]))
    context = {"invitation": invitation, "tenant": invitation.tenant, "link": link}
    try:
        send_mail(
            INVITATION_SUBJECT.format(tenant=invitation.tenant.name),
            render_to_string("tenancy/email/invitation.txt", context),
            None,
            [invitation.email],
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("Invitation %s: the mail server refused the message", invitation.pk)
        raise ValidationError(INVITATION_NOT_SENT, code="not_sent") from None


@transaction.atomic
def invitation_create(*, actor: User, email: str, role: str, base_url: str) -> Invitation:
    """Invite `email` to the actor's tenant with `role`, and mail the link."""
    check_tenant_admin(actor)
    email = email_check_available(email=email)
    if role not in Role.values:
        raise ValidationError({"role": "Choose a role from the list."})
    # An expired invitation for the address is closed so a new one can open.
    Invitation.objects.filter(
        tenant_id=actor.tenant_id,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__lte=timezone.now(),
    ).update(revoked_at=timezone.now())
    invitation = Invitation(
        tenant=Tenant.objects.get(pk=actor.tenant_id),
        email=email,
        role=role,
        invited_by=actor,
    )
    try:
        with transaction.atomic():
            token = new_token(invitation)
    except IntegrityError:
        raise ValidationError({"email": INVITATION_OPEN}) from None
    _send(invitation=invitation, token=token, base_url=base_url)
    return invitation


def _open_invitation(*, actor: User, pk: object) -> Invitation:
    try:
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("tenant")
            .get(tenant_id=actor.tenant_id, pk=pk)
        )
    except (Invitation.DoesNotExist, ValueError):
        raise Http404(INVITATION_NOT_FOUND) from None
    check_tenant_admin(actor)  # after the lookup: another tenant's id is a 404 for anyone
    if not invitation.is_open:
        raise ValidationError(INVITATION_NOT_OPEN, code="not_open")
    return invitation


@transaction.atomic
def invitation_resend(*, actor: User, pk: object, base_url: str) -> Invitation:
    """A new link with a new expiry; the previous link stops working."""
    invitation = _open_invitation(actor=actor, pk=pk)
    token = _new_secret(invitation)
    invitation.save(update_fields=["secret_hash", "expires_at", "updated_at"])
    _send(invitation=invitation, token=token, base_url=base_url)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, pk: object) -> Invitation:
    invitation = _open_invitation(actor=actor, pk=pk)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


def invitation_check_usable(invitation: Invitation) -> None:
    if not invitation.is_open or invitation.is_expired:
        raise ValidationError(INVITATION_UNUSABLE, code="unusable")


@transaction.atomic
def invitation_accept(*, token: str, password: str, display_name: str = "") -> User:
    """Create the invitee's account in the invitation's tenant with its role.

    Runs inside the token's tenant context (the caller's). The row is locked, so
    two tabs accepting at once make one account; the address is checked again,
    since it may have got an account (another tenant's invitation) meanwhile.
    """
    invitation = invitation_for_token(token=token)
    invitation = (
        Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    )
    invitation_check_usable(invitation)
    email = email_check_available(email=invitation.email)
    user = User(email=email, display_name=display_name.strip(), tenant=invitation.tenant)
    validate_password(password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # taken between the check and the insert
        email_check_available(email=email)
        raise
    role_grant(user=user, role=invitation.role)
    invitation.accepted_at, invitation.user = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "user", "updated_at"])
    return user


def invitations_open(*, actor: User):
    """The actor's tenant's invitations not yet accepted or revoked (expired included,
    so the admin can resend them), newest first."""
    check_tenant_admin(actor)
    return Invitation.objects.filter(
        tenant_id=actor.tenant_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).select_related("invited_by")
