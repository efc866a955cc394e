"""Admin for work artifacts: tenant admins browse, correct and remove them.

Every write goes through portfolio.services, so the 50-artifact limit and the
field rules hold here too. Files are uploaded on the member's pages or with
`manage.py import_artifacts`; the admin shows the extracted text read-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html, format_html_join

from portfolio import services
from portfolio.forms import SERVICE_FIELDS
from portfolio.models import SEARCH_CONFIG, PortfolioShare, ProfileSkill, WorkArtifact
from portfolio.services import profile as profile_services
from portfolio.services import shares as share_services
from skills.models import Skill
from tenancy.admin import TenantAdminMixin
from tenancy.forms import apply_service_errors

PREVIEW_CHARS = 2000


class WorkArtifactAdminForm(forms.ModelForm):
    class Meta:
        model = WorkArtifact
        fields = ["user", *SERVICE_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        # The services' rules, shown as form errors (the service re-checks
        # the limit under its lock when saving).
        try:
            services.validate_fields({name: data.get(name) for name in SERVICE_FIELDS})
            if self.instance._state.adding:
                services.check_limit(user=data["user"])
        except ValidationError as error:
            apply_service_errors(self, error)
        return data


@admin.register(WorkArtifact)
class WorkArtifactAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = WorkArtifactAdminForm
    list_display = ["title", "user", "category", "artifact_date", "estimated_hours_saved"]
    list_display += ["file_name"]
    list_filter = ["category", "artifact_date"]
    date_hierarchy = "artifact_date"
    search_fields = ["title", "description", "user__email", "file_name"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "file_name",
        "file_type",
        "suggested_skills",
        "text_preview",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkArtifact]:
        return (
            super()
            .get_queryset(request)
            .filter(tenant_id=request.user.tenant_id)
            .defer("search_vector")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[WorkArtifact], search_term: str
    ) -> tuple[QuerySet[WorkArtifact], bool]:
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            # The file text too, through the full-text index rather than ILIKE
            # over up to 100,000 characters per row.
            query = SearchQuery(search_term, search_type="websearch", config=SEARCH_CONFIG)
            matched = matched | queryset.filter(search_vector=query)
        return matched, may_have_duplicates

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # An artifact stays with the person it belongs to.
        return [*self.readonly_fields, "user"] if obj is not None else self.readonly_fields

    @admin.display(description="Extracted text")
    def text_preview(self, obj: WorkArtifact) -> str:
        if not obj.extracted_text:
            return self.get_empty_value_display()
        note = f"{len(obj.extracted_text):,} characters"
        if obj.text_truncated:
            note += " (cut: the file held more)"
        return format_html(
            # A scroll box: focusable (and named) so a keyboard can scroll it.
            '<pre class="readonly" tabindex="0" aria-label="Extracted text">{}</pre>'
            '<p class="help">{}</p>',
            truncatechars(obj.extracted_text, PREVIEW_CHARS),
            note,
        )

    @admin.display(description="Suggested skills")
    def suggested_skills(self, obj: WorkArtifact) -> str:
        ids = [i for i in obj.suggested_skill_ids if i.isdigit()]
        skills = Skill.objects.for_tenant(obj.tenant_id).filter(pk__in=ids).only("name")
        names = format_html_join(", ", "{}", ((s.name,) for s in skills))
        return names or self.get_empty_value_display()

    def save_model(
        self, request: HttpRequest, obj: WorkArtifact, form: forms.Form, change: bool
    ) -> None:
        fields = {name: form.cleaned_data[name] for name in SERVICE_FIELDS}
        fields["description"] = fields["description"] or ""
        if change:
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            services.artifact_update(user=obj.user, artifact_id=obj.pk, **changed)
        else:
            created = services.artifact_create(user=form.cleaned_data["user"], **fields)
            obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: WorkArtifact) -> None:
        services.artifact_delete(user=obj.user, artifact_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkArtifact]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        services.artifacts_delete(tenant_id=request.user.tenant_id, artifact_ids=ids)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            # The limit was reached between the form's check and the save
            # (another create won the race): nothing was written.
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(ProfileSkill)
class ProfileSkillAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Members' confirmed skills: a tenant admin corrects a level or removes an entry.

    Entries are made by their member from evidence (the profile pages), so there is
    no add form; the level and removal go through portfolio.services.profile.
    """

    list_display = ["skill", "user", "level", "created_at"]
    list_filter = ["level"]
    list_select_related = ["skill", "user"]
    search_fields = ["skill__name", "user__email"]
    fields = ["user", "skill", "level", "evidence_list", "created_at"]
    readonly_fields = ["user", "skill", "evidence_list", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProfileSkill]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Evidence")
    def evidence_list(self, obj: ProfileSkill) -> str:
        rows = obj.evidence.select_related("artifact").only("artifact__title")
        titles = format_html_join(", ", "{}", ((e.artifact.title,) for e in rows))
        return titles or self.get_empty_value_display()

    def save_model(self, request: HttpRequest, obj: ProfileSkill, form: Any, change: bool) -> None:
        try:
            profile_services.profile_skill_set_level(
                user=obj.user, entry_id=obj.pk, level=form.cleaned_data["level"]
            )
        except profile_services.ProfileSkillNotFound as error:
            raise Http404(profile_services.ENTRY_NOT_FOUND) from error

    def delete_model(self, request: HttpRequest, obj: ProfileSkill) -> None:
        profile_services.profile_skill_remove(user=obj.user, entry_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ProfileSkill]) -> None:
        for entry in queryset.select_related("user"):
            profile_services.profile_skill_remove(user=entry.user, entry_id=entry.pk)


@admin.register(PortfolioShare)
class PortfolioShareAdmin(TenantAdminMixin, admin.ModelAdmin):
    """Members' share links, read-only (the secret exists only at creation); a tenant
    admin can revoke them, through portfolio.services.shares."""

    list_display = ["__str__", "user", "whole_portfolio", "views", "expires_at", "revoked_at"]
    list_filter = ["whole_portfolio", "include_skills"]
    list_select_related = ["user"]
    search_fields = ["label", "user__email"]
    actions = ["revoke"]
    readonly_fields = [
        "user",
        "label",
        "whole_portfolio",
        "artifact_ids",
        "include_skills",
        "expires_at",
        "revoked_at",
        "views",
        "last_viewed_at",
        "created_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PortfolioShare]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PortfolioShare]) -> None:
        shares = list(queryset.select_related("user"))
        for share in shares:
            share_services.share_revoke(user=share.user, share_id=share.pk)
        self.message_user(request, f"{len(shares)} link(s) revoked.", messages.SUCCESS)
