"""Every write in workshops, and the rules: ownership, step status, schema
validation and versioned saves of artifacts and summaries.

Versioned saves: a save carries the version the user read; every saved version
is kept (StepVersion) and a stale save is merged against the version it was
based on, or reported as a `VersionConflict` field by field. The mechanics live
in workshops/versioned.py, called from `artifact_save` and `summary_save` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from assistant import Assistant, AssistantError, Message
from assistant.tokens import count_tokens
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
    StepVersion,
    Workshop,
    WorkshopStep,
    now_ms,
)
from workshops.schemas import Problem, artifact_problems
from workshops.versioned import NOTHING_NEW as NOTHING_NEW
from workshops.versioned import VERSION_CONFLICT as VERSION_CONFLICT
from workshops.versioned import VersionConflict as VersionConflict
from workshops.versioned import field_labels, versioned_save

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
REPLY_FAILED = "The assistant's reply failed"


class ArtifactInvalid(ValidationError):
    """The artifact breaks its schema; `problems` say where, for the form's fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__({"artifact": [problem.message for problem in problems]})
        self.problems = problems


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


# --- artifacts and summaries ------------------------------------------------------


def _artifact_values(definition: StepDefinition, artifact: Any) -> dict[str, Any]:
    """The columns of a valid artifact; ArtifactInvalid (a ValidationError) otherwise."""
    if not isinstance(artifact, dict):
        raise ValidationError({"artifact": ARTIFACT_NOT_OBJECT})
    problems = artifact_problems(definition.schema, artifact)
    if problems:
        raise ArtifactInvalid(problems)
    # The form parses JSON, which can spell "\u0000" or a lone "\ud800": JSONB cannot hold them.
    if not is_storable_json(artifact):
        raise ValidationError({"artifact": UNSTORABLE_TEXT})
    return {
        "artifact": artifact,
        "schema_version": definition.schema_version,
        "extracted_at": now_ms(),
    }


@transaction.atomic
def artifact_save(
    *,
    workshop_step: WorkshopStep,
    user: User,
    artifact: Any,
    expected_version: int,
    note: str = "",
) -> StepArtifact:
    """Validate against the step's schema, then save; a stale save is merged (see above)."""
    check_owner(workshop=workshop_step.workshop, user=user)
    definition = workshop_step.step_definition
    return versioned_save(
        StepArtifact,
        kind=StepVersion.Kind.ARTIFACT,
        workshop_step=workshop_step,
        user=user,
        expected_version=expected_version,
        value_field="artifact",
        values=_artifact_values(definition, artifact),
        finish=lambda merged: _artifact_values(definition, merged),
        labels=field_labels(definition.schema),
        note=note,
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


def _summary_values(summary: str) -> dict[str, Any]:
    summary = _required_text(
        summary,
        field="summary",
        max_length=SUMMARY_MAX_LENGTH,
        missing=SUMMARY_REQUIRED,
        too_long=SUMMARY_TOO_LONG,
    )
    return {"summary": summary, "token_count": count_tokens(summary), "generated_at": now_ms()}


@transaction.atomic
def summary_save(
    *, workshop_step: WorkshopStep, user: User, summary: str, expected_version: int, note: str = ""
) -> StepSummary:
    """Save the summary, versioned like the artifact (one text field: a both-sides change
    is a conflict)."""
    check_owner(workshop=workshop_step.workshop, user=user)
    return versioned_save(
        StepSummary,
        kind=StepVersion.Kind.SUMMARY,
        workshop_step=workshop_step,
        user=user,
        expected_version=expected_version,
        value_field="summary",
        values=_summary_values(summary),
        finish=_summary_values,
        labels={"summary": "the summary"},
        note=note,
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


VERSION_NOT_FOUND = "There is no such version."


@transaction.atomic
def version_restore(
    *, workshop_step: WorkshopStep, user: User, kind: str, version: int, expected_version: int
) -> StepArtifact | StepSummary:
    """Save an old version's content as a new version (history is never rewritten).

    `expected_version` is the version the person saw as current: a restore over
    a newer save is merged like any other save. StepVersion.DoesNotExist if
    the step has no such version.
    """
    check_owner(workshop=workshop_step.workshop, user=user)
    old = StepVersion.objects.get(
        tenant_id=workshop_step.tenant_id, workshop_step=workshop_step, kind=kind, version=version
    )
    note = f"Restored version {version}"
    if kind == StepVersion.Kind.SUMMARY:
        return summary_save(
            workshop_step=workshop_step,
            user=user,
            summary=old.content,
            expected_version=expected_version,
            note=note,
        )
    return artifact_save(
        workshop_step=workshop_step,
        user=user,
        artifact=old.content,
        expected_version=expected_version,
        note=note,
    )
