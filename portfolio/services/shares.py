"""Read-only links to a member's portfolio: create, revoke, open (and count a view).

The link's token is `<tenant id>.<secret>` (tenancy/tokens.py, as invitations do):
the anonymous share page opens the named tenant's context and looks the share up
there by the sha256 of the secret, so every query of the page runs behind
row-level security. The secret is shown once, at creation; the table keeps only
its hash. Unknown, revoked and expired tokens are the same ShareNotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portfolio.models import (
    MAX_OPEN_SHARES,
    SHARE_LABEL_MAX_LENGTH,
    SHARE_MAX_DAYS,
    PortfolioShare,
    WorkArtifact,
)
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable
from tenancy.tokens import new_secret, secret_hash, token_tenant_id

LABEL_TOO_LONG = f"A label has at most {SHARE_LABEL_MAX_LENGTH} characters."
ARTIFACTS_REQUIRED = "Choose the artifacts to share, or share the whole portfolio."
ARTIFACTS_NOT_YOURS = "You can only share your own artifacts."
EXPIRY_IN_PAST = "The expiry must be in the future."
EXPIRY_TOO_FAR = f"A link can last at most {SHARE_MAX_DAYS} days."
TOO_MANY_SHARES = f"You can have at most {MAX_OPEN_SHARES} open links: revoke one first."
SHARE_NOT_FOUND = "No such shared portfolio."


class ShareNotFound(ObjectDoesNotExist):
    """Unknown, another member's, revoked or expired: the same answer for all."""


def share_token(*, share: PortfolioShare, secret: str) -> str:
    return f"{share.tenant_id}.{secret}"


@transaction.atomic
def share_create(
    *,
    user: User,
    label: str = "",
    whole_portfolio: bool = True,
    artifact_ids: Iterable[str] = (),
    include_skills: bool = True,
    expires_at: dt.datetime | None = None,
) -> tuple[PortfolioShare, str]:
    """A new link; returns the share and its token (shown once: only its hash is kept)."""
    errors: dict[str, str] = {}
    label = (label or "").strip()
    if len(label) > SHARE_LABEL_MAX_LENGTH:
        errors["label"] = LABEL_TOO_LONG
    elif not is_storable(label):
        errors["label"] = UNSTORABLE_TEXT
    ids = sorted({str(i) for i in artifact_ids}) if not whole_portfolio else []
    if not whole_portfolio:
        if not ids:
            errors["artifacts"] = ARTIFACTS_REQUIRED
        elif not all(is_storable(i) for i in ids) or WorkArtifact.objects.owned_by(user).filter(
            pk__in=ids
        ).count() != len(ids):
            errors["artifacts"] = ARTIFACTS_NOT_YOURS
    if expires_at is not None:
        now = timezone.now()
        if expires_at <= now:
            errors["expires_at"] = EXPIRY_IN_PAST
        elif expires_at > now + dt.timedelta(days=SHARE_MAX_DAYS):
            errors["expires_at"] = EXPIRY_TOO_FAR
    if errors:
        raise ValidationError(errors)
    # Count-then-insert for one member takes turns on the member's row (a global
    # table), as artifact_create does for the artifact limit.
    User.objects.select_for_update(no_key=True).only("pk").get(pk=user.pk)
    open_shares = PortfolioShare.objects.owned_by(user).filter(revoked_at__isnull=True)
    open_shares = open_shares.exclude(expires_at__lte=timezone.now())
    if open_shares.count() >= MAX_OPEN_SHARES:
        raise ValidationError(TOO_MANY_SHARES)
    secret = new_secret()
    share = PortfolioShare.objects.create(
        tenant_id=user.tenant_id,
        user=user,
        label=label,
        secret_hash=secret_hash(secret),
        whole_portfolio=whole_portfolio,
        artifact_ids=ids,
        include_skills=include_skills,
        expires_at=expires_at,
    )
    return share, share_token(share=share, secret=secret)


@transaction.atomic
def share_revoke(*, user: User, share_id: int | str) -> PortfolioShare:
    """Stop a link working at once; revoking a revoked link changes nothing."""
    if not str(share_id).isdigit() or len(str(share_id)) > 18:
        raise ShareNotFound(SHARE_NOT_FOUND)
    share = PortfolioShare.objects.owned_by(user).select_for_update().filter(pk=share_id).first()
    if share is None:
        raise ShareNotFound(SHARE_NOT_FOUND)
    if share.revoked_at is None:
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at", "updated_at"])
    return share


def share_open(*, token: str) -> PortfolioShare:
    """The open share a token names, its view counted (one UPDATE … views = views + 1).

    Call inside tenant_context(token_tenant_id(token)): the lookup is by the
    secret's hash within that tenant, so a token naming another tenant's id finds
    nothing. Unknown, revoked and expired alike raise ShareNotFound.
    """
    tenant_id = token_tenant_id(token)
    _, _, secret = token.partition(".")
    if tenant_id is None or not secret or not is_storable(secret):
        raise ShareNotFound(SHARE_NOT_FOUND)
    now = timezone.now()
    counted = (
        PortfolioShare.objects.filter(
            tenant_id=tenant_id,
            secret_hash=secret_hash(secret),
            revoked_at__isnull=True,
            user__is_active=True,  # a deactivated member's links stop with their account
        )
        .exclude(expires_at__lte=now)
        .update(views=F("views") + 1, last_viewed_at=now)
    )
    if not counted:
        raise ShareNotFound(SHARE_NOT_FOUND)
    return (
        PortfolioShare.objects.select_related("user")
        .filter(tenant_id=tenant_id, secret_hash=secret_hash(secret))
        .get()
    )
