"""Sign-in rate limit: after too many failures, refuse sign-ins for a while.

Two scopes are counted on every failed sign-in:
- an email from one client address (LOGIN_FAILURE_LIMIT, 5 by default): guessing
  one person's password stops quickly, while that person can still sign in from
  another address, so an attacker cannot lock a colleague out from afar;
- a client address on its own (LOGIN_FAILURE_LIMIT_PER_ADDRESS, 50): one address
  spraying passwords over many accounts.

A failure count starts a window of LOGIN_LOCKOUT_SECONDS; reaching a limit locks
the scope for the same time. A successful sign-in clears its email's count. Both
login forms (the site's and the admin's) call this module; the rule lives here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from tenancy.models import LoginThrottle


@dataclass(frozen=True)
class Lockout:
    until: dt.datetime

    @property
    def minutes_left(self) -> int:
        seconds = (self.until - timezone.now()).total_seconds()
        return max(1, -(-int(seconds) // 60))


def client_address(request: HttpRequest | None) -> str:
    """The client's address; behind TRUSTED_PROXY_COUNT proxies, the one they saw.

    X-Forwarded-For is only read when proxies are configured: any client can
    send that header, and trusting it would let an attacker pick a fresh
    address for every guess.
    """
    if request is None:
        return "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _email_scope(email: str, address: str) -> str:
    return f"email:{email.strip().lower()}|{address}"


def _scopes(email: str, address: str) -> dict[str, int]:
    """Each scope this attempt counts against, with its failure limit."""
    return {
        _email_scope(email, address): settings.LOGIN_FAILURE_LIMIT,
        f"address:{address}": settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
    }


def lockout(*, email: str, address: str) -> Lockout | None:
    """The lockout in force for this email from this address, if any."""
    until = (
        LoginThrottle.objects.filter(
            scope__in=_scopes(email, address), locked_until__gt=timezone.now()
        )
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return Lockout(until) if until else None


# One statement per scope: a new scope starts at one failure; an old one counts
# on, or starts over when its window has passed; reaching the limit locks it.
# Parallel failures serialise on the row, so none is lost.
_RECORD_FAILURE = """
INSERT INTO tenancy_loginthrottle AS t (scope, failures, window_started_at, locked_until)
VALUES (%(scope)s, 1, %(now)s,
        CASE WHEN %(limit)s <= 1 THEN %(now)s + %(period)s END)
ON CONFLICT (scope) DO UPDATE SET
    failures = CASE WHEN t.window_started_at <= %(now)s - %(period)s THEN 1
                    ELSE t.failures + 1 END,
    window_started_at = CASE WHEN t.window_started_at <= %(now)s - %(period)s THEN %(now)s
                             ELSE t.window_started_at END,
    locked_until = CASE
        WHEN (CASE WHEN t.window_started_at <= %(now)s - %(period)s THEN 1
                   ELSE t.failures + 1 END) >= %(limit)s THEN %(now)s + %(period)s
        ELSE t.locked_until END
RETURNING locked_until
"""


def record_failure(*, email: str, address: str) -> Lockout | None:
    """Count a failed sign-in; return the lockout it started, if it reached a limit."""
    now = timezone.now()
    period = dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    locks = []
    with connection.cursor() as cursor:
        for scope, limit in _scopes(email, address).items():
            cursor.execute(
                _RECORD_FAILURE, {"scope": scope, "now": now, "period": period, "limit": limit}
            )
            (until,) = cursor.fetchone()
            if until is not None and until > now:
                locks.append(until)
    return Lockout(max(locks)) if locks else None


def record_success(*, email: str, address: str) -> None:
    """A correct password clears this email's count from this address."""
    LoginThrottle.objects.filter(scope=_email_scope(email, address)).delete()
