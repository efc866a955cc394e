"""Logs an operator can act on: a request id on every response and every log line,
one line per request and per task, JSON in production.

The request id, tenant id and user id live in a context variable for the length
of a request, so every log line written meanwhile (ours, Django's, a library's)
carries them, and so do error reports (config/sentry.py). A caller's own
X-Request-ID (a proxy's) is kept when it looks like an id; anything else is
replaced, so the header cannot smuggle text into the logs.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from django_tasks.signals import task_finished

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The fields every line may carry; unset ones are left out of a JSON line.
CONTEXT_FIELDS = ("request_id", "tenant_id", "user_id")

request_context: ContextVar[dict[str, Any] | None] = ContextVar("request_context", default=None)
request_logger = logging.getLogger("aiskills.request")
task_logger = logging.getLogger("aiskills.task")


def current_context() -> dict[str, Any]:
    return dict(request_context.get() or {})


def _update_context(**values: Any) -> None:
    context = request_context.get()
    if context is not None:
        context.update({k: v for k, v in values.items() if v is not None})


class RequestLogMiddleware:
    """Gives the request an id, answers it in X-Request-ID and logs one line for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_context.set({"request_id": request_id})
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            _update_context(**_who(request))
            status = response.status_code
            request_logger.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_context.reset(token)


def _who(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user and tenant, if the request loaded them (never loads them:
    a request refused before the session was read stays without a database query)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return {}
    if not user.is_authenticated:
        return {}
    return {"user_id": user.pk, "tenant_id": user.tenant_id}


class RequestContextMiddleware:
    """After the tenant middleware: the user and tenant ids for the rest of the
    request's log lines (the user is loaded by then; this adds no query)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _update_context(**_who(request))
        return self.get_response(request)


class RequestContextFilter(logging.Filter):
    """Copies the request's ids onto every record, so both formats can show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current_context().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RequireEmailConfigured(logging.Filter):
    """Mail ADMINS only through a real mail setup (EMAIL_URL), never to the console."""

    def filter(self, record: logging.LogRecord) -> bool:
        return settings.EMAIL_CONFIGURED


# What a LogRecord carries by itself; anything else came in through `extra`.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _extra(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's ids and
    whatever the call passed in `extra`; a traceback as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extra(record),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """A readable line for development: time, level, logger, message, then the ids."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) is not None
        )
        if not ids:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


@receiver(task_finished)
def log_task(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """One line per task run, as a request has: which task, how it ended, how long."""
    started, finished = task_result.started_at, task_result.finished_at
    duration = (finished - started).total_seconds() * 1000 if started and finished else None
    task_logger.log(
        logging.ERROR if task_result.status == "FAILED" else logging.INFO,
        "task %s %s",
        task_result.task.module_path,
        task_result.status,
        extra={
            "task": task_result.task.module_path,
            "task_id": str(task_result.id),
            "status": str(task_result.status),
            "duration_ms": round(duration, 1) if duration is not None else None,
            "tenant_id": task_result.kwargs.get("tenant_id"),
            "backend": task_result.backend,
        },
    )
