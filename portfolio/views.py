from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from portfolio import selectors, services
from portfolio.chart import month_bars
from portfolio.forms import ArtifactForm
from portfolio.models import WorkArtifact
from portfolio.uploads import install_upload_cap
from tenancy.forms import apply_service_errors
from tenancy.shortcuts import get_tenant_object_or_404


def _mine(request: HttpRequest, pk: uuid.UUID, *, heavy: bool = False) -> WorkArtifact:
    """The signed-in user's artifact, or 404 (a teammate's or another tenant's alike)."""
    artifacts = WorkArtifact.objects.owned_by(request.user).defer("search_vector")
    if not heavy:
        artifacts = artifacts.defer("extracted_text")
    return get_tenant_object_or_404(artifacts, request, pk=str(pk))


def _accepting_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cap the upload before anything parses the body (see portfolio.uploads).

    CsrfViewMiddleware would read request.POST first, so the outer view is
    exempt, installs the cap, then runs the view under csrf_protect.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        install_upload_cap(request)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _done(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def artifact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    context = {
        "artifacts": selectors.artifact_list(user=request.user, q=q),
        "q": q,
    }
    if request.htmx and request.htmx.target == "artifact-results":
        return render(request, "portfolio/list.html#results", context)
    context["totals"] = selectors.totals(user=request.user)
    context["chart"] = month_bars(selectors.hours_by_month(user=request.user))
    return render(request, "portfolio/list.html", context)


@login_required
@require_GET
def artifact_export(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"artifacts": selectors.user_artifacts(user=request.user)})


@login_required
@require_GET
def artifact_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    artifact = _mine(request, pk, heavy=True)
    selectors.attach_suggested_skills([artifact], tenant_id=request.user.tenant_id)
    return render(request, "portfolio/detail.html", {"artifact": artifact})


def _bound(request: HttpRequest) -> tuple:
    # By method, not by content: an empty POST must still show its errors.
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _save(
    request: HttpRequest,
    form: ArtifactForm,
    artifact: WorkArtifact | None,
    save: Callable[..., WorkArtifact],
) -> HttpResponse:
    """Bind, call the service, then redirect (or re-render the form with its errors)."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(user=request.user, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        except services.ArtifactNotFound as error:  # deleted meanwhile
            raise Http404(services.NOT_FOUND) from error
        else:
            verb = "saved" if artifact else "added to your portfolio"
            messages.success(request, f"“{saved.title}” {verb}.")
            if form.cleaned_data.get("file") and saved.text_truncated:
                messages.warning(request, services.TEXT_TRUNCATED)
            return _done(request, reverse("portfolio:detail", args=[saved.pk]))
    template = "portfolio/form.html#artifact-form" if request.htmx else "portfolio/form.html"
    totals = None if artifact else selectors.totals(user=request.user)
    return render(request, template, {"form": form, "artifact": artifact, "totals": totals})


@_accepting_uploads
@require_http_methods(["GET", "POST"])
def artifact_create(request: HttpRequest) -> HttpResponse:
    form = ArtifactForm(*_bound(request))
    return _save(request, form, None, services.artifact_create)


@_accepting_uploads
@require_http_methods(["GET", "POST"])
def artifact_edit(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    artifact = _mine(request, pk)
    initial = ArtifactForm.initial_for(artifact)
    form = ArtifactForm(*_bound(request), initial=initial)
    update = partial(services.artifact_update, artifact_id=artifact.pk)
    return _save(request, form, artifact, update)


@login_required
@require_http_methods(["GET", "POST"])
def artifact_delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    artifact = _mine(request, pk)
    if request.method == "POST":
        try:
            services.artifact_delete(user=request.user, artifact_id=artifact.pk)
        except services.ArtifactNotFound as error:
            raise Http404(services.NOT_FOUND) from error
        messages.success(request, f"“{artifact.title}” deleted.")
        return _done(request, reverse("portfolio:list"))
    return render(request, "portfolio/delete.html", {"artifact": artifact})


@login_required
@require_POST
def suggestion_dismiss(request: HttpRequest, pk: uuid.UUID, skill_id: int) -> HttpResponse:
    artifact = _mine(request, pk)
    try:
        artifact = services.suggestion_dismiss(
            user=request.user, artifact_id=artifact.pk, skill_id=str(skill_id)
        )
    except ValidationError as error:  # not one of this artifact's suggestions
        raise Http404(services.NOT_SUGGESTED) from error
    if request.htmx:
        selectors.attach_suggested_skills([artifact], tenant_id=request.user.tenant_id)
        return render(request, "portfolio/detail.html#suggestions", {"artifact": artifact})
    messages.success(request, "Suggestion dismissed.")
    return redirect("portfolio:detail", pk=artifact.pk)
