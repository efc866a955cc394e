from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from skills import services
from skills.models import Skill
from tenancy.admin import TenantAdminMixin
from tenancy.forms import apply_service_errors


class SkillAdminForm(forms.ModelForm):
    class Meta:
        model = Skill
        fields = ["name", "description", "author", "parent"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        # The same rules as every other path, shown as form errors here.
        existing = self.instance.pk is not None
        tenant_id = self.instance.tenant_id if existing else data["author"].tenant_id
        skill = self.instance if existing else Skill(tenant_id=tenant_id)
        try:
            services.validate_skill(
                tenant_id=tenant_id,
                name=data["name"],
                description=data.get("description", ""),
                skill=self.instance if existing else None,
            )
            services.validate_parent(skill=skill, parent=data.get("parent"))
        except ValidationError as error:
            apply_service_errors(self, error)
        return data


@admin.register(Skill)
class SkillAdmin(TenantAdminMixin, admin.ModelAdmin):
    form = SkillAdminForm
    list_display = ["name", "author", "parent", "updated_at"]
    list_filter = ["created_at", ("parent", admin.EmptyFieldListFilter)]
    search_fields = ["name", "description", "author__email"]
    list_select_related = ["author", "parent"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["author"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Skill]:
        return super().get_queryset(request).filter(tenant_id=request.user.tenant_id)

    def get_readonly_fields(self, request: HttpRequest, obj: Skill | None = None) -> list[str]:
        return ["author"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Skill, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            # A tenant admin edits on the author's behalf.
            services.skill_update(
                skill=Skill.objects.get(pk=obj.pk),
                user=obj.author,
                name=data["name"],
                description=data.get("description", ""),
                parent=data.get("parent"),
            )
        else:
            created = services.skill_create(
                author=data["author"],
                name=data["name"],
                description=data.get("description", ""),
                parent=data.get("parent"),
            )
            obj.pk = created.pk
