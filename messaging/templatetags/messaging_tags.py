"""The "Propose grouping" form on a skill's page, without the skills app importing messaging."""

from __future__ import annotations

from typing import Any

from django import template

from messaging.forms import ProposeGroupingForm
from skills.models import Skill

register = template.Library()


@register.inclusion_tag("messaging/partials/propose_form.html", takes_context=True)
def propose_grouping_form(context: template.Context, skill: Skill) -> dict[str, Any]:
    user = context["request"].user
    # The author regroups their own skill by editing it: no form for them.
    if skill.author_id == user.pk:
        return {"show": False}
    return {
        "show": True,
        "skill": skill,
        "form": ProposeGroupingForm(user=user, skill=skill),
        "csrf_token": context.get("csrf_token"),
    }
