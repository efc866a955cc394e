"""API tokens for external agents: created by a tenant admin, shown once, stored hashed.

The token is `<tenant id>.<token id>.<secret>` (tenancy/tokens.py's scheme, as
invitations and share links): `authenticate` runs inside the tenant the token
names (the middleware opens that tenant_context first), so row-level security
fences the lookup; a token naming another tenant finds nothing there.
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm_artifacts.models import ApiToken, ApiTokenScope
from crm_artifacts.services.access import parse_id
from crm_artifacts.services.errors import NotAllowed, NotFound
from tenancy.models import User
from tenancy.services import is_tenant_admin
from tenancy.text import UNSTORABLE_TEXT, is_storable
from tenancy.tokens import new_secret, secret_hash, token_tenant_id

NAME_MAX_LENGTH = 100
# last_used_at is a hint for the tenant admin, not an audit log: one UPDATE a minute at most.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

NOT_TENANT_ADMIN = "Only a tenant admin can manage API tokens."
TOKEN_NOT_FOUND = "API token not found."
NAME_REQUIRED = "Give the token a name (what will use it)."
NAME_TOO_LONG = f"The name is too long (at most {NAME_MAX_LENGTH} characters)."
SCOPE_REQUIRED = "Choose at least one scope: propose, read."
UNKNOWN_SCOPE = "Unknown scope. Allowed: " + ", ".join(ApiTokenScope.ALL) + "."


def _ensure_admin(user: User) -> None:
    if not is_tenant_admin(user):
        raise NotAllowed(NOT_TENANT_ADMIN)


@transaction.atomic
def api_token_create(*, user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token and its full text, which is never shown or stored again."""
    _ensure_admin(user)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = NAME_REQUIRED
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = NAME_TOO_LONG
    elif not is_storable(name):
        errors["name"] = UNSTORABLE_TEXT
    if any(scope not in ApiTokenScope.ALL for scope in scopes):
        errors["scopes"] = UNKNOWN_SCOPE
    elif not scopes:
        errors["scopes"] = SCOPE_REQUIRED
    if errors:
        raise ValidationError(errors)
    secret = new_secret()
    token = ApiToken.objects.create(
        tenant_id=user.tenant_id,
        name=name,
        can_propose=ApiTokenScope.PROPOSE in scopes,
        can_read=ApiTokenScope.READ in scopes,
        secret_hash=secret_hash(secret),
        created_by=user,
    )
    return token, f"{token.tenant_id}.{token.pk}.{secret}"


@transaction.atomic
def api_token_revoke(*, user: User, token_id: object) -> ApiToken:
    """Revoke a token (at once: the next request with it is a 401). Idempotent.

    Looked up before the admin check: another tenant's id is a 404 for anyone.
    """
    pk = parse_id(token_id)
    token = (
        ApiToken.objects.select_for_update().filter(tenant_id=user.tenant_id, pk=pk).first()
        if pk
        else None
    )
    if token is None:
        raise NotFound(TOKEN_NOT_FOUND)
    _ensure_admin(user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_tokens_of_tenant(*, user: User) -> list[ApiToken]:
    _ensure_admin(user)
    return list(
        ApiToken.objects.filter(tenant_id=user.tenant_id).select_related("created_by")[:200]
    )


def authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` names, in the current tenant context; None otherwise.

    Call inside tenant_context(token_tenant_id(raw)). Records the use (at most
    one UPDATE a minute, conditional, so parallel requests write it once).
    """
    tenant_id = token_tenant_id(raw)
    _, _, rest = raw.partition(".")
    token_id, _, secret = rest.partition(".")
    pk = parse_id(token_id)
    if tenant_id is None or pk is None or not secret:
        return None
    token = ApiToken.objects.filter(tenant_id=tenant_id, pk=pk, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at <= now - LAST_USED_RESOLUTION:
        ApiToken.objects.filter(tenant_id=tenant_id, pk=pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
