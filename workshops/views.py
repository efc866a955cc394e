"""Workshop pages. Thin: load through the owner's tenant, bind a form, call a service.

Workshops are private to their owner: a teammate in the same tenant gets the
same 404 as an outsider, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from assistant import AssistantError, get_assistant
from tenancy.forms import apply_service_errors
from tenancy.shortcuts import get_tenant_object_or_404
from workshops import services
from workshops.context import REPLY_BUDGET_TOKENS, TIERS, build_step_context
from workshops.editor import editor_context
from workshops.forms import BudgetForm, MessageForm, WorkshopForm
from workshops.models import ChatMessage, Workshop, WorkshopStep
from workshops.schemas import schema_fields
from workshops.selectors import step_page, workshop_list, workshop_steps


def _load_step(request: HttpRequest, pk: int, step_id: str) -> WorkshopStep:
    steps = WorkshopStep.objects.select_related("workshop", "step_definition").filter(
        workshop__owner=request.user
    )
    return get_tenant_object_or_404(steps, request, workshop_id=pk, step_definition_id=step_id)


def _step_url(step: WorkshopStep, anchor: str = "") -> str:
    url = reverse("workshops:step", args=[step.workshop_id, step.step_id])
    return f"{url}#{anchor}" if anchor else url


def _render_step(
    request: HttpRequest,
    step: WorkshopStep,
    status: int = 200,
    editor: dict[str, Any] | None = None,
    **extra: Any,
):
    """The step page; POST views pass the artifact editor's state in `editor` (see
    workshops.editor.editor_context) and bound forms, a conflict or a proposal in `extra`."""
    page = step_page(step=step)
    schema = step.step_definition.schema
    assistant = get_assistant()
    context = {
        "page": page,
        "step": step,
        "workshop": step.workshop,
        "schema_fields": schema_fields(schema),
        "message_form": MessageForm(),
        "awaiting_reply": page.awaiting_reply,
        "summary_version": page.summary.version if page.summary else 0,
        "assistant_name": assistant.name,
        "assistant_offline": assistant.offline,
        **editor_context(step, page.artifact, **(editor or {})),
        **extra,
    }
    return render(request, "workshops/step.html", context, status=status)


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


@login_required
def workshop_detail(request: HttpRequest, pk: int) -> HttpResponse:
    workshop = get_tenant_object_or_404(Workshop.objects.owned_by(request.user), request, pk=pk)
    steps = workshop_steps(workshop=workshop)
    return render(request, "workshops/detail.html", {"workshop": workshop, "steps": steps})


@require_GET
@login_required
def step_detail(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    return _render_step(request, _load_step(request, pk, step_id))


def _failure_text(failure: Exception) -> str:
    return " ".join(failure.messages) if isinstance(failure, ValidationError) else str(failure)


@require_POST
@login_required
def step_messages(request: HttpRequest, pk: int, step_id: str) -> HttpResponse:
    """Send a message (or retry the reply to the last one); htmx gets the new messages."""
    step = _load_step(request, pk, step_id)
    form = MessageForm(request.POST)
    new: list[ChatMessage] = []
    error = ""
    if request.POST.get("action") == "retry":
        form = MessageForm()
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
                assistant=get_assistant(),
            )
        except ValidationError as invalid:
            apply_service_errors(form, invalid)
        else:
            form, error = MessageForm(), outcome.error
            new = [m for m in (outcome.user_message, outcome.reply) if m is not None]
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
