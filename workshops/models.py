"""Workshops: ordered steps, the chat in each step, and what a step leaves behind.

A workshop moves through the steps defined by `StepDefinition` (reference data
shipped with the code, a global table like Tenant). In each step the owner
chats with the assistant; the outcome is kept as a `StepArtifact` (JSON valid
against the step's schema) and the conversation is condensed into a
`StepSummary`. Both carry a `version` for optimistic locking: every save goes
through `workshops.services`, which increments it in the same UPDATE that
checks it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenancy.keys import TenantForeignKey
from tenancy.models import TenantModel, TenantQuerySet, TimestampedModel

TITLE_MAX_LENGTH = 200
STEP_ID_MAX_LENGTH = 50
MESSAGE_MAX_LENGTH = 8000
SUMMARY_MAX_LENGTH = 8000
DEFAULT_SCHEMA_VERSION = "1.0"


class PgIndex(models.Index):
    """An index whose name may use PostgreSQL's 63 characters (Django checks 30, for Oracle).

    Lets the indexes keep the names the source specification gives them.
    """

    max_name_length = 63


def now_ms() -> datetime:
    """Now, truncated to milliseconds (the source's `timestamp(3)` precision)."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_artifact_id() -> str:
    return f"art_{uuid.uuid4().hex}"


def new_summary_id() -> str:
    return f"sum_{uuid.uuid4().hex}"


class StepDefinition(models.Model):
    """One kind of step (e.g. `challenge`), shared by every tenant.

    Global on purpose: the definitions and their JSON Schemas ship with the
    code (data migration 0002), so no tenant owns them and they carry no
    tenant_id; RLS does not apply (check_rls only audits models with a tenant).
    """

    id = models.SlugField(primary_key=True, max_length=STEP_ID_MAX_LENGTH)
    order = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField()
    schema = models.JSONField(
        help_text="JSON Schema (Draft 2020-12) the step's artifact satisfies."
    )
    schema_version = models.CharField(max_length=20, default=DEFAULT_SCHEMA_VERSION)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class WorkshopQuerySet(TenantQuerySet["Workshop"]):
    def owned_by(self, user) -> WorkshopQuerySet:
        return self.filter(tenant_id=user.tenant_id, owner=user)


class Workshop(TenantModel, TimestampedModel):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workshops"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list page: my workshops, newest first.
            models.Index(
                fields=["tenant", "owner", "-created_at"], name="workshops_tenant_owner_idx"
            )
        ]

    def __str__(self) -> str:
        return self.title


class WorkshopStep(TenantModel, TimestampedModel):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    workshop = TenantForeignKey(Workshop, on_delete=models.CASCADE, related_name="steps")
    step_definition = models.ForeignKey(StepDefinition, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)

    class Meta:
        ordering = ["workshop", "step_definition__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "workshop", "step_definition"],
                name="workshops_step_once_per_workshop",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workshop} · {self.step_definition_id}"

    @property
    def step_id(self) -> str:
        """The semantic id (`challenge`, …) used in URLs and on messages."""
        return self.step_definition_id


class ChatMessage(TenantModel):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"
        SYSTEM = "system", "System"

    workshop_step = TenantForeignKey(
        WorkshopStep, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    # Semantic step id, denormalised as the source does (not a FK).
    step_id = models.CharField(max_length=STEP_ID_MAX_LENGTH)
    role = models.CharField(max_length=20, choices=Role.choices)
    content = models.TextField(max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A step's conversation in order; also serves the cascade from the step.
            PgIndex(
                fields=["workshop_step", "created_at", "id"],
                name="chat_messages_workshop_step_created_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class StepArtifact(TenantModel):
    """The structured outcome of a step (persistent context tier)."""

    id = models.CharField(primary_key=True, max_length=40, default=new_artifact_id, editable=False)
    # One per workshop step (the unique constraint below, which includes the
    # tenant as the house rule requires); a ForeignKey rather than a
    # OneToOneField because the latter adds a unique on the step alone.
    workshop_step = TenantForeignKey(
        WorkshopStep, on_delete=models.CASCADE, related_name="artifacts", db_index=False
    )
    step_id = models.CharField(max_length=STEP_ID_MAX_LENGTH)
    artifact = models.JSONField()
    schema_version = models.CharField(max_length=20, default=DEFAULT_SCHEMA_VERSION)
    extracted_at = models.DateTimeField(default=now_ms)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "workshop_step"], name="step_artifacts_workshop_step_id_unique"
            )
        ]
        indexes = [PgIndex(fields=["workshop_step"], name="step_artifacts_workshop_step_id_idx")]

    def __str__(self) -> str:
        return f"{self.step_id} artifact v{self.version}"


class StepSummary(TenantModel):
    """A step's conversation condensed (long-term context tier)."""

    id = models.CharField(primary_key=True, max_length=40, default=new_summary_id, editable=False)
    workshop_step = TenantForeignKey(
        WorkshopStep, on_delete=models.CASCADE, related_name="summaries", db_index=False
    )
    step_id = models.CharField(max_length=STEP_ID_MAX_LENGTH)
    summary = models.TextField(max_length=SUMMARY_MAX_LENGTH)
    token_count = models.PositiveIntegerField(null=True, blank=True)
    generated_at = models.DateTimeField(default=now_ms)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name_plural = "step summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "workshop_step"], name="step_summaries_workshop_step_id_unique"
            )
        ]
        indexes = [PgIndex(fields=["workshop_step"], name="step_summaries_workshop_step_id_idx")]

    def __str__(self) -> str:
        return f"{self.step_id} summary v{self.version}"


class StepVersion(TenantModel):
    """One saved version of a step's artifact or summary, kept for good.

    Written by the same service call that saves the artifact or summary (so
    every path, form, JSON editor, admin, restore, records it), never updated
    or deleted: a restore saves a new version. A stale save is merged against
    the version it was based on, which is read from here.
    """

    class Kind(models.TextChoices):
        ARTIFACT = "artifact", "Artifact"
        SUMMARY = "summary", "Summary"

    workshop_step = TenantForeignKey(
        WorkshopStep, on_delete=models.CASCADE, related_name="versions", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField()
    # The artifact (a JSON object) or the summary (a JSON string).
    content = models.JSONField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    saved_at = models.DateTimeField(default=now_ms)
    # How it came to be: "Restored version 3", "Merged with Bob's change to evidence".
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["workshop_step", "kind", "-version"]
        constraints = [
            # Also the index of the history list (a step's versions of one kind, newest first).
            models.UniqueConstraint(
                fields=["tenant", "workshop_step", "kind", "version"],
                name="workshops_step_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"
