from __future__ import annotations

from typing import Any

from django import forms

from messaging import services
from messaging.models import MESSAGE_MAX_LENGTH
from skills.models import Skill
from tenancy.models import User


class ProposeGroupingForm(forms.Form):
    """Binds and shapes a proposal; the rules themselves live in messaging.services."""

    proposed_parent_skill = forms.ModelChoiceField(
        queryset=Skill.objects.none(),
        label="Group under",
        empty_label="(pick a parent skill)",
        error_messages={"required": services.PARENT_REQUIRED},
    )
    message = forms.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": services.MESSAGE_REQUIRED,
            "max_length": services.MESSAGE_TOO_LONG,
        },
    )

    def __init__(self, *args: Any, user: User, skill: Skill, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any skill of the tenant but the subject itself; the service refuses
        # the rest (a descendant, the current parent) with a clear message.
        self.fields["proposed_parent_skill"].queryset = (
            Skill.objects.for_tenant(user.tenant_id).exclude(pk=skill.pk).order_by("name")
        )
