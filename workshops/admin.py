"""Admin for workshops. Tenant admins work inside their tenant (RLS and the
querysets below); every write goes through workshops.services.

Artifacts and summaries are edited only through the versioned save: the form
carries the version it showed, and a save after someone else's is refused
with their value instead of overwriting it. Steps, messages and the step
definitions (shipped with the code) are read-only here.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from tenancy.admin import TenantAdminMixin
from workshops import services
from workshops.forms import ARTIFACT_INVALID_JSON, VersionField, artifact_text
from workshops.models import (
    ChatMessage,
    StepArtifact,
    StepDefinition,
    StepSummary,
    StepVersion,
    Workshop,
    WorkshopStep,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenantScoped(TenantAdminMixin):
    """Filter by the admin's tenant too (RLS is the fence; this says what we mean)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)  # type: ignore[misc]


@admin.register(StepDefinition)
class StepDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["order", "id", "name", "schema_version"]
    readonly_fields = ["id", "order", "name", "description", "schema_version", "schema_json"]
    fields = readonly_fields

    @admin.display(description="JSON Schema")
    def schema_json(self, obj: StepDefinition) -> str:
        return json.dumps(obj.schema, indent=2)


class WorkshopAdminForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = ["title", "owner"]


@admin.register(Workshop)
class WorkshopAdmin(TenantScoped, admin.ModelAdmin):
    form = WorkshopAdminForm
    list_display = ["title", "owner", "created_at"]
    list_select_related = ["owner"]
    search_fields = ["title", "owner__email"]
    list_filter = ["created_at"]
    raw_id_fields = ["owner"]

    def get_readonly_fields(self, request: HttpRequest, obj: Workshop | None = None) -> list[str]:
        return ["owner"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Workshop, form: Any, change: bool) -> None:
        data = form.cleaned_data
        # A tenant admin acts on the owner's behalf.
        if change:
            services.workshop_rename(workshop=obj, user=obj.owner, title=data["title"])
        else:
            obj.pk = services.workshop_create(owner=data["owner"], title=data["title"]).pk

    def delete_model(self, request: HttpRequest, obj: Workshop) -> None:
        services.workshop_delete(workshop=obj, user=obj.owner)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Workshop]) -> None:
        for workshop in queryset.select_related("owner"):
            services.workshop_delete(workshop=workshop, user=workshop.owner)


@admin.register(WorkshopStep)
class WorkshopStepAdmin(TenantScoped, TenantAdminMixin, ReadOnlyAdmin):
    list_display = ["workshop", "step_definition", "status", "updated_at"]
    list_select_related = ["workshop", "step_definition"]
    list_filter = ["status", "step_definition"]
    search_fields = ["workshop__title"]


@admin.register(ChatMessage)
class ChatMessageAdmin(TenantScoped, TenantAdminMixin, ReadOnlyAdmin):
    list_display = ["workshop_step", "role", "short_content", "created_at"]
    list_select_related = ["workshop_step__workshop", "workshop_step__step_definition"]
    list_filter = ["role", "step_id"]
    search_fields = ["content"]

    @admin.display(description="Content")
    def short_content(self, obj: ChatMessage) -> str:
        return obj.content[:80]


class VersionedForm(forms.ModelForm):
    """Saves through the versioned service when it validates, so a conflict or a
    schema error is a form error rather than a 500 or a silent overwrite.

    The save happens in `clean()` because the admin calls `save_model` only
    after validation, too late to report an error; the admin's change view is
    atomic, so nothing stays written if a later step fails.
    """

    value_field = ""  # the form field with the new value
    expected_version = VersionField(label="Version read")

    class Meta:
        fields = ["workshop_step"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: Any = None
        # Not `instance.pk`: the prefixed ids have a default, so new rows have one too.
        self.adding = self.instance._state.adding
        if not self.adding:
            self.fields["workshop_step"].disabled = True
            self.initial.setdefault("expected_version", self.instance.version)
            self.initial.setdefault(self.value_field, self.shown(self.instance))
        else:
            self.initial.setdefault("expected_version", 0)

    def shown(self, obj: Any) -> str:
        raise NotImplementedError

    def value(self) -> Any:
        return self.cleaned_data[self.value_field]

    def save_with(self, step: WorkshopStep, value: Any, version: int) -> Any:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        step = data["workshop_step"] if self.adding else self.instance.workshop_step
        step = WorkshopStep.objects.select_related("workshop__owner", "step_definition").get(
            pk=step.pk
        )
        try:
            self.saved = self.save_with(step, self.value(), data["expected_version"])
        except ValidationError as error:
            for message in error.messages:
                self.add_error(self.value_field, message)
        except services.VersionConflict as conflict:
            theirs = conflict.current_value
            shown = artifact_text(theirs) if isinstance(theirs, dict) else theirs
            self.add_error(
                None,
                f"{conflict} Saved now (version {conflict.current_version}): {shown}. "
                "Reload the page to start from it.",
            )
        return data


class StepArtifactAdminForm(VersionedForm):
    value_field = "artifact_json"
    artifact_json = forms.CharField(
        label="Artifact (JSON)", strip=False, widget=forms.Textarea(attrs={"rows": 16})
    )

    class Meta(VersionedForm.Meta):
        model = StepArtifact

    def shown(self, obj: StepArtifact) -> str:
        return artifact_text(obj.artifact)

    def clean_artifact_json(self) -> Any:
        try:
            return json.loads(self.cleaned_data["artifact_json"])
        except json.JSONDecodeError as error:
            raise ValidationError(
                ARTIFACT_INVALID_JSON.format(
                    problem=error.msg, line=error.lineno, column=error.colno
                )
            ) from error

    def save_with(self, step: WorkshopStep, value: Any, version: int) -> StepArtifact:
        return services.artifact_save(
            workshop_step=step, user=step.workshop.owner, artifact=value, expected_version=version
        )


class StepSummaryAdminForm(VersionedForm):
    value_field = "summary_text"
    summary_text = forms.CharField(label="Summary", widget=forms.Textarea(attrs={"rows": 8}))

    class Meta(VersionedForm.Meta):
        model = StepSummary

    def shown(self, obj: StepSummary) -> str:
        return obj.summary

    def save_with(self, step: WorkshopStep, value: Any, version: int) -> StepSummary:
        return services.summary_save(
            workshop_step=step, user=step.workshop.owner, summary=value, expected_version=version
        )


class VersionedAdmin(TenantScoped, admin.ModelAdmin):
    list_select_related = ["workshop_step__workshop", "workshop_step__step_definition"]
    list_filter = ["step_id"]
    search_fields = ["workshop_step__workshop__title"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        if db_field.name == "workshop_step":
            kwargs["queryset"] = WorkshopStep.objects.filter(
                tenant_id=request.user.tenant_id
            ).select_related("workshop", "step_definition")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: VersionedForm, change: bool) -> None:
        # Already saved by the versioned service in form.clean(); never obj.save().
        obj.pk = form.saved.pk
        obj.tenant_id = form.saved.tenant_id


@admin.register(StepArtifact)
class StepArtifactAdmin(VersionedAdmin):
    form = StepArtifactAdminForm
    list_display = ["id", "workshop_step", "version", "schema_version", "extracted_at"]
    readonly_fields = ["id", "step_id", "version", "schema_version", "extracted_at"]


@admin.register(StepSummary)
class StepSummaryAdmin(VersionedAdmin):
    form = StepSummaryAdminForm
    list_display = ["id", "workshop_step", "version", "token_count", "generated_at"]
    readonly_fields = ["id", "step_id", "version", "token_count", "generated_at"]


@admin.register(StepVersion)
class StepVersionAdmin(TenantScoped, ReadOnlyAdmin):
    """The history of artifacts and summaries: read-only, as history is never rewritten
    (a restore is a new version, made on the step's history page)."""

    list_display = ["workshop_step", "kind", "version", "saved_by", "saved_at", "note"]
    list_select_related = [
        "workshop_step__workshop",
        "workshop_step__step_definition",
        "saved_by",
    ]
    list_filter = ["kind"]
    search_fields = ["workshop_step__workshop__title"]
