"""Admin for customers, proposals (read-only: decided through the services) and follow-ups.

Tenant admins work inside their tenant (row-level security, and the querysets
say so too). Proposals cannot be added, edited or deleted here: the audit
trail stays as made. The "accept" and "reject" actions call the same
services as the pages, so only the customer's RM can decide, here as anywhere.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from crm_artifacts import selectors, services
from crm_artifacts.fields import PROFILE_FIELDS, clean_profile
from crm_artifacts.models import ApiToken, Customer, FollowUp, ProfileEditStatus, Proposal
from tenancy.admin import TenantAdminMixin
from tenancy.forms import apply_service_errors


class _CustomerAdminForm(forms.ModelForm):
    """The RM plus one form field per registry field; the profile is built from them."""

    class Meta:
        model = Customer
        fields = ["rm"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for spec in PROFILE_FIELDS:
                self.initial.setdefault(spec.key, self.instance.profile.get(spec.key))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        values = {spec.key: data.get(spec.key) for spec in PROFILE_FIELDS}
        try:
            self.profile = clean_profile(values)
        except ValidationError as error:
            apply_service_errors(self, error)
        return data


# Declared (not added in __init__) so the admin's fieldsets may name them.
CustomerAdminForm = type(
    "CustomerAdminForm",
    (_CustomerAdminForm,),
    {spec.key: spec.form_field(required=False) for spec in PROFILE_FIELDS},
)


@admin.register(Customer)
class CustomerAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["name_display", "rm", "email_display", "pending_display", "updated_at"]
    # Only the RMs of the listed customers: the plain filter lists every user of
    # every tenant (users are a global table).
    list_filter = [("rm", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["profile__fullName", "profile__email", "profile__employer"]
    list_select_related = ["rm"]

    readonly_fields = ["history_display"]

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None):
        fieldsets = [
            (None, {"fields": ["rm"]}),
            ("Profile", {"fields": [spec.key for spec in PROFILE_FIELDS]}),
        ]
        if obj is not None:
            fieldsets.append(("History of the profile", {"fields": ["history_display"]}))
        return fieldsets

    @admin.display(description="Changes per field")
    def history_display(self, obj: Customer) -> str:
        # The same timeline as the customer's page, read-only (pghistory's events
        # are written by triggers only).
        return render_to_string(
            "crm_artifacts/partials/history.html", {"history": selectors.profile_history(obj)}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super()
            .get_queryset(request)
            .filter(tenant_id=request.user.tenant_id)
            .annotate(
                pending_count=Count(
                    "artifacts", filter=Q(artifacts__status=ProfileEditStatus.PENDING)
                )
            )
        )

    @admin.display(description="Name", ordering="profile__fullName")
    def name_display(self, obj: Customer) -> str:
        return obj.name

    @admin.display(description="Email")
    def email_display(self, obj: Customer) -> str:
        return obj.profile.get("email", "")

    @admin.display(description="Pending proposals", ordering="pending_count")
    def pending_display(self, obj: Customer) -> int:
        return obj.pending_count

    def save_model(self, request: HttpRequest, obj: Customer, form: Any, change: bool) -> None:
        rm = form.cleaned_data.get("rm")
        if change:
            services.customer_update(customer=obj, rm=rm, profile=form.profile, user=request.user)
        else:
            created = services.customer_create(
                tenant_id=request.user.tenant_id, rm=rm, profile=form.profile, user=request.user
            )
            obj.pk, obj.tenant_id = created.pk, created.tenant_id


def _decide(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset, verb: str) -> None:
    decided, refused = 0, []
    for pk in queryset.order_by("id").values_list("pk", flat=True):
        try:
            services.proposal_decide(user=request.user, proposal_id=pk, decision=verb)
        except (PermissionDenied, services.CrmError, ValidationError) as refusal:
            refused.append(f"#{pk}: {getattr(refusal, 'message', None) or refusal}")
        else:
            decided += 1
    if decided:
        modeladmin.message_user(request, f"{decided} proposal(s) {verb}ed.", messages.SUCCESS)
    for line in refused[:10]:
        modeladmin.message_user(request, f"Not {verb}ed {line}", messages.WARNING)


class RejectionReasonFilter(admin.SimpleListFilter):
    """The reasons given (one query), without the empty "no reason" of every other row."""

    title = "rejection reason"
    parameter_name = "rejection_reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        reasons = (
            model_admin.get_queryset(request)
            .exclude(rejection_reason="")
            .order_by("rejection_reason")
            .values_list("rejection_reason", flat=True)
            .distinct()[:30]
        )
        return [(reason, reason[:60]) for reason in reasons]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> QuerySet[Proposal]:
        value = self.value()
        return queryset.filter(rejection_reason=value) if value else queryset


@admin.register(Proposal)
class ArtifactAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "customer",
        "field_display",
        "change_display",
        "status",
        "artifact_type",
        "batch_link",
        "created_at",
        "decided_by",
    ]
    list_filter = [
        "status",
        RejectionReasonFilter,
        "artifact_type",
        "batch_id",
        "customer",
        "created_by_type",
    ]
    search_fields = ["batch_id", "payload__field_key", "customer__profile__fullName"]
    list_select_related = ["customer", "decided_by"]
    readonly_fields = [
        "customer",
        "rm",
        "batch_id",
        "version",
        "artifact_type",
        "status",
        "created_by_type",
        "created_by_id",
        "payload_display",
        "workflow_trigger",
        "decided_by",
        "decided_at",
        "rejection_reason",
        "reverted_by",
        "reverted_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["accept_selected", "reject_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proposal]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # proposals come from the assistant (or the services), never by hand

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail is kept, rejected proposals included

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's actions need "change"; a proposal itself is never edited here.
        return obj is None and super().has_change_permission(request)

    @admin.display(description="Field")
    def field_display(self, obj: Proposal) -> str:
        return obj.field_label

    @admin.display(description="Previous → proposed")
    def change_display(self, obj: Proposal) -> str:
        return f"{obj.previous_display or '(empty)'} → {obj.proposed_display}"

    @admin.display(description="Batch", ordering="batch_id")
    def batch_link(self, obj: Proposal) -> str:
        return format_html('<a href="?batch_id={}">{}</a>', obj.batch_id, obj.batch_id)

    @admin.display(description="Payload")
    def payload_display(self, obj: Proposal) -> str:
        # A scroll box: focusable (and named) so a keyboard can scroll it.
        return format_html(
            '<pre tabindex="0" aria-label="Payload">{}</pre>',
            json.dumps(obj.payload, indent=2, ensure_ascii=False),
        )

    @admin.action(description="Accept selected pending proposals (as their RM)")
    def accept_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        _decide(self, request, queryset, "accept")

    @admin.action(description="Reject selected pending proposals (as their RM)")
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        _decide(self, request, queryset, "reject")


@admin.register(FollowUp)
class FollowUpAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["title", "customer", "rm", "due_on", "done", "workflow"]
    list_filter = ["done", "workflow", "due_on"]
    search_fields = ["title", "customer__profile__fullName"]
    list_select_related = ["customer", "rm"]
    readonly_fields = ["customer", "rm", "artifact", "workflow", "title", "due_on", "done"]
    fields = readonly_fields
    actions = ["mark_done"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FollowUp]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # recorded by workflows

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.action(description="Mark selected follow-ups done")
    def mark_done(self, request: HttpRequest, queryset: QuerySet[FollowUp]) -> None:
        done = 0
        for follow_up in queryset:
            try:
                services.follow_up_complete(follow_up=follow_up, user=request.user)
            except PermissionDenied as refusal:
                self.message_user(request, f"{follow_up}: {refusal}", messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} follow-up(s) marked done.", messages.SUCCESS)


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The organisation's API tokens: listed, revoked here; created on /crm/api-tokens/.

    "Add" opens that page: a token is shown once, on the page that made it,
    never in a message stored in the session or a cookie.
    """

    list_display = [
        "name",
        "scopes_display",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at", "can_propose", "can_read"]
    search_fields = ["name"]
    list_select_related = ["created_by"]
    readonly_fields = [
        "name",
        "can_propose",
        "can_read",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    fields = readonly_fields
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponseRedirect(reverse("crm:api-tokens"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, not deleted: the list keeps who made it and when it was used

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.display(description="Scopes")
    def scopes_display(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        try:
            for token in queryset:
                services.api_token_revoke(user=request.user, token_id=token.pk)
        except PermissionDenied as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)
