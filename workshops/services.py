"""Every write in workshops, and the rules: ownership, step status, schema
validation and optimistic locking of artifacts and summaries.

Optimistic locking: a save carries the version the user read. The row is
updated with `UPDATE … SET …, version = version + 1 WHERE workshop_step = …
AND version = n` (one statement); if no row matched, someone saved first and
`VersionConflict` reports their value and version, so nothing is overwritten
silently. Version 0 means "there was no row when I read": the first save
inserts version 1, and a concurrent first save loses on the unique constraint,
which is reported as the same conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model

from assistant import Assistant, AssistantError, Message
from assistant.tokens import count_tokens
from config.errors import Stale
from tenancy.citus import violated_constraint
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable, is_storable_json
from workshops.context import REPLY_BUDGET_TOKENS, build_step_context
from workshops.models import (
    MESSAGE_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ChatMessage,
    StepArtifact,
    StepDefinition,
    StepSummary,
    Workshop,
    WorkshopStep,
    now_ms,
)
from workshops.schemas import artifact_errors

TITLE_REQUIRED = "Give the workshop a title."
TITLE_TOO_LONG = f"A title has at most {TITLE_MAX_LENGTH} characters."
NOT_YOUR_WORKSHOP = "This workshop is not yours."
MESSAGE_REQUIRED = "Write a message first."
MESSAGE_TOO_LONG = f"A message has at most {MESSAGE_MAX_LENGTH} characters."
NOTHING_TO_ANSWER = "There is no message waiting for a reply."
NOTHING_TO_SUMMARISE = "There is no conversation to summarise yet."
NOTHING_TO_EXTRACT = "There is no conversation to extract an artifact from yet."
SUMMARY_REQUIRED = "The summary is empty."
SUMMARY_TOO_LONG = f"A summary has at most {SUMMARY_MAX_LENGTH} characters."
ARTIFACT_NOT_OBJECT = "The artifact must be a JSON object ({…})."
DONE_NEEDS_ARTIFACT = "Save the step's artifact before marking the step done."
VERSION_CONFLICT = (
    "Someone else saved this after you opened it. Nothing was overwritten: "
    "compare their version with yours below."
)
REPLY_FAILED = "The assistant's reply failed"


class VersionConflict(Stale):
    """A save carried a stale version; the row holds someone else's newer value."""

    def __init__(self, *, current_value: Any, current_version: int, attempted_value: Any) -> None:
        super().__init__(VERSION_CONFLICT)
        self.current_value = current_value  # None when the row has gone
        self.current_version = current_version  # 0 when the row has gone
        self.attempted_value = attempted_value


# --- ownership -----------------------------------------------------------------


def check_owner(*, workshop: Workshop, user: User) -> None:
    """Only the owner works in a workshop; a row of another tenant is refused too."""
    if workshop.tenant_id != user.tenant_id or workshop.owner_id != user.pk:
        raise PermissionDenied(NOT_YOUR_WORKSHOP)


# --- workshops -------------------------------------------------------------------


def _required_text(value: str, *, field: str, max_length: int, missing: str, too_long: str) -> str:
    """`value` stripped; a ValidationError on `field` if empty or longer than `max_length`."""
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: missing})
    if len(value) > max_length:
        raise ValidationError({field: too_long})
    if not is_storable(value):
        raise ValidationError({field: UNSTORABLE_TEXT})
    return value


def _clean_title(title: str) -> str:
    return _required_text(
        title,
        field="title",
        max_length=TITLE_MAX_LENGTH,
        missing=TITLE_REQUIRED,
        too_long=TITLE_TOO_LONG,
    )


@transaction.atomic
def workshop_create(*, owner: User, title: str) -> Workshop:
    title = _clean_title(title)
    workshop = Workshop.objects.create(tenant_id=owner.tenant_id, owner=owner, title=title)
    # One INSERT for all the steps.
    WorkshopStep.objects.bulk_create(
        WorkshopStep(tenant_id=owner.tenant_id, workshop=workshop, step_definition=definition)
        for definition in StepDefinition.objects.order_by("order")
    )
    return workshop


@transaction.atomic
def workshop_rename(*, workshop: Workshop, user: User, title: str) -> Workshop:
    check_owner(workshop=workshop, user=user)
    title = _clean_title(title)
    Workshop.objects.filter(pk=workshop.pk).update(title=title, updated_at=now_ms())
    workshop.title = title
    return workshop


@transaction.atomic
def workshop_delete(*, workshop: Workshop, user: User) -> None:
    """Delete a workshop with its steps, messages, artifacts and summaries (cascade)."""
    check_owner(workshop=workshop, user=user)
    Workshop.objects.filter(pk=workshop.pk).delete()


@transaction.atomic
def step_mark_done(*, workshop_step: WorkshopStep, user: User) -> WorkshopStep:
    """Done needs a saved artifact: the step's outcome is what later steps build on."""
    check_owner(workshop=workshop_step.workshop, user=user)
    if not StepArtifact.objects.filter(workshop_step=workshop_step).exists():
        raise ValidationError(DONE_NEEDS_ARTIFACT)
    return _set_status(workshop_step, WorkshopStep.Status.DONE)


@transaction.atomic
def step_reopen(*, workshop_step: WorkshopStep, user: User) -> WorkshopStep:
    check_owner(workshop=workshop_step.workshop, user=user)
    return _set_status(workshop_step, WorkshopStep.Status.IN_PROGRESS)


def _set_status(step: WorkshopStep, status: str) -> WorkshopStep:
    WorkshopStep.objects.filter(pk=step.pk).update(status=status, updated_at=now_ms())
    step.status = status
    return step


# --- chat ------------------------------------------------------------------------


@transaction.atomic
def message_post(*, workshop_step: WorkshopStep, user: User, content: str) -> ChatMessage:
    """Store the user's message; the first one moves the step to in progress."""
    check_owner(workshop=workshop_step.workshop, user=user)
    content = _required_text(
        content,
        field="content",
        max_length=MESSAGE_MAX_LENGTH,
        missing=MESSAGE_REQUIRED,
        too_long=MESSAGE_TOO_LONG,
    )
    message = ChatMessage.objects.create(
        tenant_id=workshop_step.tenant_id,
        workshop_step=workshop_step,
        step_id=workshop_step.step_id,
        role=ChatMessage.Role.USER,
        content=content,
    )
    # Conditional, so a step already done stays done.
    if WorkshopStep.objects.filter(
        pk=workshop_step.pk, status=WorkshopStep.Status.NOT_STARTED
    ).update(status=WorkshopStep.Status.IN_PROGRESS, updated_at=now_ms()):
        workshop_step.status = WorkshopStep.Status.IN_PROGRESS
    return message


def awaiting_reply(*, workshop_step: WorkshopStep) -> bool:
    """True when the step's newest message is the user's (its reply failed or is pending)."""
    last = (
        ChatMessage.objects.filter(workshop_step=workshop_step)
        .order_by("-created_at", "-id")
        .values_list("role", flat=True)
        .first()
    )
    return last == ChatMessage.Role.USER


@transaction.atomic
def reply_request(*, workshop_step: WorkshopStep, user: User, assistant: Assistant) -> ChatMessage:
    """Ask the assistant to answer the newest user message, given the built context.

    Raises AssistantError when the provider fails; the user's message is
    already stored by `message_post`, so nothing the user typed is lost and a
    retry calls this again.
    """
    check_owner(workshop=workshop_step.workshop, user=user)
    if not awaiting_reply(workshop_step=workshop_step):
        raise ValidationError(NOTHING_TO_ANSWER)
    context = build_step_context(workshop_step, budget_tokens=REPLY_BUDGET_TOKENS)
    text = assistant.reply(context.messages, context.context_text)
    return ChatMessage.objects.create(
        tenant_id=workshop_step.tenant_id,
        workshop_step=workshop_step,
        step_id=workshop_step.step_id,
        role=ChatMessage.Role.ASSISTANT,
        content=text[:MESSAGE_MAX_LENGTH],
    )


@dataclass(frozen=True)
class ChatOutcome:
    user_message: ChatMessage
    reply: ChatMessage | None
    error: str = ""  # the provider's message when the reply failed


def chat_send(
    *, workshop_step: WorkshopStep, user: User, content: str, assistant: Assistant
) -> ChatOutcome:
    """Store the user's message, then ask for a reply; a failed reply keeps the message."""
    message = message_post(workshop_step=workshop_step, user=user, content=content)
    try:
        reply = reply_request(workshop_step=workshop_step, user=user, assistant=assistant)
    except AssistantError as error:
        return ChatOutcome(message, None, str(error))
    return ChatOutcome(message, reply)


def step_messages(*, workshop_step: WorkshopStep) -> list[Message]:
    return [
        {"role": role, "content": content}  # type: ignore[typeddict-item]
        for role, content in ChatMessage.objects.filter(workshop_step=workshop_step)
        .order_by("created_at", "id")
        .values_list("role", "content")
    ]


# --- versioned saves ---------------------------------------------------------------


def _versioned_save(
    model: type[Model],
    *,
    workshop_step: WorkshopStep,
    expected_version: int,
    value_field: str,
    values: dict[str, Any],
) -> Any:
    """Insert (expected 0) or compare-and-increment update; VersionConflict otherwise."""
    rows = model._default_manager.filter(
        tenant_id=workshop_step.tenant_id, workshop_step=workshop_step
    )
    if expected_version == 0:
        try:
            with transaction.atomic():  # a savepoint: the request goes on after a lost race
                return model._default_manager.create(
                    tenant_id=workshop_step.tenant_id,
                    workshop_step=workshop_step,
                    step_id=workshop_step.step_id,
                    version=1,
                    **values,
                )
        except IntegrityError as error:
            if not violated_constraint(error).endswith("_workshop_step_id_unique"):
                raise
    elif rows.filter(version=expected_version).update(**values, version=F("version") + 1):
        return rows.get()
    current = rows.values_list(value_field, "version").first()
    raise VersionConflict(
        current_value=current[0] if current else None,
        current_version=current[1] if current else 0,
        attempted_value=values[value_field],
    )


@transaction.atomic
def artifact_save(
    *, workshop_step: WorkshopStep, user: User, artifact: Any, expected_version: int
) -> StepArtifact:
    """Validate against the step's schema, then save if nobody saved since `expected_version`."""
    check_owner(workshop=workshop_step.workshop, user=user)
    definition = workshop_step.step_definition
    if not isinstance(artifact, dict):
        raise ValidationError({"artifact": ARTIFACT_NOT_OBJECT})
    errors = artifact_errors(definition.schema, artifact)
    if errors:
        raise ValidationError({"artifact": errors})
    # The form parses JSON, which can spell "\u0000" or a lone "\ud800": JSONB cannot hold them.
    if not is_storable_json(artifact):
        raise ValidationError({"artifact": UNSTORABLE_TEXT})
    return _versioned_save(
        StepArtifact,
        workshop_step=workshop_step,
        expected_version=expected_version,
        value_field="artifact",
        values={
            "artifact": artifact,
            "schema_version": definition.schema_version,
            "extracted_at": now_ms(),
        },
    )


def artifact_propose(
    *, workshop_step: WorkshopStep, user: User, assistant: Assistant
) -> dict[str, Any]:
    """An artifact drafted from the conversation, for the user to review (nothing is saved)."""
    check_owner(workshop=workshop_step.workshop, user=user)
    messages = step_messages(workshop_step=workshop_step)
    if not messages:
        raise ValidationError(NOTHING_TO_EXTRACT)
    return assistant.extract_artifact(messages, workshop_step.step_definition.schema)


@transaction.atomic
def summary_save(
    *, workshop_step: WorkshopStep, user: User, summary: str, expected_version: int
) -> StepSummary:
    check_owner(workshop=workshop_step.workshop, user=user)
    summary = _required_text(
        summary,
        field="summary",
        max_length=SUMMARY_MAX_LENGTH,
        missing=SUMMARY_REQUIRED,
        too_long=SUMMARY_TOO_LONG,
    )
    return _versioned_save(
        StepSummary,
        workshop_step=workshop_step,
        expected_version=expected_version,
        value_field="summary",
        values={
            "summary": summary,
            "token_count": count_tokens(summary),
            "generated_at": now_ms(),
        },
    )


def summary_generate(
    *, workshop_step: WorkshopStep, user: User, expected_version: int, assistant: Assistant
) -> StepSummary:
    """Summarise the step's conversation and save it (versioned, like a manual save).

    AssistantError propagates with nothing written.
    """
    check_owner(workshop=workshop_step.workshop, user=user)
    messages = step_messages(workshop_step=workshop_step)
    if not messages:
        raise ValidationError(NOTHING_TO_SUMMARISE)
    text = assistant.summarize(messages)[:SUMMARY_MAX_LENGTH]
    return summary_save(
        workshop_step=workshop_step, user=user, summary=text, expected_version=expected_version
    )
