"""The JSON API of the source (GET/PATCH artifacts), on the same services as the pages.

Session-authenticated: an anonymous caller gets 401 JSON, not a login
redirect. PATCH is CSRF-protected like any form post, answering a JSON 403
when the token is missing. Every refusal is JSON `{"error": message}` with
400 (bad input), 403 (not the customer's RM), 404 (unknown or another
tenant's), 405 or 409 (already decided, or stale); never a 500 for input.
The routes are described in openapi.json, served at /api/openapi.json.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.dateparse import parse_datetime
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from config.errors import DomainError, json_refusal
from crm_artifacts import services
from crm_artifacts.models import ApiTokenScope, Proposal
from crm_artifacts.services.artifacts import BATCH_ID_PATTERN

MAX_BODY_BYTES = 16 * 1024
PATCH_KEYS = ("status", "editedValue", "confirmStale", "rejectionReason")
OPENAPI_PATH = Path(__file__).with_name("openapi.json")

NOT_AUTHENTICATED = (
    "Authentication required: sign in first (session cookie) or send an API token "
    "(Authorization: Bearer <token>)."
)
TOKEN_NOT_ACCEPTED = "This operation is for a signed-in person; API tokens cannot use it."
TOKEN_SCOPE_MISSING = "This API token does not have the “{scope}” scope."
METHOD_NOT_ALLOWED = "Method not allowed. Allowed: {allowed}."
BODY_TOO_LARGE = f"The request body is too large (at most {MAX_BODY_BYTES} bytes)."
MALFORMED_JSON = "The request body is not valid JSON."
BODY_NOT_OBJECT = "The request body must be a JSON object."
UNKNOWN_KEYS = "Unknown field(s): {keys}. Allowed: {allowed}."
CONFIRM_NOT_BOOLEAN = "confirmStale must be true or false."
CSRF_FAILED = "CSRF check failed ({reason}). Send the csrftoken cookie's value as X-CSRFToken."


def error(message: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


class _JsonCsrfMiddleware(CsrfViewMiddleware):
    """Django's CSRF check, answering in JSON."""

    def _reject(self, request: HttpRequest, reason: str) -> JsonResponse:
        return error(CSRF_FAILED.format(reason=reason), 403)


json_csrf_protect = decorator_from_middleware(_JsonCsrfMiddleware)


def api_view(*methods: str, token_scopes: dict[str, str] | None = None) -> Callable:
    """JSON method check, 401 for anonymous callers, the CSRF check, and refusals as JSON.

    `token_scopes` names the methods an API token may call and the scope each
    needs (tenancy.middleware authenticated the token and opened its tenant);
    every other method is for a signed-in person only.
    """
    allowed = [*methods, "HEAD"] if "GET" in methods else list(methods)
    token_scopes = dict(token_scopes or {})
    if "GET" in token_scopes:
        token_scopes["HEAD"] = token_scopes["GET"]

    def decorate(view: Callable[..., JsonResponse]) -> Callable[..., JsonResponse]:
        protected = json_csrf_protect(view)

        @csrf_exempt  # checked just below, after the 401, and answered in JSON
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if request.method not in allowed:
                response = error(METHOD_NOT_ALLOWED.format(allowed=", ".join(allowed)), 405)
                response["Allow"] = ", ".join(allowed)
                return response
            token = getattr(request, "api_token", None)
            if token is not None:
                scope = token_scopes.get(request.method)
                if scope is None:
                    return error(TOKEN_NOT_ACCEPTED, 403)
                if not token.allows(scope):
                    return error(TOKEN_SCOPE_MISSING.format(scope=scope), 403)
            elif not request.user.is_authenticated:
                return error(NOT_AUTHENTICATED, 401)
            try:
                return protected(request, *args, **kwargs)
            except (DomainError, PermissionDenied, ValidationError) as refusal:
                # The project's one JSON answer (config/errors.py): the loser of a
                # race sees the proposal as decided, a stale accept both values.
                return json_refusal(refusal, default_message=services.NOT_ATTACHED_RM)

        return wrapper

    return decorate


def artifact_json(artifact: Proposal) -> dict[str, Any]:
    """An artifact with the source's camelCase keys (the payload keeps its own keys)."""
    return {
        "id": artifact.pk,
        "createdAt": artifact.created_at.isoformat(),
        "customerId": artifact.customer_id,
        "rmId": artifact.rm_id,
        "batchId": artifact.batch_id,
        "version": artifact.version,
        "artifactType": artifact.artifact_type,
        "status": artifact.status,
        "createdByType": artifact.created_by_type,
        "createdById": artifact.created_by_id,
        "payload": artifact.payload,
        "workflowTrigger": artifact.workflow_trigger,
        "decidedById": artifact.decided_by_id,
        "decidedAt": artifact.decided_at.isoformat() if artifact.decided_at else None,
        # Our additions (issue 13): the reason of a rejection, and a revert.
        "rejectionReason": artifact.rejection_reason,
        "revertedAt": artifact.reverted_at.isoformat() if artifact.reverted_at else None,
        # Issue 18: the reviewer's answer to the agent.
        "response": artifact.response_note or None,
        "respondedAt": artifact.responded_at.isoformat() if artifact.responded_at else None,
    }


def stale_json(stale: services.StaleValues) -> dict[str, Any]:
    return {
        "artifactId": stale.artifact_id,
        "field": stale.field_label,
        "currentValue": stale.current,
        "previousValue": stale.previous,
    }


def _query_int(request: HttpRequest, name: str, default: int, message: str) -> int:
    """A whole-number query parameter; the service checks its range.

    Only an absent parameter takes the default: an empty one (`?offset=`) is
    not the integer openapi.json promises, so it is refused like any other.
    """
    if name not in request.GET:
        return default
    raw = request.GET[name].strip()
    if not re.fullmatch(r"-?\d{1,18}", raw):
        raise ValidationError(message)
    return int(raw)


@api_view("GET")
def customer_artifacts(request: HttpRequest, customer_id: str) -> JsonResponse:
    customer = services.get_customer(user=request.user, customer_id=customer_id)
    limit = _query_int(
        request,
        "limit",
        services.DEFAULT_LIMIT,
        services.INVALID_LIMIT.format(max_limit=services.MAX_LIMIT),
    )
    offset = _query_int(
        request, "offset", 0, services.INVALID_OFFSET.format(max_offset=services.MAX_OFFSET)
    )
    artifacts = services.artifact_list(
        user=request.user,
        customer=customer,
        # `?status=` is not one of the statuses: refused, not read as "any status".
        status=request.GET.get("status"),
        limit=limit,
        offset=offset,
    )
    return JsonResponse({"artifacts": [artifact_json(a) for a in artifacts]})


def _json_body(request: HttpRequest, keys: tuple[str, ...]) -> dict[str, Any]:
    """The request's JSON object, at most MAX_BODY_BYTES, with only `keys`."""
    # Read at most one byte past the cap from the stream Django bounds by the
    # Content-Length (config.middleware has refused a malformed one): the
    # header is never parsed here, and a large body is never held in memory.
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ValidationError(BODY_TOO_LARGE)

    def refuse_constant(name: str) -> None:
        raise ValueError(name)  # NaN and Infinity are not JSON

    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError(MALFORMED_JSON) from None
    if not isinstance(body, dict):
        raise ValidationError(BODY_NOT_OBJECT)
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise ValidationError(
            UNKNOWN_KEYS.format(
                keys=", ".join(k[:40] for k in unknown[:5]), allowed=", ".join(keys)
            )
        )
    return body


def _patch_body(request: HttpRequest) -> dict[str, Any]:
    body = _json_body(request, PATCH_KEYS)
    if not isinstance(body.get("confirmStale", False), bool):
        raise ValidationError(CONFIRM_NOT_BOOLEAN)
    return body


@api_view("GET", "PATCH")
def artifact_detail(request: HttpRequest, artifact_id: str) -> JsonResponse:
    if request.method == "PATCH":
        body = _patch_body(request)
        status = body.get("status")
        if not isinstance(status, str) or status not in services.STATUS_DECISIONS:
            raise ValidationError(services.INVALID_DECISION)
        artifact = services.proposal_decide(
            user=request.user,
            proposal_id=artifact_id,
            decision=services.STATUS_DECISIONS[status],
            edited_value=body.get("editedValue", services.UNSET),
            confirm_stale=body.get("confirmStale", False),
            reason=body.get("rejectionReason", ""),
        )
    else:
        artifact = services.get_artifact(user=request.user, artifact_id=artifact_id)
    return JsonResponse({"artifact": artifact_json(artifact)})


@cache
def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI_PATH.read_text())


def openapi(request: HttpRequest) -> JsonResponse:
    """The OpenAPI description of this API (public: it holds no data)."""
    if request.method not in ("GET", "HEAD"):
        return error(METHOD_NOT_ALLOWED.format(allowed="GET, HEAD"), 405)
    return JsonResponse(openapi_document())


# --- external agents (issue 18): propose through an API token, read the answers ---

PROPOSE_KEYS = ("agentName", "proposals")
PROPOSAL_KEYS = ("field", "proposedValue", "confidence", "sourceExcerpt")
RESPOND_KEYS = ("response",)
PROPOSALS_NOT_LIST = "proposals must be a list of objects."
PROPOSAL_NOT_OBJECT = "proposals[{index}] must be an object."
PROPOSAL_UNKNOWN_KEYS = (
    "proposals[{index}]: unknown field(s): {keys}. Allowed: " + ", ".join(PROPOSAL_KEYS) + "."
)
PROPOSAL_VALUE_REQUIRED = "proposals[{index}]: proposedValue is required."
INVALID_SINCE = "since must be an ISO 8601 date-time with a time zone."
INVALID_BATCH_FILTER = "batch must be a batch id (letters, digits, dashes, underscores)."


def _edits(raw: Any) -> list[services.ProfileEditInput]:
    """The body's proposals as the service's inputs (the service validates the values)."""
    if not isinstance(raw, list):
        raise ValidationError(PROPOSALS_NOT_LIST)
    edits = []
    for index, item in enumerate(raw[: services.MAX_BATCH_SIZE + 1]):
        if not isinstance(item, dict):
            raise ValidationError(PROPOSAL_NOT_OBJECT.format(index=index))
        unknown = sorted(set(item) - set(PROPOSAL_KEYS))
        if unknown:
            keys = ", ".join(k[:40] for k in unknown[:5])
            raise ValidationError(PROPOSAL_UNKNOWN_KEYS.format(index=index, keys=keys))
        if "proposedValue" not in item:
            raise ValidationError(PROPOSAL_VALUE_REQUIRED.format(index=index))
        edits.append(
            services.ProfileEditInput(
                field_key=item.get("field"),
                proposed_value=item["proposedValue"],
                source_text=item.get("sourceExcerpt", ""),
                confidence=item.get("confidence"),
            )
        )
    return edits


def _since(request: HttpRequest) -> dt.datetime | None:
    raw = request.GET.get("since")
    if raw is None:
        return None
    try:
        parsed = parse_datetime(raw.strip()) if len(raw) <= 40 else None
        if parsed is None or parsed.tzinfo is None:
            raise ValueError(raw)
        # In UTC: PostgreSQL refuses offsets Python allows (beyond ±15:59).
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValidationError(INVALID_SINCE) from None


@api_view("GET", "POST", token_scopes={"GET": ApiTokenScope.READ, "POST": ApiTokenScope.PROPOSE})
def customer_proposals(request: HttpRequest, customer_id: str) -> JsonResponse:
    """An agent's batch in (POST), or the customer's proposals with their answers (GET).

    A signed-in person may call it too, as the customer's RM.
    """
    if request.api_token is None:
        customer = services.get_customer(user=request.user, customer_id=customer_id)
    else:
        customer = services.agent_customer(customer_id)
    if request.method == "POST":
        body = _json_body(request, PROPOSE_KEYS)
        proposals = services.agent_propose(
            customer=customer, agent_name=body.get("agentName"), edits=_edits(body.get("proposals"))
        )
        return JsonResponse(
            {"batchId": proposals[0].batch_id, "artifacts": [artifact_json(p) for p in proposals]},
            status=201,
        )
    batch = request.GET.get("batch")
    if batch is not None and not BATCH_ID_PATTERN.match(batch):
        raise ValidationError(INVALID_BATCH_FILTER)
    proposals = services.agent_proposals(
        customer=customer, batch_id=batch, status=request.GET.get("status"), since=_since(request)
    )
    return JsonResponse({"artifacts": [artifact_json(p) for p in proposals]})


@api_view("POST")
def artifact_respond(request: HttpRequest, artifact_id: str) -> JsonResponse:
    """The RM's note to the agent on one proposal (`{"response": "..."}`)."""
    # Looked up before the body is read: another tenant's id is a 404 whatever was sent.
    services.get_artifact(user=request.user, artifact_id=artifact_id)
    body = _json_body(request, RESPOND_KEYS)
    artifact = services.proposal_respond(
        user=request.user, proposal_id=artifact_id, note=body.get("response")
    )
    return JsonResponse({"artifact": artifact_json(artifact)})
