"""Customers, the proposals the assistant makes about their profiles (artifacts),
and the follow-up tasks that accepted proposals start.

An artifact is the record of a pending action, never the source of truth: the
customer's `profile` is. Type and status are text (new artifact types need no
migration, as the source decided); the services validate them, and a check
constraint holds the profile-edit lifecycle in the database too.
"""

from __future__ import annotations

from typing import Any

import pghistory
import pghistory.models
from django.conf import settings
from django.db import models
from django.db.models import Func
from django.db.models.fields.json import KT
from django.db.models.lookups import Exact

from crm_artifacts.fields import FIELDS_BY_KEY
from tenancy.keys import TenantForeignKey
from tenancy.models import TenantManager, TenantModel, TenantQuerySet, TimestampedModel

BATCH_ID_MAX_LENGTH = 64


class ArtifactType:
    PROFILE_EDIT = "profile_edit"
    ALL = (PROFILE_EDIT,)


class CreatorType:
    AGENT = "agent"
    ADMIN = "admin"
    SYSTEM = "system"
    ALL = (AGENT, ADMIN, SYSTEM)


class ProfileEditStatus:
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EDITED = "edited"  # accepted with the RM's own value (terminal)
    ALL = (PENDING, ACCEPTED, REJECTED, EDITED)
    DECISIONS = (ACCEPTED, REJECTED, EDITED)


class Confidence:
    ALL = ("high", "medium", "low")


class CustomerQuerySet(TenantQuerySet["Customer"]):
    def of_rm(self, user) -> CustomerQuerySet:
        return self.filter(tenant_id=user.tenant_id, rm=user)


class Customer(TenantModel, TimestampedModel):
    """A customer of the tenant, looked after by one relationship manager."""

    # A leaving RM must not take customers (or their audit trail) with them;
    # their customers wait, unassigned, for a tenant admin to reassign them.
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_customers",
        verbose_name="relationship manager",
    )
    # Keyed by crm_artifacts.fields keys, values normalised by the registry.
    profile = models.JSONField(default=dict, blank=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # The RM's customer list, ordered by name.
            models.Index(
                models.F("tenant"), models.F("rm"), KT("profile__fullName"), name="crm_cust_rm_idx"
            ),
        ]
        constraints = [
            # Always an object keyed by field (never a JSON null, list or string).
            models.CheckConstraint(
                condition=Exact(
                    Func("profile", function="jsonb_typeof", output_field=models.CharField()),
                    "object",
                ),
                name="crm_customer_profile_is_object",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.profile.get("fullName") or f"Customer #{self.pk}"

    def profile_rows(self) -> list[dict[str, Any]]:
        """Every registry field with its value, for display."""
        return [
            {"field": field, "value": value, "display": field.display(value)}
            for field, value in ((f, self.profile.get(k)) for k, f in FIELDS_BY_KEY.items())
        ]


class ProposalQuerySet(TenantQuerySet["Proposal"]):
    def pending(self) -> ProposalQuerySet:
        return self.filter(status=ProfileEditStatus.PENDING)

    def for_rm(self, user) -> ProposalQuerySet:
        """Artifacts of the customers `user` is the relationship manager of."""
        return self.filter(tenant_id=user.tenant_id, customer__rm=user)


class Proposal(TenantModel):
    """One proposed action (today: one profile field's new value), kept forever.

    Called an "artifact" by the specification (its URLs, API keys and
    `artifact_type` keep that word); in the code it is a proposal, the word
    the screens use, so "artifact" means a portfolio `WorkArtifact` or a
    workshop `StepArtifact` only.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    # SET_NULL on both, as the source decided: the audit trail outlives them.
    customer = TenantForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="artifacts"
    )
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The customer's relationship manager when the proposal was made.",
    )
    batch_id = models.CharField(max_length=BATCH_ID_MAX_LENGTH)
    version = models.PositiveIntegerField(default=1)
    artifact_type = models.CharField(max_length=50)
    status = models.CharField(max_length=30)
    created_by_type = models.CharField(max_length=30)
    created_by_id = models.CharField(max_length=100, null=True, blank=True)
    payload = models.JSONField()
    workflow_trigger = models.CharField(max_length=100, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Optional, on a rejection: a preset reason or the RM's own words.
    # db_default too: rows inserted in SQL (the load generator) get "" as well.
    rejection_reason = models.CharField(max_length=500, blank=True, default="", db_default="")
    # An applied proposal taken back: the profile got its previous value again
    # (a new change in the profile's history), the decision stays on record.
    reverted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reverted_at = models.DateTimeField(null=True, blank=True)
    # The reviewer's answer to the agent that proposed it (issue 18), read back by the API.
    response_note = models.CharField(max_length=1000, blank=True, default="", db_default="")
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # Set by the decision service (services/decisions.py) for the insights page:
    # the customer's profile no longer held the value the proposal saw when it was
    # decided (stale_values), whether the RM then accepted it anyway or rejected it.
    # db_default: rows inserted in SQL (the load generator) read as not stale.
    stale_at_decision = models.BooleanField(default=False, db_default=False)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        # The table kept its first name when the model was renamed: no data moves.
        db_table = "crm_artifacts_artifact"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The source's four indexes, led by the tenant every query filters on.
            models.Index(fields=["tenant", "customer", "created_at"], name="crm_art_customer_idx"),
            models.Index(fields=["tenant", "batch_id"], name="crm_art_batch_idx"),
            models.Index(fields=["tenant", "status"], name="crm_art_status_idx"),
            models.Index(
                fields=["tenant", "customer", "status", "created_at"],
                name="crm_art_customer_status_idx",
            ),
            # The insights page's aggregates: the tenant's decisions in a period.
            models.Index(fields=["tenant", "decided_at"], name="crm_art_decided_idx"),
        ]
        constraints = [
            # Text, not an enum, but a profile edit only ever holds one of its
            # four statuses; other artifact types define their own.
            models.CheckConstraint(
                condition=~models.Q(artifact_type=ArtifactType.PROFILE_EDIT)
                | models.Q(status__in=ProfileEditStatus.ALL),
                name="crm_artifact_profile_edit_status",
            ),
            # The audit trail: a decision always says when; a pending one never does.
            models.CheckConstraint(
                condition=~models.Q(artifact_type=ArtifactType.PROFILE_EDIT)
                | models.Q(status=ProfileEditStatus.PENDING, decided_at__isnull=True)
                | (
                    ~models.Q(status=ProfileEditStatus.PENDING) & models.Q(decided_at__isnull=False)
                ),
                name="crm_artifact_decided_at_matches_status",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="crm_artifact_version"),
        ]

    def __str__(self) -> str:
        return f"{self.field_label} → {self.proposed_display} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == ProfileEditStatus.PENDING

    @property
    def field(self):
        return FIELDS_BY_KEY.get(self.payload.get("field_key"))

    @property
    def field_label(self) -> str:
        return self.payload.get("field_display_name") or self.payload.get("field_key", "")

    def display_value(self, value: Any) -> str:
        field = self.field
        if value is None:
            return ""
        return field.display(value) if field else str(value)

    @property
    def proposed_display(self) -> str:
        return self.display_value(self.payload.get("proposed_value"))

    @property
    def previous_display(self) -> str:
        return self.display_value(self.payload.get("previous_value"))

    @property
    def edited_display(self) -> str:
        return self.display_value(self.payload.get("edited_value"))

    @property
    def is_reverted(self) -> bool:
        return self.reverted_at is not None

    @property
    def applied_value(self) -> Any:
        """The value a decision wrote to the profile (None when rejected or pending)."""
        if self.status == ProfileEditStatus.EDITED:
            return self.payload.get("edited_value")
        if self.status == ProfileEditStatus.ACCEPTED:
            return self.payload.get("proposed_value")
        return None


class FollowUp(TenantModel):
    """A task for the RM, recorded by a workflow when a proposal is accepted."""

    created_at = models.DateTimeField(auto_now_add=True)
    customer = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="follow_ups")
    rm = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crm_follow_ups",
    )
    artifact = TenantForeignKey(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups"
    )
    workflow = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    due_on = models.DateField()
    done = models.BooleanField(default=False)
    # Closed without doing it ("Dismiss"); open means neither done nor dismissed.
    # A database default too: the load generator inserts follow-ups with raw SQL.
    dismissed = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "due_on"], name="crm_followup_customer_idx"),
            models.Index(fields=["tenant", "rm", "done"], name="crm_followup_rm_idx"),
        ]
        constraints = [
            # A task runs at least once: a retry must not record the same follow-up twice.
            models.UniqueConstraint(
                fields=["tenant", "artifact", "workflow"], name="crm_followup_once_per_artifact"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return not (self.done or self.dismissed)


class TenantEvent(pghistory.models.Event, TenantModel):
    """A pghistory event row that is a tenant row like any other (tenant_id, RLS)."""

    # bigint, not pghistory's int: on Citus the trigger runs on a worker, and
    # Citus lets a worker draw from a sequence only for a bigint column.
    pgh_id = models.BigAutoField(primary_key=True)
    objects = TenantManager()

    class Meta:
        abstract = True


class CustomerProfileEvent(
    pghistory.create_event_model(
        Customer,
        # Row-level triggers (pghistory's default level), AFTER the write: every
        # path is captured (services, admin, API, raw SQL), and the event commits
        # or rolls back with the change. The snapshot is the whole profile;
        # selectors.profile_history diffs consecutive snapshots per field.
        pghistory.InsertEvent("profile.insert"),
        pghistory.UpdateEvent("profile.update", condition=pghistory.AnyChange("profile")),
        fields=["profile"],  # `tenant` comes from TenantEvent, copied by the trigger too
        base_model=TenantEvent,
        # The context (who, from which URL, which proposal) in the event row itself.
        context_field=pghistory.ContextJSONField(),
        model_name="CustomerProfileEvent",
    )
):
    """One change of a customer's profile, as the database saw it."""

    # A reference between two tenant tables carries the tenant (tenancy/keys.py).
    # Deleting a customer deletes its history: it is the customer's personal data.
    pgh_obj = TenantForeignKey(Customer, on_delete=models.CASCADE, related_name="profile_events")

    class Meta:
        indexes = [
            # The customer's timeline, in order.
            models.Index(fields=["tenant", "pgh_obj", "pgh_id"], name="crm_profile_event_idx"),
        ]


class ApiTokenScope:
    PROPOSE = "propose"  # POST proposals
    READ = "read"  # GET proposals, their decisions and responses
    ALL = (PROPOSE, READ)


class ApiToken(TenantModel):
    """A tenant's key for an external agent: `<tenant id>.<id>.<secret>`, shown once.

    Only the secret's sha256 is stored (tenancy/tokens.py, like invitations and
    share links). Revoked tokens stay listed (who made it, when it was last used).
    """

    created_at = models.DateTimeField(auto_now_add=True)
    name = models.CharField(max_length=100)
    can_propose = models.BooleanField(default=False)
    can_read = models.BooleanField(default=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Written at most once a minute (crm_artifacts/services/api_tokens.py).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The tenant admin's token list, newest first.
            models.Index(fields=["tenant", "created_at"], name="crm_apitoken_list_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(can_propose=True) | models.Q(can_read=True),
                name="crm_apitoken_has_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scopes(self) -> list[str]:
        return [
            scope
            for scope, allowed in (
                (ApiTokenScope.PROPOSE, self.can_propose),
                (ApiTokenScope.READ, self.can_read),
            )
            if allowed
        ]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
