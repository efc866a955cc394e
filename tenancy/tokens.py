"""Links that open a tenant's row before anyone is signed in (invitations, shares).

Such a link's token starts with the tenant's id: `<tenant id>.<…>.<secret>`. The
anonymous view reads the id, opens that tenant's context (tenant_context), and
looks the row up there by the secret's sha256, so row-level security fences the
lookup like any other query: a token naming another tenant finds nothing there,
and the table holds only hashes, so reading it gives no working link.
"""

from __future__ import annotations

import hashlib
import secrets


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """A secret for a link: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def token_tenant_id(token: str) -> int | None:
    """The tenant a token names (not yet proof of anything: the secret decides)."""
    tenant_id, _, _ = token.partition(".")
    return int(tenant_id) if tenant_id.isdigit() and len(tenant_id) < 19 else None
