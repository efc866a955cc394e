from __future__ import annotations

from typing import Any

from django import forms

from skills.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, Skill
from tenancy.models import User


class SkillForm(forms.Form):
    """Binds and shapes input; the rules themselves live in skills.services."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH)
    description = forms.CharField(
        required=False, max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    parent = forms.ModelChoiceField(
        queryset=Skill.objects.none(), required=False, empty_label="(top level)"
    )

    def __init__(self, *args: Any, user: User, skill: Skill | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = Skill.objects.for_tenant(user.tenant_id).order_by("name")
        if skill is not None:
            parents = parents.exclude(pk=skill.pk)
        self.fields["parent"].queryset = parents
