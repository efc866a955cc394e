"""Skill messages: a member proposes that a skill be grouped under a parent skill.

The recipient is the subject skill's author, who accepts (the skill moves under
the proposed parent) or declines. Every rule lives in messaging/services.py.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from skills.models import Skill
from tenancy.keys import TenantForeignKey
from tenancy.models import TenantModel, TenantQuerySet

MESSAGE_MAX_LENGTH = 2000


class SkillMessageQuerySet(TenantQuerySet["SkillMessage"]):
    def received_by(self, user) -> SkillMessageQuerySet:
        return self.filter(tenant_id=user.tenant_id, to_user=user)

    def sent_by(self, user) -> SkillMessageQuerySet:
        return self.filter(tenant_id=user.tenant_id, from_user=user)

    def unread(self) -> SkillMessageQuerySet:
        return self.filter(read_at__isnull=True)

    def pending(self) -> SkillMessageQuerySet:
        return self.filter(status=SkillMessage.Status.PENDING)

    def answered(self) -> SkillMessageQuerySet:
        return self.filter(status__in=SkillMessage.ANSWERED)

    def outcome_unseen(self) -> SkillMessageQuerySet:
        """Answers the proposer has not seen yet (their notifications)."""
        return self.filter(proposer_unread=True)


class SkillMessage(TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # What the author decided (withdrawn is the proposer's own doing).
    ANSWERED = (Status.ACCEPTED, Status.DECLINED)

    # Users are PROTECTed, as in the source (a plain reference): a person with
    # messages is deactivated rather than deleted.
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_skill_messages"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="received_skill_messages"
    )
    subject_skill = TenantForeignKey(
        Skill, on_delete=models.CASCADE, related_name="grouping_messages"
    )
    # Deleting the proposed parent keeps the message (history) but it can no
    # longer be accepted: services refuse with PARENT_GONE.
    proposed_parent_skill = TenantForeignKey(
        Skill,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_child_messages",
    )
    message = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the author answers, cleared when the proposer has seen the
    # outcome: the proposer's notification. A flag rather than a timestamp so
    # answers given before it existed do not all turn up as news at once.
    # A database default too: rows written in SQL (loadtest/sql.py) need none.
    proposer_unread = models.BooleanField(default=False, db_default=False)

    objects = SkillMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "declined", "withdrawn"]),
                name="messaging_skillmessage_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(subject_skill=models.F("proposed_parent_skill")),
                name="messaging_skillmessage_parent_not_subject",
            ),
            # At most one open proposal per (subject, parent): makes the
            # duplicate rule hold under concurrent sends. Includes the tenant,
            # as every unique constraint on a tenant table must.
            models.UniqueConstraint(
                fields=["tenant", "subject_skill", "proposed_parent_skill"],
                condition=models.Q(status="pending"),
                name="messaging_skillmessage_one_pending_per_pair",
            ),
        ]
        # The source's three indexes (to_user, tenant_id, from_user), shaped
        # for the queries we run: inbox and sent box newest first, and the
        # unread badge's COUNT (a partial index holding unread rows only).
        indexes = [
            models.Index(
                fields=["tenant", "to_user", "-created_at", "-id"], name="messaging_inbox_idx"
            ),
            models.Index(
                fields=["tenant", "from_user", "-created_at", "-id"], name="messaging_sent_idx"
            ),
            models.Index(
                fields=["tenant", "to_user"],
                condition=models.Q(read_at__isnull=True),
                name="messaging_unread_idx",
            ),
            models.Index(
                fields=["tenant", "from_user"],
                condition=models.Q(proposer_unread=True),
                name="messaging_outcome_unseen_idx",
            ),
        ]

    def __str__(self) -> str:
        parent = self.proposed_parent_skill.name if self.proposed_parent_skill else "(deleted)"
        return f"Group “{self.subject_skill.name}” under “{parent}”"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_unread(self) -> bool:
        return self.read_at is None
