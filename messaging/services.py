"""Every write and rule of skill messages: propose a grouping, read, accept, decline.

The tree rules (same tenant, not itself, no cycle) are the skills catalogue's:
sending checks them with `skills.services.validate_parent`, and accepting moves
the skill through `skills.services.skill_set_parent`, which locks the skill and
checks them again at that moment.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from config.errors import AlreadyDecided
from messaging.models import MESSAGE_MAX_LENGTH, SkillMessage
from messaging.selectors import messages_for_user, sent_messages_for_user, unread_count
from skills import services as skill_services
from skills.models import Skill
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

# The reads the issue lists beside the writes live in selectors.py.
__all__ = [
    "accept",
    "decline",
    "mark_outcome_seen",
    "mark_read",
    "messages_for_user",
    "send_skill_message",
    "sent_messages_for_user",
    "unread_count",
    "withdraw",
]

SKILL_NOT_FOUND = "That skill does not exist."
OWN_SKILL = "This is your own skill: edit it to change its grouping."
PARENT_REQUIRED = "Pick the parent skill to propose."
PARENT_NOT_FOUND = skill_services.PARENT_OTHER_TENANT
PARENT_IS_SUBJECT = skill_services.PARENT_IS_SELF
PARENT_MAKES_CYCLE = skill_services.PARENT_MAKES_CYCLE
ALREADY_GROUPED = "The skill is already grouped under that parent."
MESSAGE_REQUIRED = "Write a message to go with the proposal."
MESSAGE_TOO_LONG = f"A message has at most {MESSAGE_MAX_LENGTH:,} characters."
DUPLICATE_PENDING = (
    "A proposal to group this skill under that parent is already waiting for an answer."
)
ONLY_RECIPIENT = "Only the skill's author, who received this message, can do that."
ONLY_PROPOSER = "Only the member who sent this proposal can do that."
ALREADY_ANSWERED = "This proposal was already {status}; nothing changed."
PARENT_GONE = (
    "The proposed parent skill has been deleted, so this proposal cannot be accepted. "
    "Decline it instead."
)

UNIQUE_PENDING = "messaging_skillmessage_one_pending_per_pair"


class AlreadyAnswered(ValidationError, AlreadyDecided):
    """A proposal answered or withdrawn first: the project's AlreadyDecided (409),
    still a ValidationError for the forms and rows that show it in place."""


def _tree_error(error: ValidationError) -> ValidationError:
    """A skills rule refusal, reported against the proposal's parent field."""
    return ValidationError({"proposed_parent_skill": error.message_dict["parent"]})


@transaction.atomic
def send_skill_message(
    *, sender: User, subject_skill: Skill, proposed_parent_skill: Skill | None, message: str
) -> SkillMessage:
    """Propose to the subject skill's author that it be grouped under a parent."""
    if subject_skill.tenant_id != sender.tenant_id:
        raise ValidationError({NON_FIELD_ERRORS: SKILL_NOT_FOUND})
    if subject_skill.author_id == sender.pk:
        raise ValidationError({NON_FIELD_ERRORS: OWN_SKILL})

    errors: dict[str, str] = {}
    parent = proposed_parent_skill
    if parent is None:
        errors["proposed_parent_skill"] = PARENT_REQUIRED
    elif parent.tenant_id != sender.tenant_id:
        # Checked before anything else touches the parent, and worded as if
        # it did not exist: another tenant's ids reveal nothing.
        errors["proposed_parent_skill"] = PARENT_NOT_FOUND
    elif parent.pk == subject_skill.parent_id:
        errors["proposed_parent_skill"] = ALREADY_GROUPED
    else:
        try:
            skill_services.validate_parent(skill=subject_skill, parent=parent)
        except ValidationError as error:
            errors.update(_tree_error(error).message_dict)
    text = (message or "").strip()
    if not text:
        errors["message"] = MESSAGE_REQUIRED
    elif len(text) > MESSAGE_MAX_LENGTH:
        errors["message"] = MESSAGE_TOO_LONG
    elif not is_storable(text):
        errors["message"] = UNSTORABLE_TEXT
    if errors:
        raise ValidationError(errors)

    pending = SkillMessage.objects.filter(
        tenant_id=sender.tenant_id, subject_skill=subject_skill, proposed_parent_skill=parent
    ).pending()
    if pending.exists():
        raise ValidationError({NON_FIELD_ERRORS: DUPLICATE_PENDING})
    try:
        # A savepoint: a concurrent send of the same pair loses the race on
        # the partial unique index and gets the same clear refusal.
        with transaction.atomic():
            return SkillMessage.objects.create(
                tenant_id=sender.tenant_id,
                from_user=sender,
                to_user_id=subject_skill.author_id,
                subject_skill=subject_skill,
                proposed_parent_skill=parent,
                message=text,
            )
    except IntegrityError as error:
        if UNIQUE_PENDING not in str(error):
            raise
        raise ValidationError({NON_FIELD_ERRORS: DUPLICATE_PENDING}) from error


def _check_recipient(*, message: SkillMessage, user: User) -> None:
    if message.to_user_id != user.pk or message.tenant_id != user.tenant_id:
        raise PermissionDenied(ONLY_RECIPIENT)


@transaction.atomic
def mark_read(*, message: SkillMessage, user: User) -> SkillMessage:
    """Mark the message read (idempotent: the first read time is kept)."""
    _check_recipient(message=message, user=user)
    SkillMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=Now())
    message.refresh_from_db(fields=["read_at"])
    return message


def _lock_pending(*, message: SkillMessage, user: User) -> SkillMessage:
    """The message row, locked, after checking who answers and that it is still open."""
    _check_recipient(message=message, user=user)
    locked = SkillMessage.objects.select_for_update().get(pk=message.pk)
    if not locked.is_pending:
        raise AlreadyAnswered(ALREADY_ANSWERED.format(status=locked.get_status_display().lower()))
    return locked


def _answer(*, message: SkillMessage, status: str) -> SkillMessage:
    """Move a pending message to `status`; answering also marks it read."""
    # Conditional on the status: even without the row lock, only one
    # answer can ever leave "pending".
    # The time as a value, not the database's now(): Citus refuses a function
    # that is not IMMUTABLE inside COALESCE in an UPDATE of a distributed table.
    changed = SkillMessage.objects.filter(pk=message.pk, status=SkillMessage.Status.PENDING).update(
        status=status,
        read_at=Coalesce("read_at", Value(timezone.now())),
        # The proposer is told the outcome (their badge counts it until seen).
        proposer_unread=True,
    )
    if changed != 1:
        raise AlreadyAnswered(ALREADY_ANSWERED.format(status="answered"))
    message.refresh_from_db(fields=["status", "read_at", "proposer_unread"])
    return message


@transaction.atomic
def accept(*, message: SkillMessage, user: User) -> SkillMessage:
    """Accept: the subject skill moves under the proposed parent, in this transaction."""
    locked = _lock_pending(message=message, user=user)
    parent = (
        Skill.objects.filter(pk=locked.proposed_parent_skill_id).first()
        if locked.proposed_parent_skill_id
        else None
    )
    if parent is None:
        raise ValidationError(PARENT_GONE)
    subject = Skill.objects.get(pk=locked.subject_skill_id)
    # skill_set_parent locks the skill row and re-checks the cycle rule now:
    # the tree may have changed since the proposal was sent.
    skill_services.skill_set_parent(skill=subject, parent=parent)
    answered = _answer(message=locked, status=SkillMessage.Status.ACCEPTED)
    message.status, message.read_at = answered.status, answered.read_at
    message.proposer_unread = answered.proposer_unread
    return message


@transaction.atomic
def decline(*, message: SkillMessage, user: User) -> SkillMessage:
    """Decline: nothing moves in the tree."""
    locked = _lock_pending(message=message, user=user)
    answered = _answer(message=locked, status=SkillMessage.Status.DECLINED)
    message.status, message.read_at = answered.status, answered.read_at
    message.proposer_unread = answered.proposer_unread
    return message


def _check_proposer(*, message: SkillMessage, user: User) -> None:
    if message.from_user_id != user.pk or message.tenant_id != user.tenant_id:
        raise PermissionDenied(ONLY_PROPOSER)


@transaction.atomic
def withdraw(*, message: SkillMessage, user: User) -> SkillMessage:
    """The proposer takes back a proposal still waiting for an answer.

    Conditional on "pending" in one UPDATE, like an answer: a withdrawal
    racing an accept leaves exactly one of them done, and the loser is told.
    """
    _check_proposer(message=message, user=user)
    changed = SkillMessage.objects.filter(
        pk=message.pk, tenant_id=user.tenant_id, status=SkillMessage.Status.PENDING
    ).update(status=SkillMessage.Status.WITHDRAWN)
    message.refresh_from_db(fields=["status"])
    if changed != 1:
        raise AlreadyAnswered(ALREADY_ANSWERED.format(status=message.get_status_display().lower()))
    return message


@transaction.atomic
def mark_outcome_seen(*, message: SkillMessage, user: User) -> SkillMessage:
    """The proposer has seen the author's answer: it leaves their notifications."""
    _check_proposer(message=message, user=user)
    SkillMessage.objects.filter(pk=message.pk, proposer_unread=True).update(proposer_unread=False)
    message.proposer_unread = False
    return message
