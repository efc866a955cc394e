"""Editing a step's artifact and summary, and their history. Thin, like workshops.views:
load the step, bind, call a service, render or redirect.

The artifact endpoint takes several actions by named buttons: `action=save`
(the generated form, or the JSON editor when `artifact` is posted),
`action=extract` (the assistant's proposal, shown for review, nothing saved),
`row=…` (add / remove / move a list row) and `resolve=…` (keep mine or theirs
for one field of a conflict). The last two only re-render the form: an htmx
request gets the editor fragment, a plain one the whole page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assistant import AssistantError, get_assistant
from tenancy.forms import apply_service_errors
from workshops import selectors, services, views
from workshops.editor import (
    conflict_from_post,
    conflict_state,
    editor_context,
    resolve,
    value_after_conflict,
)
from workshops.forms import ArtifactForm, HistoryForm, SummaryForm, VersionForm, artifact_text
from workshops.models import StepVersion, WorkshopStep
from workshops.schema_form import apply_row_action, parse
from workshops.schemas import artifact_problems, in_schema_order

FORM_INCOMPLETE = "The form was incomplete; reload the page."


def _saved(request: HttpRequest, what: str, saved: Any) -> None:
    merged = f" {saved.merge_message}" if saved.merge_message else ""
    messages.success(request, f"{what} saved (version {saved.version}).{merged}")


@require_POST
@login_required
def step_artifact(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    step = views._load_step(request, pk, step_id)
    if request.POST.get("action") == "extract":
        return _propose(request, step)
    if "artifact" in request.POST:  # the JSON editor
        return _save_json(request, step)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, FORM_INCOMPLETE)
        return redirect(views._step_url(step, "artifact"))
    version = form.cleaned_data["version"]
    schema = step.step_definition.schema
    conflict = conflict_from_post(request.POST)
    if "row" in request.POST or "resolve" in request.POST:
        value = parse(schema, request.POST, keep_blank=True)
        if "row" in request.POST:
            value = apply_row_action(schema, value, request.POST["row"])
        else:
            value, conflict = resolve(value, conflict, request.POST["resolve"])
        editor = {"value": value, "version": version, "conflict": conflict}
        if request.htmx:
            context = {"step": step, "workshop": step.workshop}
            context |= editor_context(step, None, **editor)
            return render(request, "workshops/partials/artifact.html#editor", context)
        return views._render_step(request, step, editor=editor)
    value = parse(schema, request.POST, keep_blank=False)
    try:
        saved = services.artifact_save(
            workshop_step=step, user=request.user, artifact=value, expected_version=version
        )
    except services.ArtifactInvalid as invalid:
        editor = {"value": value, "version": version, "problems": invalid.problems}
        return views._render_step(request, step, editor={**editor, "conflict": conflict})
    except ValidationError as invalid:
        editor = {"value": value, "version": version, "general_errors": invalid.messages}
        return views._render_step(request, step, editor={**editor, "conflict": conflict})
    except services.VersionConflict as stale:
        editor = {
            "value": value_after_conflict(stale.merged_value, stale.conflicts),
            "version": stale.current_version,
            "conflict": conflict_state(
                schema,
                version=stale.current_version,
                saved_by=stale.saved_by,
                conflicts=stale.conflicts,
            ),
        }
        return views._render_step(request, step, status=409, editor=editor)
    _saved(request, "Artifact", saved)
    return redirect(views._step_url(step, "artifact"))


def _save_json(request: HttpRequest, step: WorkshopStep) -> HttpResponse:
    """The raw JSON editor, through the same service; a conflict compares whole texts."""
    form = ArtifactForm(request.POST)
    if form.is_valid():
        try:
            saved = services.artifact_save(
                workshop_step=step,
                user=request.user,
                artifact=form.cleaned_data["artifact"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except services.VersionConflict as conflict:
            schema = step.step_definition.schema
            # Keep what they typed; the editor now carries the version they
            # have seen, so saving again (or "Re-apply mine") is deliberate.
            data = request.POST.copy()
            data["version"] = conflict.current_version
            return views._render_step(
                request,
                step,
                status=409,
                editor={"json_form": ArtifactForm(data), "version": conflict.current_version},
                artifact_conflict=conflict,
                theirs_text=artifact_text(in_schema_order(schema, conflict.current_value))
                if conflict.current_value is not None
                else "",
                yours_text=request.POST.get("artifact", ""),
            )
        else:
            _saved(request, "Artifact", saved)
            return redirect(views._step_url(step, "artifact"))
    return views._render_step(request, step, editor={"json_form": form})


def _propose(request: HttpRequest, step: WorkshopStep) -> HttpResponse:
    """The assistant's proposal fills the form for review; nothing is saved."""
    assistant = get_assistant()
    try:
        proposal = services.artifact_propose(
            workshop_step=step, user=request.user, assistant=assistant
        )
    except (AssistantError, ValidationError) as failure:
        messages.error(request, f"No artifact proposed: {views._failure_text(failure)}")
        return redirect(views._step_url(step, "artifact"))
    form = VersionForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    problems = artifact_problems(step.step_definition.schema, proposal)
    return views._render_step(
        request,
        step,
        editor={"value": proposal, "version": version, "problems": problems},
        proposal_from=assistant.name,
    )


# --- summary ----------------------------------------------------------------------------


@require_POST
@login_required
def step_summary(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    """Generate the summary, or save the edited one (`action=save`, or `apply`: mine after
    a conflict), versioned like the artifact: a change on both sides is a conflict."""
    step = views._load_step(request, pk, step_id)
    form = SummaryForm(request.POST)
    if not form.is_valid():
        messages.error(request, FORM_INCOMPLETE)
        return redirect(views._step_url(step, "summary"))
    version = form.cleaned_data["version"]
    try:
        if request.POST.get("action") in ("apply", "save"):
            saved = services.summary_save(
                workshop_step=step,
                user=request.user,
                summary=form.cleaned_data["summary"],
                expected_version=version,
            )
        else:
            saved = services.summary_generate(
                workshop_step=step,
                user=request.user,
                expected_version=version,
                assistant=get_assistant(),
            )
    except services.VersionConflict as conflict:
        return views._render_step(
            request,
            step,
            status=409,
            summary_conflict=conflict,
            summary_version=conflict.current_version,
        )
    except ValidationError as invalid:
        if request.POST.get("action") == "save":
            return views._render_step(
                request, step, summary_errors=invalid.messages, summary_draft=request.POST
            )
        messages.error(request, f"No summary saved: {views._failure_text(invalid)}")
    except AssistantError as failure:
        messages.error(request, f"No summary saved: {views._failure_text(failure)}")
    else:
        merged = f" {saved.merge_message}" if saved.merge_message else ""
        messages.success(
            request,
            f"Summary saved (version {saved.version}, {saved.token_count} tokens).{merged}",
        )
    return redirect(views._step_url(step, "summary"))


# --- history ---------------------------------------------------------------------------


@require_GET
@login_required
def step_history(request: HttpRequest, pk: int, step_id: str, kind: str) -> HttpResponse:
    """The versions of the artifact (or summary), newest first, and a field-by-field diff
    between any two (`?a=&b=`; by default the newest against the one before)."""
    step = views._load_step(request, pk, step_id)
    history = selectors.step_history(step=step, kind=kind)
    form = HistoryForm(request.GET or None)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    by_version = {v.version: v for v in history}
    newest = history[0].version if history else 0
    b = by_version.get(chosen.get("b") or newest)
    a = by_version.get(chosen.get("a") or newest - 1) if b else None
    diff = selectors.version_diff(step=step, kind=kind, old=a, new=b) if b else []
    return render(
        request,
        "workshops/history.html",
        {
            "step": step,
            "workshop": step.workshop,
            "kind": kind,
            "kind_label": StepVersion.Kind(kind).label,
            "history": history,
            "current_version": newest,
            "a": a,
            "b": b,
            "diff": diff,
            "step_url": views._step_url(step, kind),
        },
    )


@require_POST
@login_required
def step_restore(
    request: HttpRequest, pk: int, step_id: str, kind: str, version: int
) -> HttpResponse:
    """Save an old version as the newest (carrying the version the person saw as current)."""
    step = views._load_step(request, pk, step_id)
    history_url = reverse(f"workshops:{kind}_history", args=[pk, step_id])
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, FORM_INCOMPLETE)
        return redirect(history_url)
    try:
        saved = services.version_restore(
            workshop_step=step,
            user=request.user,
            kind=kind,
            version=version,
            expected_version=form.cleaned_data["version"],
        )
    except StepVersion.DoesNotExist as missing:
        raise Http404(services.VERSION_NOT_FOUND) from missing
    except services.VersionConflict as conflict:
        messages.error(
            request,
            f"Not restored: {conflict.saved_by} saved version {conflict.current_version} "
            "since you opened the history, changing the same fields. Compare again below.",
        )
    except ValidationError as invalid:
        messages.error(request, f"Not restored: {views._failure_text(invalid)}")
    else:
        _saved(request, StepVersion.Kind(kind).label, saved)
        messages.info(request, f"Version {version} restored as version {saved.version}.")
    return redirect(history_url)
