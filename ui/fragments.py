"""Content-keyed template fragment caching (docs/performance.md, "Fragment cache").

A page's heavy part, such as 50 portfolio rows, is rendered once and then
served from the `fragments` cache while what it shows is unchanged. The key is
not a version a service has to remember to bump: it is a digest of every loaded
field of every object the fragment renders (plus the quarter hour, for
"today"-relative wording), computed from the rows the page has just read. A change made by any
path, a service, the admin, a raw UPDATE or another tenant's rename of a shared
object, changes the rows, so it changes the key: a stale fragment cannot be
served, and nothing needs invalidating. Entries that are no longer asked for age
out of the cache (LRU, `MAX_ENTRIES`).

Rows from a prepared read's `digested()` (tenancy/prepared.py) go into the key by
the digest PostgreSQL computes over them (one small statement), so a page whose
fragment is cached never reads or builds those rows; `fingerprint` then returns a
FragmentKey, which names the rows actually rendered when a miss reads them.

In a template: `{% fragment "name" key %}…{% endfragment %}`, with `key` a
`fingerprint(...)` the view computed. Rules for a cached fragment, checked by
review and by the tests next to each use: it renders only from what was passed
to `fingerprint` and constants (no request, no messages, no time finer than the
quarter hour), and every object it renders is passed. The one per-request value
allowed inside is the CSRF token (`{% csrf_token %}`, `{{ csrf_token }}`): the
fragment is cached with a random placeholder in its place, and each response
gets its own token put back, exactly as a fresh render would have it.

One more per-request value can be named, a random token such as a form's
idempotency token: `{% fragment "name" key fill %}` caches the fragment with a
placeholder wherever `fill` (non-empty, random, so it appears nowhere else)
was written, and puts each request's own value back.
"""

from __future__ import annotations

import hashlib
import pickle
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django import template
from django.core.cache import caches
from django.db.models import QuerySet
from django.template.base import Parser, Token
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from tenancy.prepared import DigestedRows

CACHE_ALIAS = "fragments"
TIMEOUT = 3600  # seconds; a key that is no longer asked for is dropped sooner (LRU)
# Stands for the CSRF token in a cached fragment: random per process, so nothing
# a person types can ever be taken for it.
_TOKEN_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
_FILL_PLACEHOLDER = f"fill-{secrets.token_hex(16)}"  # the same, for `fill`
# What a fragment says about "today" (a date flagged as in the future, "3 days
# ago") changes when a day ends in some time zone: every zone's offset is a
# multiple of 15 minutes, so a key that includes the quarter hour is never a day
# behind anywhere (the portfolio dates its rows by the earliest zone, UTC+14).
PERIOD_SECONDS = 15 * 60


def period() -> int:
    return int(time.time() // PERIOD_SECONDS)


def _plain(part: Any) -> Any:
    """A queryset as its rows (evaluated once: the page then reuses its result cache)."""
    return list(part) if isinstance(part, QuerySet) else part


def fingerprint(*parts: Any) -> str | FragmentKey:
    """A short digest of everything a cached fragment renders, for its cache key.

    Pickle is a faithful serialisation (what it writes, it can rebuild), and a
    model instance pickles with every loaded field, the attributes a selector
    attached, the related rows select_related loaded and the prefetched ones:
    two different contents never give the same bytes. The same content may
    (rarely) give different bytes, when objects are shared differently: that is a
    cache miss, never a stale fragment. It is also C-speed, where walking the
    fields in Python cost a millisecond for 50 messages.
    """
    if any(isinstance(part, DigestedRows) for part in parts):
        return FragmentKey(period(), parts)
    return _digest(period(), parts)


def _digest(when: int, parts: tuple[Any, ...]) -> str:
    # Digested rows stand in by the digest PostgreSQL computed over them.
    plain = [
        part.digest if isinstance(part, DigestedRows | _Frozen) else _plain(part) for part in parts
    ]
    data = pickle.dumps((when, plain), pickle.HIGHEST_PROTOCOL)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FragmentKey:
    """A fingerprint with rows known by their database digest (tenancy.prepared's
    `digested()`): a page whose fragment is cached never reads or builds those rows.

    Its text is taken when the fragment is looked up and again after a miss rendered
    it: rows read during the render come with the digest of exactly those rows (one
    statement), so a fragment rendered from rows another transaction changed after the
    lookup is stored under its own rows' digest, never under the older one."""

    def __init__(self, when: int, parts: tuple[Any, ...]) -> None:
        self._when = when
        # The other parts as they are now, when the view asks: rendering may annotate
        # them (edit forms on rows), which must not move the key it is stored under.
        self._parts = tuple(
            part if isinstance(part, DigestedRows) else _Frozen(_digest(when, (part,)))
            for part in parts
        )

    def __str__(self) -> str:
        return _digest(self._when, self._parts)


@dataclass(frozen=True)
class _Frozen:
    digest: str


class FragmentNode(template.Node):
    def __init__(
        self,
        nodelist: template.NodeList,
        name: str,
        key: template.base.FilterExpression,
        fill: template.base.FilterExpression | None = None,
    ):
        self.nodelist = nodelist
        self.name = name
        self.key = key
        self.fill = fill

    def render(self, context: template.Context) -> SafeString:
        key = self.key.resolve(context)
        # As the fragment writes it: a value is escaped where a template shows it.
        fill = conditional_escape(self.fill.resolve(context) or "") if self.fill else ""
        if not key or (self.fill and not fill):
            # No key, or no value to put back (every character would match an
            # empty one): render as if the tag were not there.
            return self.nodelist.render(context)
        cache = caches[CACHE_ALIAS]
        html = cache.get(f"fragment:{self.name}:{key}")
        if html is None:
            with context.push(csrf_token=_TOKEN_PLACEHOLDER):
                html = self.nodelist.render(context)
            if fill:
                html = html.replace(fill, _FILL_PLACEHOLDER)
            # str(key) again: a FragmentKey now names the rows the render read.
            cache.set(f"fragment:{self.name}:{key}", html, TIMEOUT)
        if _TOKEN_PLACEHOLDER in html:
            token = context.get("csrf_token")
            html = html.replace(_TOKEN_PLACEHOLDER, str(token) if token else "")
        if fill:
            html = html.replace(_FILL_PLACEHOLDER, fill)
        return mark_safe(html)


def fragment(parser: Parser, token: Token) -> FragmentNode:
    """`{% fragment "name" key [fill] %}…{% endfragment %}`: the block, cached under `key`."""
    bits = token.split_contents()
    if len(bits) not in (3, 4):
        raise template.TemplateSyntaxError(
            '{% fragment "name" key %} takes a name, a key and optionally a value to fill.'
        )
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    fill = parser.compile_filter(bits[3]) if len(bits) == 4 else None
    return FragmentNode(nodelist, bits[1].strip("\"'"), parser.compile_filter(bits[2]), fill)
