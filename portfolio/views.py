from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from portfolio import selectors, services
from portfolio.chart import month_bars
from portfolio.export import write_csv
from portfolio.forms import EDITABLE_FIELDS, ArtifactForm, ListFiltersForm, UploadFilesForm
from portfolio.models import WorkArtifact
from portfolio.uploads import body_too_large, install_upload_cap, request_too_large_message
from tenancy.context import tenant_context
from tenancy.forms import apply_service_errors
from tenancy.shortcuts import get_tenant_object_or_404
from tenancy.transactions import outside_request_transaction
from ui.fragments import fingerprint

NOTHING_SELECTED = "Select the artifacts to delete first."


def _mine(request: HttpRequest, pk: uuid.UUID, *, heavy: bool = False) -> WorkArtifact:
    """The signed-in user's artifact, or 404 (a teammate's or another tenant's alike)."""
    artifacts = WorkArtifact.objects.owned_by(request.user).defer("search_vector")
    if not heavy:
        artifacts = artifacts.defer("extracted_text")
    return get_tenant_object_or_404(artifacts, request, pk=str(pk))


def _accepting_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a body over the cap unread, cap the upload, and run outside the request
    transaction (see portfolio.uploads and tenancy.transactions).

    CsrfViewMiddleware would read request.POST first, so the outer view is
    exempt, installs the cap, then runs the view under csrf_protect. The view
    reads the body and extracts the file's text with no transaction open, and
    does its database work in `_in_tenant(request)` blocks.
    """
    protected = csrf_protect(view)

    @outside_request_transaction
    @csrf_exempt
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if body_too_large(request):
            return _too_large(request)
        install_upload_cap(request)
        return protected(request, *args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _in_tenant(request: HttpRequest) -> AbstractContextManager[None]:
    """A short transaction in the signed-in user's tenant, for views outside the request's."""
    return tenant_context(request.user.tenant_id)


def _too_large(request: HttpRequest) -> HttpResponse:
    """413 before the body is read: the form's fields are unknown, so nothing is re-shown.

    htmx puts the message at the top of the form that was sent, keeping what was
    typed in it (base.html swaps 413 answers); a plain post gets a page.
    """
    context = {"message": request_too_large_message(), "back": request.get_full_path()}
    if request.htmx:
        response = render(request, "portfolio/too_large.html#message", context, status=413)
        response["HX-Retarget"] = "closest form"
        response["HX-Reswap"] = "afterbegin"
        return response
    return render(request, "portfolio/too_large.html", context, status=413)


def _done(request: HttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# htmx targets of the list page, and the fragment each one gets.
_LIST_FRAGMENTS = {
    "artifact-results": "portfolio/list.html#results",
    "portfolio-browse": "portfolio/list.html#browse",
}


@login_required
@require_GET
def artifact_list(request: HttpRequest) -> HttpResponse:
    filters_form = ListFiltersForm(request.GET)
    filters = filters_form.filters()
    fragment = request.htmx and _LIST_FRAGMENTS.get(request.htmx.target or "")
    if fragment:
        artifacts = selectors.artifact_list(user=request.user, **filters)
    else:  # the whole page: with the chart's months, in one round trip as it opens
        artifacts, totals, months = selectors.list_page(user=request.user, **filters)
    context = {
        "artifacts": artifacts,
        # The rows' cache key: whatever changes in them changes it (ui/fragments.py).
        "rows_key": fingerprint(request.user.tenant_id, request.user.pk, artifacts),
        "filters_form": filters_form,
        "filters_key": fingerprint(sorted(request.GET.lists())),
        "filtered": any(filters[name] for name in ("q", "category", "date_from", "date_to")),
        "sort": filters["sort"],
        "q": filters["q"],
    }
    if fragment:
        response = render(request, fragment, context)
        # The address bar gets the filters that do something, not every empty field.
        response["HX-Push-Url"] = _canonical_url(request)
        return response
    context["totals"] = totals
    context["chart"] = chart = month_bars(months)
    context["chart_key"] = fingerprint(chart)
    return render(request, "portfolio/list.html", context)


def _canonical_url(request: HttpRequest) -> str:
    kept = [
        (key, value)
        for key, value in request.GET.items()
        if value and not (key == "sort" and value == selectors.DEFAULT_SORT)
    ]
    return request.path + (f"?{urlencode(kept)}" if kept else "")


def _download(response: HttpResponse, file_name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


@login_required
@require_GET
def artifact_export(request: HttpRequest) -> HttpResponse:
    data = {"artifacts": selectors.user_artifacts(user=request.user)}
    return _download(JsonResponse(data), "portfolio.json")


@login_required
@require_GET
def artifact_export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    write_csv(response, selectors.user_artifacts(user=request.user))
    return _download(response, "portfolio.csv")


@login_required
@require_POST
def artifacts_delete_selected(request: HttpRequest) -> HttpResponse:
    """POST the selected ids: a confirmation page first, then (with `confirm`) one DELETE."""
    ids = request.POST.getlist("ids")
    if not ids:
        messages.warning(request, NOTHING_SELECTED)
        return redirect("portfolio:list")
    if request.POST.get("confirm") != "yes":
        selected = selectors.artifacts_by_ids(user=request.user, artifact_ids=ids)
        if len(selected) != len(set(ids)):
            raise Http404(services.NOT_FOUND)
        return render(request, "portfolio/delete_selected.html", {"artifacts": selected})
    # A foreign or vanished id: ArtifactNotFound, a NotFound (config/errors.py): 404.
    deleted = services.artifacts_delete_owned(user=request.user, artifact_ids=ids)
    messages.success(request, f"{deleted} artifact{pluralize(deleted)} deleted.")
    return redirect("portfolio:list")


@_accepting_uploads
@require_http_methods(["GET", "POST"])
def artifacts_upload(request: HttpRequest) -> HttpResponse:
    """Several files at once, each its own artifact, with a result per file."""
    form = UploadFilesForm(*_bound(request))
    results = None
    if request.method == "POST" and form.is_valid():
        # Extracts each file outside any transaction; each create is its own.
        results = services.artifacts_create_from_files(user=request.user, **form.cleaned_data)
    with _in_tenant(request):
        context = {"form": form, "results": results, "totals": selectors.totals(user=request.user)}
        if request.htmx:
            return render(request, "portfolio/upload.html#upload", context)
        return render(request, "portfolio/upload.html", context)


@login_required
@require_GET
def artifact_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    field = _field_param(request)
    if field and request.htmx:  # "Cancel" on a field edited in place: its value again
        artifact = _mine(request, pk)
        context = {"artifact": artifact, "name": field, "refocus": True}
        return render(request, "portfolio/detail.html#field", context)
    artifact = _mine(request, pk, heavy=True)
    selectors.attach_suggested_skills([artifact], tenant_id=request.user.tenant_id)
    selectors.attach_reasons(artifact)
    context = {"artifact": artifact, "fields": EDITABLE_FIELDS[1:]}
    return render(request, "portfolio/detail.html", context)


def _bound(request: HttpRequest) -> tuple:
    # By method, not by content: an empty POST must still show its errors.
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


def _submit(
    request: HttpRequest, form: ArtifactForm, save: Callable[..., WorkArtifact]
) -> WorkArtifact | None:
    """Call the service with a valid POST; None when there was nothing to save or it refused."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return save(user=request.user, **form.service_kwargs())
    except ValidationError as error:
        apply_service_errors(form, error)
    return None


def _save(
    request: HttpRequest,
    form: ArtifactForm,
    artifact: WorkArtifact | None,
    save: Callable[..., WorkArtifact],
    field: str | None = None,
) -> HttpResponse:
    """Bind, call the service, then redirect (or re-render the form with its errors)."""
    saved = _submit(request, form, save)
    if saved is not None:
        verb = "saved" if artifact else "added to your portfolio"
        messages.success(request, f"“{saved.title}” {verb}.")
        if form.cleaned_data.get("file") and saved.text_truncated:
            messages.warning(request, services.TEXT_TRUNCATED)
        return _done(request, reverse("portfolio:detail", args=[saved.pk]))
    template = "portfolio/form.html#artifact-form" if request.htmx else "portfolio/form.html"
    totals = None if artifact else selectors.totals(user=request.user)
    context = {"form": form, "artifact": artifact, "totals": totals, "field": field}
    if field:
        context["field_label"] = ArtifactForm.base_fields[field].label or pretty_name(field)
    return render(request, template, context)


def _field_param(request: HttpRequest) -> str | None:
    """The one field a request edits in place (`?field=`), if it names one."""
    name = request.GET.get("field")
    return name if name in EDITABLE_FIELDS else None


def _edit_in_place(
    request: HttpRequest, form: ArtifactForm, artifact: WorkArtifact, field: str
) -> HttpResponse:
    """htmx: the field's little form (GET, or a refused POST), or its new value after a save."""
    update = partial(services.artifact_update, artifact_id=artifact.pk)
    saved = _submit(request, form, update)
    if saved is not None and field == "file":
        # A new file changes the text and the suggestions below too.
        return HttpResponseClientRefresh()
    context = {
        "artifact": saved or artifact,
        "name": field,
        "editing": saved is None,
        "form": form,
        "refocus": True,
    }
    return render(request, "portfolio/detail.html#field", context)


@_accepting_uploads
@require_http_methods(["GET", "POST"])
def artifact_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        with _in_tenant(request):
            totals = selectors.totals(user=request.user)
            if totals.at_limit:
                # Say so now rather than offer a form the service will refuse.
                return render(request, "portfolio/at_limit.html", {"totals": totals})
    form = ArtifactForm(*_bound(request))
    _extract(request, form)
    with _in_tenant(request):
        return _save(request, form, None, services.artifact_create)


@_accepting_uploads
@require_http_methods(["GET", "POST"])
def artifact_edit(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The whole form, or one field (`?field=title`); a POST changes only the fields it sends."""
    with _in_tenant(request):
        artifact = _mine(request, pk)
    field = _field_param(request)
    form = ArtifactForm(
        *_bound(request),
        initial=ArtifactForm.initial_for(artifact),
        only=[field] if field else None,
        partial=True,
    )
    _extract(request, form)
    with _in_tenant(request):
        if field and request.htmx:
            return _edit_in_place(request, form, artifact, field)
        update = partial(services.artifact_update, artifact_id=artifact.pk)
        return _save(request, form, artifact, update, field)


def _extract(request: HttpRequest, form: ArtifactForm) -> None:
    """Validate a POST now, outside any transaction: this reads the file's text
    (portfolio.extraction, seconds for a large PDF). The form keeps the result."""
    if request.method == "POST":
        form.is_valid()


@login_required
@require_http_methods(["GET", "POST"])
def artifact_delete(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    artifact = _mine(request, pk)
    if request.method == "POST":
        services.artifact_delete(user=request.user, artifact_id=artifact.pk)
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
        selectors.attach_reasons(artifact)
        return render(request, "portfolio/detail.html#suggestions", {"artifact": artifact})
    messages.success(request, "Suggestion dismissed.")
    return redirect("portfolio:detail", pk=artifact.pk)
