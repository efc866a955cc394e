"""Workshop pages. Thin: load through the member's tenant, bind a form, call a service.

A workshop is open to its facilitator (the owner) and its participants; anyone
else in the tenant gets the same 404 as an outsider, so ids reveal nothing.
What each of them may do is decided in `workshops.services` (`require_member`,
`require_facilitator`).

The views that call the assistant (chat, summary, artifact extraction) run
`@outside_request_transaction`: they load in one short `tenant_context`, the
service calls the provider with no transaction open and stores the outcome in
a transaction of its own, and the answer is rendered in another short one.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.views.decorators.http import require_GET, require_POST

from assistant import AssistantError, get_assistant
from tenancy.forms import apply_service_errors
from tenancy.models import User
from tenancy.shortcuts import get_tenant_object_or_404
from tenancy.transactions import in_request_tenant, outside_request_transaction
from ui.fragments import fingerprint
from workshops import services
from workshops.context import REPLY_BUDGET_TOKENS, TIERS, build_step_context
from workshops.editor import editor_context, lazy_editor_context
from workshops.export import export_filename, workshop_export_data, workshop_markdown
from workshops.forms import (
    BudgetForm,
    MessageForm,
    ParticipantForm,
    WorkshopForm,
    new_client_token,
)
from workshops.models import ChatMessage, Workshop, WorkshopStep
from workshops.schemas import schema_fields
from workshops.selectors import (
    member_step_and_steps,
    member_steps,
    messages_after,
    participant_candidates,
    step_page,
    step_with_changes,
    workshop_list,
)


def _load_step(request: HttpRequest, pk: int, step_id: str) -> WorkshopStep:
    steps = member_steps(user=request.user)
    return get_tenant_object_or_404(steps, request, workshop_id=pk, step_definition_id=step_id)


def _step_url(step: WorkshopStep, anchor: str = "") -> str:
    url = reverse("workshops:step", args=[step.workshop_id, step.step_id])
    return f"{url}#{anchor}" if anchor else url


def _render_step(
    request: HttpRequest,
    step: WorkshopStep,
    status: int = 200,
    editor: dict[str, Any] | None = None,
    steps: list[WorkshopStep] | None = None,
    **extra: Any,
):
    """The step page; POST views pass the artifact editor's state in `editor` (see
    workshops.editor.editor_context) and bound forms, a conflict or a proposal in `extra`;
    `steps`, the workshop's steps when the caller read them with the step."""
    page = step_page(step=step, steps=steps)
    plain = editor is None and not extra
    schema = step.step_definition.schema
    assistant = get_assistant()
    context = {
        "page": page,
        "step": step,
        "workshop": step.workshop,
        "facilitator": services.is_facilitator(workshop=step.workshop, user=request.user),
        "schema_fields": schema_fields(schema),
        "message_form": MessageForm(initial={"client_token": new_client_token()}),
        "awaiting_reply": page.awaiting_reply,
        "summary_version": page.summary.version if page.summary else 0,
        "assistant_name": assistant.name,
        "assistant_offline": assistant.offline,
        # A plain view of the step (nothing typed back, no conflict or proposal): the
        # artifact and summary panels come from the fragment cache while the step, its
        # artifact and its summary are unchanged (ui/fragments.py), and the editor they
        # show is built only when they are rendered.
        **(
            lazy_editor_context(step, page.artifact)
            if plain
            else editor_context(step, page.artifact, **(editor or {}))
        ),
        **extra,
    }
    context["panels_key"] = fingerprint(step, page.artifact, page.summary) if plain else ""
    context["chat_key"] = _chat_key(request.user, step, page.chat)
    return render(request, "workshops/step.html", context, status=status)


def _chat_key(user: User, step: WorkshopStep, chat: list[ChatMessage]) -> str:
    """The chat log's cache key (ui/fragments.py): the messages with their authors'
    names, and who reads them ("You" for one's own); the facilitator's name only when a
    message without an author shows it (workshops/partials/message.html)."""
    owner_shown = step.workshop.owner_id != user.pk and any(
        not m.author_id and m.role not in (ChatMessage.Role.ASSISTANT, ChatMessage.Role.SYSTEM)
        for m in chat
    )
    owner = str(step.workshop.owner) if owner_shown else ""
    return fingerprint(user.pk, step.workshop.owner_id, owner, chat)


@login_required
def workshop_index(request: HttpRequest) -> HttpResponse:
    workshops = workshop_list(user=request.user)
    return render(request, "workshops/list.html", {"workshops": workshops})


@login_required
def workshop_create(request: HttpRequest) -> HttpResponse:
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = services.workshop_create(owner=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Workshop “{workshop.title}” created.")
            return redirect("workshops:detail", pk=workshop.pk)
    return render(request, "workshops/new.html", {"form": form})


def _load_workshop(request: HttpRequest, pk: int) -> Workshop:
    members = Workshop.objects.of_member(request.user).select_related("owner")
    return get_tenant_object_or_404(members, request, pk=pk)


def _render_detail(
    request: HttpRequest, workshop: Workshop, form: ParticipantForm | None = None, status: int = 200
) -> HttpResponse:
    facilitator = services.is_facilitator(workshop=workshop, user=request.user)
    if facilitator and form is None:
        form = ParticipantForm(candidates=participant_candidates(workshop=workshop))
    export = workshop_export_data(workshop=workshop)
    context = {
        "workshop": workshop,
        "export": export,
        "participants": export.participant_rows,
        "facilitator": facilitator,
        "participant_form": form,
    }
    return render(request, "workshops/detail.html", context, status=status)


@require_GET
@login_required
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _load_workshop(request, pk))


@require_POST
@login_required
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    """The facilitator adds (`action=add`) or removes (`action=remove`) a participant."""
    workshop = _load_workshop(request, pk)
    candidates = participant_candidates(workshop=workshop)
    try:
        if request.POST.get("action") == "remove":
            services.participant_remove(
                workshop=workshop, user=request.user, participant_id=_int(request.POST.get("user"))
            )
            messages.success(request, "Participant removed: they no longer see the workshop.")
        else:
            form = ParticipantForm(request.POST, candidates=candidates)
            if not form.is_valid():
                return _render_detail(request, workshop, form, status=400)
            person = form.cleaned_data["user"]
            services.participant_add(workshop=workshop, user=request.user, participant=person)
            messages.success(request, f"{person} takes part now.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("workshops:detail", args=[workshop.pk]) + "#participants")


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


@require_GET
@login_required
def workshop_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The workshop as a Markdown document (every step, its artifact and summary)."""
    workshop = _load_workshop(request, pk)
    text = workshop_markdown(workshop_export_data(workshop=workshop))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(workshop)}"'
    return response


@require_GET
@login_required
def step_detail(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    found = member_step_and_steps(user=request.user, pk=pk, step_id=step_id)
    if found is None:
        raise Http404("No such step in your workshops.")
    step, steps = found
    return _render_step(request, step, steps=steps)


def _failure_text(failure: Exception) -> str:
    return " ".join(failure.messages) if isinstance(failure, ValidationError) else str(failure)


@outside_request_transaction
@require_POST
@login_required
def step_messages(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    """Send a message (or retry the reply to the last one); htmx gets the new messages.

    Outside the request's transaction: the services store the message, call the
    assistant with no transaction open, then store its reply.
    """
    with in_request_tenant(request):
        step = _load_step(request, pk, step_id)
    form = MessageForm(request.POST)
    new: list[ChatMessage] = []
    error = ""
    if request.POST.get("action") == "retry":
        form = MessageForm(initial={"client_token": new_client_token()})
        try:
            new.append(
                services.reply_request(
                    workshop_step=step, user=request.user, assistant=get_assistant()
                )
            )
        except (AssistantError, ValidationError) as failure:
            error = _failure_text(failure)
    elif form.is_valid():
        try:
            outcome = services.chat_send(
                workshop_step=step,
                user=request.user,
                content=form.cleaned_data["content"],
                client_token=form.cleaned_data["client_token"],
                assistant=get_assistant(),
            )
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
        else:
            form = MessageForm(initial={"client_token": new_client_token()})
            error = outcome.error
            new = [m for m in (outcome.user_message, outcome.reply) if m is not None]
    with in_request_tenant(request):
        if request.htmx:
            context = {
                "step": step,
                "new_messages": new,
                "message_form": form,
                "chat_error": error,
                "awaiting_reply": services.awaiting_reply(workshop_step=step),
                "oob": True,
            }
            return render(request, "workshops/step.html#chat_update", context)
        if form.errors:
            return _render_step(request, step, message_form=form)
    if error:
        messages.error(request, f"{services.REPLY_FAILED}: {error}")
    return redirect(_step_url(step, "chat"))


@require_GET
@login_required
def step_changes(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    """What changed on a step since the page asked last: the cheap poll of open pages.

    `after` is the newest message id the page shows, `artifact` the artifact
    version it opened. The ETag comes from one indexed query (the step, its
    newest message, its artifact and summary versions); a page whose ETag still
    matches gets 304 with nothing else read.
    """
    after, opened = _int(request.GET.get("after")), _int(request.GET.get("artifact"))
    step = step_with_changes(user=request.user, pk=pk, step_id=step_id)
    if step is None:
        raise Http404
    etag = quote_etag(
        f"{request.user.pk}.{after}.{opened}.{step.last_message_id or 0}."
        f"{step.message_count or 0}.{step.artifact_version or 0}.{step.summary_version or 0}."
        f"{step.status}"
    )
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return _no_store_shared(not_modified)
    newest = step.last_message_id or 0
    context = {
        "step": step,
        "new_messages": messages_after(step=step, after=after) if newest > after else [],
        "artifact_version": step.artifact_version or 0,
        # Your own save (in this tab or another) is no news to you.
        "artifact_changed": (step.artifact_version or 0) > opened
        and step.artifact_saved_by_id != request.user.pk,
        "artifact_changed_by": step.artifact_saved_by_name,
    }
    response = render(request, "workshops/partials/changes.html", context)
    response["ETag"] = etag
    return _no_store_shared(response)


def _no_store_shared(response: HttpResponse) -> HttpResponse:
    # Revalidated every time (no-cache), and only by this browser (private).
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
@login_required
def step_status(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    step = _load_step(request, pk, step_id)
    try:
        if request.POST.get("action") == "reopen":
            services.step_reopen(workshop_step=step, user=request.user)
            messages.success(request, f"{step.step_definition.name} reopened.")
        else:
            services.step_mark_done(workshop_step=step, user=request.user)
            messages.success(request, f"{step.step_definition.name} marked done.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(_step_url(step))


@require_GET
@login_required
def step_context(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    """The context as the assistant would receive it for this step, tier by tier."""
    step = _load_step(request, pk, step_id)
    form = BudgetForm(request.GET if "budget" in request.GET else None)
    budget = REPLY_BUDGET_TOKENS
    if form.is_bound:
        budget = form.cleaned_data["budget"] if form.is_valid() else REPLY_BUDGET_TOKENS
    context = build_step_context(step, budget_tokens=budget)
    tiers = [
        {"name": tier, "parts": context.parts_of(tier), "tokens": context.tier_tokens(tier)}
        for tier in TIERS
    ]
    return render(
        request,
        "workshops/context.html",
        {
            "step": step,
            "workshop": step.workshop,
            "form": form,
            "context": context,
            "tiers": tiers,
        },
    )
