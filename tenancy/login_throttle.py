"""Sign-in rate limit: slow and stop password guessing without letting a guesser
lock other people out.

Three scopes count every wrong password, each over a window of
LOGIN_LOCKOUT_SECONDS; reaching a scope's limit locks it for the same time:

- an email from one client address (LOGIN_FAILURE_LIMIT, 5): guessing one
  person's password from one place. Locked, every attempt for that email from
  that address is refused before the password is checked, right or wrong, so
  the guesser learns nothing more. The person can still sign in elsewhere.
- a client address on its own (LOGIN_FAILURE_LIMIT_PER_ADDRESS, 50): one
  address spraying passwords over many accounts. One address is often many
  people (an office, a mobile carrier, every user behind a proxy when
  TRUSTED_PROXY_COUNT is wrong), so this lock must not refuse a colleague who
  types the right password: the password is still checked, and a right one
  signs in unless that email has a lock of its own. A wrong one is refused
  with the lock message and locks that email from this address at once, so a
  locked address gets one more guess per account, not five, and the sprayer
  cannot tell "locked" from "wrong" without spending it.
- an email across all addresses (LOGIN_FAILURE_LIMIT_PER_ACCOUNT, 20): one
  account guessed from many addresses (a botnet), which the two scopes above
  never see. A lock that refused everyone would let anyone lock a colleague
  out from afar with 20 wrong passwords; a lock that still checked passwords
  would stop nothing. So while it holds, attempts from addresses the account
  has never signed in from (within KNOWN_ADDRESS_DAYS) are refused before the
  password is checked, and an address it has signed in from is treated as if
  the account had no lock. The owner keeps signing in from their usual places
  during an attack; a new place waits out the lock.

A right password clears its email's count from that address (not the
account's: the botnet's count must not restart because the owner signed in)
and records the address as known for the account. Both login forms (the site's
and the admin's) call this module; the rule lives here.

The client's address is REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the
one they saw. Production refuses to start without TRUSTED_PROXY_COUNT (the
settings cannot see the proxy), and the first sign-in attempt that carries
X-Forwarded-For while it is 0 logs an error: then every client shares the
proxy's address and the address scope counts them all together.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from tenancy.models import LoginThrottle

logger = logging.getLogger(__name__)

# How long a successful sign-in makes an address known to the account (see
# the per-account scope above): long enough to cover a holiday.
KNOWN_ADDRESS_DAYS = 30

PROXY_MISCONFIGURED = (
    "A request arrived with X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: if a reverse "
    "proxy forwards requests, every client now has the proxy's address and the sign-in "
    "limit per address counts them all together. Set TRUSTED_PROXY_COUNT to the number "
    "of proxies (usually 1); if no proxy is meant to be there, the header is forged."
)
# Logged once per process: a log line per request would drown the log.
_proxy_warning_logged = False


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
    global _proxy_warning_logged
    if request is None:
        return "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies:
        forwarded = [a.strip() for a in header.split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies and _is_ip_address(forwarded[-proxies]):
            return forwarded[-proxies]
    elif header and settings.PRODUCTION and not _proxy_warning_logged:
        _proxy_warning_logged = True
        logger.error(PROXY_MISCONFIGURED)
    return request.META.get("REMOTE_ADDR") or "unknown"


def _is_ip_address(text: str) -> bool:
    # A client that reaches the app past the proxy (or a count set too high)
    # writes this entry itself: anything but an address is not one to trust, and
    # would not fit the scope column (or hold a NUL, which PostgreSQL refuses).
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _email_scope(email: str, address: str) -> str:
    return f"email:{_normal(email)}|{address}"


def _address_scope(address: str) -> str:
    return f"address:{address}"


def _account_scope(email: str) -> str:
    return f"account:{_normal(email)}"


def _known_scope(email: str, address: str) -> str:
    # A marker row, never counted or locked: its window is when the account last
    # signed in from this address.
    return f"known:{_normal(email)}|{address}"


def _normal(email: str) -> str:
    return email.strip().lower()


def _locks(*scopes: str) -> dict[str, dt.datetime]:
    rows = LoginThrottle.objects.filter(scope__in=scopes, locked_until__gt=timezone.now())
    return dict(rows.values_list("scope", "locked_until"))


def _is_known(email: str, address: str) -> bool:
    since = timezone.now() - dt.timedelta(days=KNOWN_ADDRESS_DAYS)
    scope = _known_scope(email, address)
    return LoginThrottle.objects.filter(scope=scope, window_started_at__gt=since).exists()


def lockout(*, email: str, address: str) -> Lockout | None:
    """The lockout that refuses this attempt before its password is checked, if any.

    Only the email's own lock from this address, and the account's lock from an
    address the account does not know; the address's lock alone lets the password
    be checked (record_failure then refuses a wrong one).
    """
    email_scope, account_scope = _email_scope(email, address), _account_scope(email)
    locks = _locks(email_scope, account_scope)
    if account_scope in locks and _is_known(email, address):
        del locks[account_scope]
    return Lockout(max(locks.values())) if locks else None


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


def _count(
    cursor, scope: str, limit: int, *, now: dt.datetime, seconds: int | None = None
) -> dt.datetime | None:
    """Count one event in `scope`; the end of the lock it meets or starts, if any."""
    period = dt.timedelta(seconds=seconds or settings.LOGIN_LOCKOUT_SECONDS)
    params = {"scope": scope, "now": now, "period": period, "limit": limit}
    cursor.execute(_RECORD_FAILURE, params)
    (until,) = cursor.fetchone()
    return until if until is not None and until > now else None


def record_failure(*, email: str, address: str) -> Lockout | None:
    """Count a wrong password; return the lockout it meets or starts, if any.

    The address scope goes first: when it is (or becomes) locked, the email's
    limit from this address drops to this one failure (see the module docstring).
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        address_locked = _count(
            cursor, _address_scope(address), settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS, now=now
        )
        email_limit = 1 if address_locked else settings.LOGIN_FAILURE_LIMIT
        locks = [
            address_locked,
            _count(cursor, _email_scope(email, address), email_limit, now=now),
            _count(
                cursor, _account_scope(email), settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT, now=now
            ),
        ]
    locks = [until for until in locks if until is not None]
    return Lockout(max(locks)) if locks else None


def record_reset_request(*, email: str, address: str) -> Lockout | None:
    """Count a password-reset request; past the limits, refuse more for a while.

    Each request mails someone, so it is limited like a wrong password: per email
    from one address (LOGIN_FAILURE_LIMIT) and per address (the per-address limit),
    in scopes of their own, so asking for resets never locks a sign-in. Counted
    whether or not the address has an account, so the answer reveals nothing.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        locks = [
            _count(
                cursor,
                f"reset-{_address_scope(address)}",
                settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
                now=now,
            ),
            _count(
                cursor,
                f"reset-{_email_scope(email, address)}",
                settings.LOGIN_FAILURE_LIMIT,
                now=now,
            ),
        ]
    locks = [until for until in locks if until is not None]
    return Lockout(max(locks)) if locks else None


def record_success(*, email: str, address: str) -> None:
    """A right password clears this email's count from this address and makes the
    address known to the account; the account's count stays (see above)."""
    LoginThrottle.objects.filter(scope=_email_scope(email, address)).delete()
    LoginThrottle.objects.update_or_create(
        scope=_known_scope(email, address),
        defaults={"failures": 0, "window_started_at": timezone.now(), "locked_until": None},
    )


# --- links opened before sign-in (shared portfolios) ---------------------------------


def _link_scope(address: str) -> str:
    return f"link-{_address_scope(address)}"


def link_lockout(*, address: str) -> Lockout | None:
    """Whether this address has tried too many unknown link tokens of late.

    A share link's secret has 256 bits, so guessing is hopeless; the limit stops an
    address from hammering the lookup. Only misses count (record_link_miss), in a
    scope of their own, so it never locks anyone's sign-in.
    """
    locks = _locks(_link_scope(address))
    return Lockout(max(locks.values())) if locks else None


def record_link_miss(*, address: str) -> Lockout | None:
    """Count an unknown, revoked or expired link token from this address."""
    with connection.cursor() as cursor:
        until = _count(
            cursor,
            _link_scope(address),
            settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS,
            now=timezone.now(),
        )
    return Lockout(until) if until else None


# --- API tokens (crm_artifacts' agent API) -----------------------------------------


def record_token_request(*, token_id: int) -> Lockout | None:
    """Count one request made with an API token; past the limit, refuse for the window.

    Fixed window of API_TOKEN_RATE_WINDOW_SECONDS per token, in a scope of its own,
    one upsert per request (the same statement as the sign-in counts). Counted
    after the token is found, so unknown tokens never create rows.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        until = _count(
            cursor,
            f"api-token-{token_id}",
            # _count locks on reaching its limit: the limit-th request still passes.
            settings.API_TOKEN_RATE_LIMIT + 1,
            now=now,
            seconds=settings.API_TOKEN_RATE_WINDOW_SECONDS,
        )
    return Lockout(until) if until else None
