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
from django.db import IntegrityError, transaction

from assistant import Assistant, AssistantError, Message
from assistant.tokens import count_tokens
from tenancy.citus import violated_constraint
from tenancy.context import tenant_context
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
    WorkshopParticipant,
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
FACILITATOR_ONLY = "Only the workshop's facilitator can do this."
PARTICIPANT_NOT_IN_TENANT = "Choose someone of your organisation."
PARTICIPANT_IS_FACILITATOR = "The facilitator takes part already."
PARTICIPANT_ALREADY = "This person takes part already."
PARTICIPANT_NOT_FOUND = "This person does not take part in the workshop."
MESSAGE_REQUIRED = "Write a message first."
MESSAGE_TOO_LONG = f"A message has at most {MESSAGE_MAX_LENGTH} characters."
NOTHING_TO_ANSWER = "There is no message waiting for a reply."
NOTHING_TO_SUMMARISE = "There is no conversation to summarise yet."
NOTHING_TO_EXTRACT = "There is no conversation to extract an artifact from yet."
SUMMARY_REQUIRED = "The summary is empty."
SUMMARY_TOO_LONG = f"A summary has at most {SUMMARY_MAX_LENGTH} characters."
ARTIFACT_NOT_OBJECT = "The artifact must be a JSON object ({…})."
DONE_NEEDS_ARTIFACT = "Save the step's artifact before marking the step done."
REPLY_FAILED = "The assistant did not answer"
ALREADY_ANSWERED = "This message has been answered meanwhile."


class ArtifactInvalid(ValidationError):
    """The artifact breaks its schema; `problems` say where, for the form's fields."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__({"artifact": [problem.message for problem in problems]})
        self.problems = problems


# --- who may do what --------------------------------------------------------------
#
# The one place for the rules (views, admin, demo and tasks all come here): the
# owner is the facilitator; participants read every step, chat, and edit the
# artifact and summary; only the facilitator renames, deletes, marks steps done
# or reopens them and chooses the participants. Anyone else is refused. Each
# write re-checks inside its own transaction, so a removed participant's next
# request fails at once, whatever page they still have open.


def is_facilitator(*, workshop: Workshop, user: User) -> bool:
    return workshop.tenant_id == user.tenant_id and workshop.owner_id == user.pk


def is_member(*, workshop: Workshop, user: User) -> bool:
    """The facilitator or a participant (one indexed query for a participant)."""
    if workshop.tenant_id != user.tenant_id:
        return False
    if workshop.owner_id == user.pk:
        return True
    return WorkshopParticipant.objects.filter(
        tenant_id=workshop.tenant_id, workshop_id=workshop.pk, user_id=user.pk
    ).exists()


def require_member(*, workshop: Workshop, user: User) -> None:
    if not is_member(workshop=workshop, user=user):
        raise PermissionDenied(NOT_YOUR_WORKSHOP)


def require_facilitator(*, workshop: Workshop, user: User) -> None:
    if not is_facilitator(workshop=workshop, user=user):
        # A participant can see the workshop, so saying why reveals nothing.
        raise PermissionDenied(
            FACILITATOR_ONLY if is_member(workshop=workshop, user=user) else NOT_YOUR_WORKSHOP
        )


# --- participants --------------------------------------------------------------------


@transaction.atomic
def participant_add(*, workshop: Workshop, user: User, participant: User) -> WorkshopParticipant:
    """The facilitator lets someone of the workshop's own tenant take part."""
    require_facilitator(workshop=workshop, user=user)
    if participant.tenant_id != workshop.tenant_id or not participant.is_active:
        raise ValidationError({"user": PARTICIPANT_NOT_IN_TENANT})
    if participant.pk == workshop.owner_id:
        raise ValidationError({"user": PARTICIPANT_IS_FACILITATOR})
    try:
        with transaction.atomic():  # a savepoint: a double click loses on the unique constraint
            return WorkshopParticipant.objects.create(
                tenant_id=workshop.tenant_id, workshop=workshop, user=participant, added_by=user
            )
    except IntegrityError as error:
        if violated_constraint(error) != "workshops_participant_once":
            raise
        raise ValidationError({"user": PARTICIPANT_ALREADY}) from error


@transaction.atomic
def participant_remove(*, workshop: Workshop, user: User, participant_id: int) -> None:
    """Takes effect at once: every page and write checks membership per request."""
    require_facilitator(workshop=workshop, user=user)
    removed, _ = WorkshopParticipant.objects.filter(
        tenant_id=workshop.tenant_id, workshop=workshop, user_id=participant_id
    ).delete()
    if not removed:
        raise ValidationError({"user": PARTICIPANT_NOT_FOUND})


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
    require_facilitator(workshop=workshop, user=user)
    title = _clean_title(title)
    Workshop.objects.filter(pk=workshop.pk).update(title=title, updated_at=now_ms())
    workshop.title = title
    return workshop


@transaction.atomic
def workshop_delete(*, workshop: Workshop, user: User) -> None:
    """Delete a workshop with its steps, messages, artifacts and summaries (cascade)."""
    require_facilitator(workshop=workshop, user=user)
    Workshop.objects.filter(pk=workshop.pk).delete()


@transaction.atomic
def step_mark_done(*, workshop_step: WorkshopStep, user: User) -> WorkshopStep:
    """Done needs a saved artifact: the step's outcome is what later steps build on."""
    require_facilitator(workshop=workshop_step.workshop, user=user)
    if not StepArtifact.objects.filter(workshop_step=workshop_step).exists():
        raise ValidationError(DONE_NEEDS_ARTIFACT)
    return _set_status(workshop_step, WorkshopStep.Status.DONE)


@transaction.atomic
def step_reopen(*, workshop_step: WorkshopStep, user: User) -> WorkshopStep:
    require_facilitator(workshop=workshop_step.workshop, user=user)
    return _set_status(workshop_step, WorkshopStep.Status.IN_PROGRESS)


def _set_status(step: WorkshopStep, status: str) -> WorkshopStep:
    WorkshopStep.objects.filter(pk=step.pk).update(status=status, updated_at=now_ms())
    step.status = status
    return step


# --- chat ------------------------------------------------------------------------
#
# No transaction is open while the assistant works (issue 12 section 5): with
# the HTTP provider a slow model would otherwise hold a transaction, and under
# PgBouncer a pooled server connection, for up to ASSISTANT_TIMEOUT_SECONDS.
# So the functions that call the assistant read what it needs in one short
# `tenant_context`, call the provider after it has committed, and store the
# outcome in another. Called from a view marked `@outside_request_transaction`
# (or a command, or a task) no transaction is open during the call; called
# inside one (the tests' transaction), the same code still works.


def _lock_step(workshop_step: WorkshopStep) -> None:
    """Serialise the writes to one step's chat: ids then follow commit order, so a
    poll asking for messages after id n misses none, and two replies to the same
    message cannot both be stored."""
    list(WorkshopStep.objects.select_for_update().filter(pk=workshop_step.pk).values_list("pk"))


def message_post(
    *, workshop_step: WorkshopStep, user: User, content: str, client_token: str = ""
) -> ChatMessage:
    """Store the user's message (committed on return); the first one moves the step to
    in progress. The same `client_token` sent again returns the stored message."""
    with tenant_context(workshop_step.tenant_id):
        require_member(workshop=workshop_step.workshop, user=user)
        content = _required_text(
            content,
            field="content",
            max_length=MESSAGE_MAX_LENGTH,
            missing=MESSAGE_REQUIRED,
            too_long=MESSAGE_TOO_LONG,
        )
        client_token = client_token if is_storable(client_token) else ""
        _lock_step(workshop_step)
        if client_token:
            sent = ChatMessage.objects.filter(
                tenant_id=workshop_step.tenant_id,
                workshop_step=workshop_step,
                client_token=client_token[:64],
            ).first()
            if sent is not None:
                return sent
        message = ChatMessage.objects.create(
            tenant_id=workshop_step.tenant_id,
            workshop_step=workshop_step,
            step_id=workshop_step.step_id,
            role=ChatMessage.Role.USER,
            content=content,
            author=user,
            client_token=client_token[:64],
        )
        # Conditional, so a step already done stays done.
        if WorkshopStep.objects.filter(
            pk=workshop_step.pk, status=WorkshopStep.Status.NOT_STARTED
        ).update(status=WorkshopStep.Status.IN_PROGRESS, updated_at=now_ms()):
            workshop_step.status = WorkshopStep.Status.IN_PROGRESS
        return message


def _waiting_message(workshop_step: WorkshopStep) -> ChatMessage | None:
    """The step's newest message when it is a user's (its reply failed or is pending)."""
    last = (
        ChatMessage.objects.filter(tenant_id=workshop_step.tenant_id, workshop_step=workshop_step)
        .order_by("-created_at", "-id")
        .first()
    )
    return last if last is not None and last.role == ChatMessage.Role.USER else None


def awaiting_reply(*, workshop_step: WorkshopStep) -> bool:
    """True when the step's newest message is the user's (its reply failed or is pending)."""
    with tenant_context(workshop_step.tenant_id):
        return _waiting_message(workshop_step) is not None


def reply_request(*, workshop_step: WorkshopStep, user: User, assistant: Assistant) -> ChatMessage:
    """Ask the assistant to answer the newest user message, given the built context.

    Raises AssistantError when the provider fails: the user's message is
    already stored (`message_post`), so nothing typed is lost and *Retry* calls
    this again. A reply is stored only if nobody's reply to that message was
    stored meanwhile (two tabs retrying at once store one reply).
    """
    with tenant_context(workshop_step.tenant_id):
        require_member(workshop=workshop_step.workshop, user=user)
        waiting = _waiting_message(workshop_step)
        if waiting is None:
            raise ValidationError(NOTHING_TO_ANSWER)
        context = build_step_context(workshop_step, budget_tokens=REPLY_BUDGET_TOKENS)
    text = assistant.reply(context.messages, context.context_text)
    with tenant_context(workshop_step.tenant_id):
        require_member(workshop=workshop_step.workshop, user=user)  # removed meanwhile?
        _lock_step(workshop_step)
        answered = ChatMessage.objects.filter(
            tenant_id=workshop_step.tenant_id,
            workshop_step=workshop_step,
            role=ChatMessage.Role.ASSISTANT,
            id__gt=waiting.pk,
        ).exists()
        if answered:
            raise ValidationError(ALREADY_ANSWERED)
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
    *,
    workshop_step: WorkshopStep,
    user: User,
    content: str,
    assistant: Assistant,
    client_token: str = "",
) -> ChatOutcome:
    """Store the user's message, then ask for a reply; a failed reply keeps the message."""
    message = message_post(
        workshop_step=workshop_step, user=user, content=content, client_token=client_token
    )
    try:
        reply = reply_request(workshop_step=workshop_step, user=user, assistant=assistant)
    except AssistantError as error:
        return ChatOutcome(message, None, str(error))
    except ValidationError:
        # Answered meanwhile: the same send arrived twice, or another tab retried.
        return ChatOutcome(message, None)
    return ChatOutcome(message, reply)


def step_messages(*, workshop_step: WorkshopStep) -> list[Message]:
    return [
        {"role": role, "content": content}  # type: ignore[typeddict-item]
        for role, content in ChatMessage.objects.filter(workshop_step=workshop_step)
        .order_by("created_at", "id")
        .values_list("role", "content")
    ]


# --- artifacts and summaries ------------------------------------------------------


def _artifact_values(definition: StepDefinition, artifact: Any, user: User) -> dict[str, Any]:
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
        "saved_by": user,
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
    require_member(workshop=workshop_step.workshop, user=user)
    definition = workshop_step.step_definition
    return versioned_save(
        StepArtifact,
        kind=StepVersion.Kind.ARTIFACT,
        workshop_step=workshop_step,
        user=user,
        expected_version=expected_version,
        value_field="artifact",
        values=_artifact_values(definition, artifact, user),
        finish=lambda merged: _artifact_values(definition, merged, user),
        labels=field_labels(definition.schema),
        note=note,
    )


def artifact_propose(
    *, workshop_step: WorkshopStep, user: User, assistant: Assistant
) -> dict[str, Any]:
    """An artifact drafted from the conversation, for the user to review (nothing is saved).

    The conversation is read in a short transaction; the provider is asked after it.
    """
    with tenant_context(workshop_step.tenant_id):
        require_member(workshop=workshop_step.workshop, user=user)
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
    require_member(workshop=workshop_step.workshop, user=user)
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

    The conversation is read in one short transaction, the provider asked with
    none open, the summary saved in another. AssistantError propagates with
    nothing written.
    """
    with tenant_context(workshop_step.tenant_id):
        require_member(workshop=workshop_step.workshop, user=user)
        messages = step_messages(workshop_step=workshop_step)
    if not messages:
        raise ValidationError(NOTHING_TO_SUMMARISE)
    text = assistant.summarize(messages)[:SUMMARY_MAX_LENGTH]
    with tenant_context(workshop_step.tenant_id):
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
    require_member(workshop=workshop_step.workshop, user=user)
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
