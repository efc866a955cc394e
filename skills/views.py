from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from skills import services
from skills.forms import SkillForm
from skills.models import Skill
from skills.selectors import count_nodes, skill_ancestors, skill_coverage, skill_forest
from tenancy.forms import apply_service_errors
from tenancy.services import check_tenant_admin, is_tenant_admin
from tenancy.shortcuts import get_tenant_object_or_404


@login_required
def skill_list(request: HttpRequest) -> HttpResponse:
    """The catalogue as a collapsible tree; `?q=` searches it, `?collapse=1` folds it."""
    q = request.GET.get("q", "")[:100]
    nodes = skill_forest(tenant_id=request.user.tenant_id, q=q)
    context = {
        "nodes": nodes,
        "q": q,
        # A search opens every branch on its way to a match.
        "open": bool(q) or request.GET.get("collapse") != "1",
        "match_count": count_nodes(nodes, matching=True) if q else None,
        "is_tenant_admin": is_tenant_admin(request.user),
    }
    if request.htmx and request.htmx.target == "skill-tree":
        return render(request, "skills/list.html#tree", context)
    return render(request, "skills/list.html", context)


@login_required
def skill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    skill = get_tenant_object_or_404(
        Skill.objects.select_related("author", "parent"), request, pk=pk
    )
    children = skill.children.select_related("author").order_by("name")
    return render(
        request,
        "skills/detail.html",
        {"skill": skill, "ancestors": skill_ancestors(skill=skill), "children": children},
    )


@login_required
def skill_create(request: HttpRequest) -> HttpResponse:
    form = SkillForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            skill = services.skill_create(author=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Skill “{skill.name}” created.")
            return redirect("skills:detail", pk=skill.pk)
    return render(request, "skills/form.html", {"form": form, "skill": None})


@login_required
def skill_edit(request: HttpRequest, pk: int) -> HttpResponse:
    skill = get_tenant_object_or_404(Skill, request, pk=pk)
    if skill.author_id != request.user.pk:
        raise PermissionDenied(services.ONLY_AUTHOR_EDITS)
    initial = {"name": skill.name, "description": skill.description, "parent": skill.parent}
    form = SkillForm(request.POST or None, initial=initial, user=request.user, skill=skill)
    if request.method == "POST" and form.is_valid():
        try:
            services.skill_update(skill=skill, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Skill “{skill.name}” saved.")
            return redirect("skills:detail", pk=skill.pk)
    return render(request, "skills/form.html", {"form": form, "skill": skill})


@login_required
@require_GET
def skill_coverage_page(request: HttpRequest) -> HttpResponse:
    """A tenant admin's chart: how many members hold each skill, fewest first."""
    check_tenant_admin(request.user)
    coverage = skill_coverage(tenant_id=request.user.tenant_id)
    return render(request, "skills/coverage.html", {"coverage": coverage})
