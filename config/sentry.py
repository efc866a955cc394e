"""Optional error reports to Sentry (SENTRY_DSN), with no personal data in them.

An event leaves with the tenant id, user id and request id as tags and the code
path of the error, and nothing a person typed or a profile holds: no request body,
cookies, headers or query string, no local variables, no breadcrumbs (log lines
and SQL carry values), no exception message (an IntegrityError quotes the row)
and no log arguments. `scrub_event` is the one place that decides; it is tested
without sentry-sdk installed.
"""

from __future__ import annotations

from typing import Any

from config.logs import current_context

# Request fields kept: what was called, not what was sent.
_REQUEST_KEPT = ("method", "url")
REDACTED = "[redacted]"


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's before_send: tag the event with the request's ids, drop personal data."""
    context = current_context()
    tags = dict(event.get("tags") or {})
    tags.update({k: str(v) for k, v in context.items()})
    event["tags"] = tags
    user_id = context.get("user_id")
    event["user"] = {"id": str(user_id)} if user_id is not None else {}

    request = event.get("request") or {}
    kept = {k: request[k] for k in _REQUEST_KEPT if k in request}
    if "url" in kept:
        kept["url"] = str(kept["url"]).split("?", 1)[0]
    event["request"] = kept

    event.pop("extra", None)
    event["breadcrumbs"] = {"values": []}
    if "logentry" in event:
        # The format string says where; its arguments are the values.
        event["logentry"] = {"message": (event["logentry"] or {}).get("message", "")}
    event.pop("message", None)  # capture_message's text, formatted with its values
    for exception in (event.get("exception") or {}).get("values", []) or []:
        if exception.get("value"):
            exception["value"] = REDACTED
        for frame in (exception.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    for thread in (event.get("threads") or {}).get("values", []) or []:
        for frame in (thread.get("stacktrace") or {}).get("frames", []) or []:
            frame.pop("vars", None)
    return event


def init_sentry(*, dsn: str, environment: str) -> None:
    import sentry_sdk  # optional: pip install -e ".[sentry]"

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
