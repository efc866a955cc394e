from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from messaging import selectors, services
from messaging.forms import ProposeGroupingForm
from messaging.models import SkillMessage
from skills.models import Skill
from tenancy.forms import apply_service_errors
from tenancy.shortcuts import get_tenant_object_or_404
from ui.fragments import fingerprint

# Sent to the page after every change to an inbox: the nav badge listens.
MESSAGES_CHANGED = "messages-changed"


@login_required
@require_POST
def skill_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """POST /skills/<id>/propose/: a proposal to the skill's author."""
    skill = get_tenant_object_or_404(Skill.objects.select_related("author"), request, pk=pk)
    form = ProposeGroupingForm(request.POST, user=request.user, skill=skill)
    sent = None
    if form.is_valid():
        try:
            sent = services.send_skill_message(
                sender=request.user, subject_skill=skill, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
    if sent is not None:
        if not request.htmx:
            messages.success(request, f"Proposal sent to {skill.author}.")
            return redirect("skills:detail", pk=skill.pk)
        form = ProposeGroupingForm(user=request.user, skill=skill)  # ready for another
    context = {"show": True, "skill": skill, "form": form, "sent": sent}
    if request.htmx:
        return render(request, "messaging/partials/propose_form.html", context)
    return render(request, "messaging/propose.html", context)


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """GET /messages/: ?box=sent for what I sent; ?status=pending|answered narrows either box."""
    box = "sent" if request.GET.get("box") == "sent" else "inbox"
    status = selectors.STATUS_FILTERS.get(request.GET.get("status", ""), "")
    read = selectors.sent_messages_for_user if box == "sent" else selectors.messages_for_user
    page = read(user=request.user, page=request.GET.get("page"), status=status)
    # The rows' cache key: whatever changes in them changes it (ui/fragments.py).
    rows_key = fingerprint(request.user.pk, box, page.object_list)
    context = {"page": page, "box": box, "status": status, "rows_key": rows_key}
    return render(request, "messaging/inbox.html", context)


# What each button does, what a plain request is told afterwards, and which
# box its messages are found in (the recipient answers from the inbox, the
# proposer acts from the sent box).
ACTIONS: dict[str, tuple[Callable[..., SkillMessage], str, str]] = {
    "read": (services.mark_read, "Marked as read.", "inbox"),
    "accept": (services.accept, "Accepted: the skill is grouped under its new parent.", "inbox"),
    "decline": (services.decline, "Declined: the skill stays where it was.", "inbox"),
    "withdraw": (services.withdraw, "Withdrawn: the proposal is no longer pending.", "sent"),
    "seen": (services.mark_outcome_seen, "Marked as seen.", "sent"),
}


@login_required
@require_POST
def message_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST /messages/<id>/<action>/: the row back to htmx, else a redirect to its box."""
    service, done, box = ACTIONS[action]
    # Only the user's own messages (received or sent, as the action needs)
    # are found: anyone else gets a 404, the same answer as another tenant's id.
    mine = SkillMessage.objects.received_by if box == "inbox" else SkillMessage.objects.sent_by
    message = get_tenant_object_or_404(mine(request.user), request, pk=pk)
    error = None
    try:
        service(message=message, user=request.user)
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if request.htmx:
        row = selectors.message_for_row(pk=message.pk)
        context = {"m": row, "box": box, "error": error}
        response = render(request, "messaging/inbox.html#message_row", context)
        return trigger_client_event(response, MESSAGES_CHANGED)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(reverse("messaging:inbox") + ("?box=sent" if box == "sent" else ""))


@never_cache
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The nav badge fragment, polled by htmx."""
    if not request.user.is_authenticated:
        # A poll from a page whose session ended: 204 makes htmx swap
        # nothing, rather than a login page inside the nav.
        return HttpResponse(status=204)
    count = selectors.notification_count(user=request.user)
    return render(request, "messaging/partials/unread_badge.html", {"count": count})
