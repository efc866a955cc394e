"""Where a profile change came from: the context pghistory's triggers record.

The triggers on `crm_artifacts_customer` (models.CustomerProfileEvent) write an
event for every change of `profile`, whichever path made it. What they cannot
know (who, from which URL, which proposal) is read from two transaction-local
settings, `pghistory.context_metadata` and `pghistory.context_id`, that the
services set just before they write:

- `record_source(source=..., user=..., **extra)` merges the request's URL
  (remembered by `HistoryRequestMiddleware`) and sets both with `SET LOCAL`.

`SET LOCAL`, not pghistory's own `pghistory.context()`: that one prefixes each
statement with `set_config(...)`, which Citus does not pass on to the workers
where the triggers of a distributed table run; SET commands it does
(`citus.propagate_set_commands = 'local'`, as for the tenant, tenancy/context.py).
A change made outside the services (raw SQL, `manage.py shell`) is still
recorded, with no source.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from tenancy.models import User


class Source:
    """What made a profile change (the `source` key of the event's context)."""

    PROPOSAL = "proposal"  # accepted or edited proposal (one, or a batch)
    REVERT = "revert"  # a decision taken back
    ADMIN = "admin"  # the admin's customer form
    DIRECT = "direct"  # customer_set_profile_values: an import, a command, the API
    CREATED = "created"
    LABELS = {
        PROPOSAL: "accepted proposal",
        REVERT: "revert",
        ADMIN: "admin",
        DIRECT: "direct change",
        CREATED: "created",
    }


_request_url: ContextVar[str | None] = ContextVar("history_request_url", default=None)


class HistoryRequestMiddleware:
    """Remember the request's path for the history context (no database work)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _request_url.set(request.path[:300])
        try:
            return self.get_response(request)
        finally:
            _request_url.reset(token)


def context_metadata(*, source: str, user: User | None = None, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"source": source, **{k: v for k, v in extra.items() if v}}
    if user is not None and user.is_authenticated:
        metadata["user"] = user.pk
        metadata["userName"] = user.get_full_name() or user.email
    url = _request_url.get()
    if url:
        metadata["url"] = url
    return metadata


def record_source(*, source: str, user: User | None = None, **extra: Any) -> None:
    """Say where the next profile writes of this transaction come from."""
    metadata = json.dumps(context_metadata(source=source, user=user, **extra), default=str)
    with connection.cursor() as cursor:
        # SET takes no bound parameters; compose_sql quotes the values as literals.
        cursor.execute(
            connection.ops.compose_sql(
                "SET LOCAL pghistory.context_metadata = %s; SET LOCAL pghistory.context_id = %s",
                [metadata, str(uuid.uuid4())],
            )
        )
