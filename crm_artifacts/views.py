"""The RM's review screens: customers, a customer's proposals, all pending proposals.

Views are thin: parse, call one service (`proposal_decide`, `proposal_decide_batch`,
`notes_propose`), render. Refusals are raised by the services and answered in
one place (config/errors.py, with the status of the error's class); a view only
says where its refusal is best shown (`show_refusals_with`): on the proposal's
row, with both values and "Accept anyway" when stale.

A plain POST redirects back (post/redirect/get). An htmx decision on one
proposal answers its row alone, plus out-of-band updates of the profile card
and of the pending counts; a batch decision answers the review region.
Meeting-note results (nudges) are rendered once, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from assistant import AssistantError, get_assistant
from config.errors import Conflict, DomainError, refusal_page, show_refusals_with
from crm_artifacts import selectors, services
from crm_artifacts.charts import weekly_chart
from crm_artifacts.forms import (
    ApiTokenForm,
    EditValueForm,
    NotesForm,
    PendingFiltersForm,
    ResponseForm,
    edit_prefix_for,
)
from crm_artifacts.models import ApiToken, Customer, Proposal
from crm_artifacts.services import Decision
from tenancy.forms import apply_service_errors
from tenancy.services import is_tenant_admin
from tenancy.transactions import in_request_tenant, outside_request_transaction
from ui.fragments import fingerprint

ACCEPTED = "{field} accepted: the profile now says “{value}”."
REJECTED = "{field} rejected; the profile is unchanged."
REVERTED = "{field} reverted: the profile says “{value}” again."
BATCH_ACCEPTED = "{count} proposal(s) accepted and applied to the profile."
BATCH_REJECTED = "{count} proposal(s) rejected."
# A second click (another tab, a double submit) finds the batch already decided.
BATCH_ALREADY_DECIDED = "Nothing left to decide: every proposal in this batch was already decided."
NOTHING_SELECTED = "Tick the proposals to decide first."
UNDONE = "{count} proposal(s) undone: the profile has its previous values again."
TOKEN_REVOKED = "The token “{name}” is revoked: requests with it now answer 401."
RESPONDED = "Your note on {field} is saved; the agent reads it with the decision."
NOTES_BATCH = "{count} proposal(s) from these notes are waiting for your decision."

ROW_TEMPLATE = "crm_artifacts/partials/decision.html"
CRM_CHANGED = "crm-changed"  # the nav's pending count reloads on it


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _annotate(
    batches: list[selectors.Batch],
    history: list[Proposal],
    *,
    errors: dict[int, str],
    stale: dict[int, services.StaleValues],
    edit_forms: dict[int, EditValueForm],
    batch_errors: dict[str, str],
) -> None:
    """Put each refusal, stale warning and edit form on the row the page shows it in."""
    for batch in batches:
        batch.ui_error = batch_errors.get(batch.batch_id)
    rows = [a for b in batches for a in b.artifacts] + history
    for proposal in rows:
        _annotate_row(proposal, errors=errors, stale=stale, edit_forms=edit_forms)


def _annotate_row(
    proposal: Proposal,
    *,
    errors: dict[int, str],
    stale: dict[int, services.StaleValues],
    edit_forms: dict[int, EditValueForm],
) -> None:
    proposal.ui_error = errors.get(proposal.pk)
    proposal.ui_stale = stale.get(proposal.pk) or getattr(proposal, "ui_stale", None)
    proposal.ui_stale_edit = proposal.pk in edit_forms and proposal.pk in stale
    if proposal.is_pending:
        # Built only if the row is rendered: a row served from the fragment cache never
        # asks for it (twelve unbound forms cost about 2 ms a page).
        proposal.ui_edit_form = edit_forms.get(proposal.pk) or SimpleLazyObject(
            partial(EditValueForm, artifact=proposal)
        )


def _overview(
    request: HttpRequest,
    customer: Customer,
    *,
    status: int = 200,
    notes_form: NotesForm | None = None,
    errors: dict[int, str] | None = None,
    stale: dict[int, services.StaleValues] | None = None,
    edit_forms: dict[int, EditValueForm] | None = None,
    batch_errors: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """The customer's page; its review region alone for htmx."""
    # Cache key of the proposals column (ui/fragments.py): the customer and the digests
    # of its proposals, which the column is worked out from (no row is read while it is
    # cached); none when a refusal, a stale warning or a typed value is shown on a row,
    # which must render as it is now.
    plain = not (errors or stale or edit_forms or batch_errors)
    overview = selectors.customer_overview(customer, digested=plain)
    proposals_key = (
        fingerprint(customer, overview.open_rows, overview.decided_rows) if plain else ""
    )
    assistant = get_assistant()
    # The side column (profile, the empty notes form, open follow-ups) likewise,
    # unless its notes form holds what someone typed.
    side_key = (
        fingerprint(customer, overview.follow_ups, assistant.name, assistant.offline)
        if notes_form is None
        else ""
    )
    overview.on_rows = partial(
        _annotate,
        errors=errors or {},
        stale=stale or {},
        edit_forms=edit_forms or {},
        batch_errors=batch_errors or {},
    )
    context = {
        "customer": customer,
        "overview": overview,
        "notes_form": notes_form or NotesForm(),
        "assistant": assistant,
        "rejection_reasons": services.REJECTION_REASONS,
        "proposals_key": proposals_key,
        "side_key": side_key,
        **extra,
    }
    template = "crm_artifacts/customer_detail.html"
    if not request.htmx:
        context["history"] = history = selectors.profile_history(customer)
        context["history_key"] = fingerprint(history)
    if request.htmx:
        # The real status (409 already decided or stale, 400 bad value, 502 no
        # assistant), with the refusal in the fragment: base.html's htmx config
        # swaps these answers in like a 200.
        return render(request, template + "#review", context, status=status)
    return render(request, template, context, status=status)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_of(request.user)
    context = {"customers": customers, "is_tenant_admin": is_tenant_admin(request.user)}
    return render(request, "crm_artifacts/customer_list.html", context)


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = selectors.get_customer(user=request.user, customer_id=pk)
    return _overview(request, customer, undo=UndoOffer.from_query(request))


@outside_request_transaction
@login_required
@require_POST
def customer_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Outside the request's transaction: the customer is read in one short tenant
    transaction, the assistant reads the notes with none open, and
    `services.notes_propose` writes the batch (all or none) in its own."""
    with in_request_tenant(request):
        customer = selectors.get_customer(user=request.user, customer_id=pk)
    form = NotesForm(request.POST)
    status, outcome = 200, None
    if form.is_valid():
        try:
            outcome = services.notes_propose(
                customer=customer,
                user=request.user,
                notes=form.cleaned_data["notes"],
                workflow_trigger=form.cleaned_data["workflow_trigger"] or None,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            status = 400
        except AssistantError as error:
            form.add_error(None, str(error))
            status = 502
    else:
        status = 400
    with in_request_tenant(request):
        if outcome is None:
            return _overview(request, customer, status=status, notes_form=form)
        # Rendered, not redirected: nudges are shown once and never stored.
        return _overview(request, customer, outcome=outcome)


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm") == "1"


def _row_refusal(pk: int, decision: str):
    """Show a refused decision on the proposal's row (the page, or the row for htmx)."""

    def render_refusal(request: HttpRequest, error: Exception) -> HttpResponse:
        proposal = selectors.get_artifact(user=request.user, artifact_id=pk)
        edit_forms: dict[int, EditValueForm] = {}
        if decision == Decision.EDIT:
            form = EditValueForm(request.POST, artifact=proposal)
            if form.is_valid() and isinstance(error, ValidationError):
                for message in error.messages:
                    form.add_error("value", message)
            edit_forms[pk] = form
        stale = {pk: error.stale} if isinstance(error, services.StaleProposal) else {}
        message = "" if isinstance(error, ValidationError) else error.message
        customer = proposal.customer
        if customer is None:  # nowhere to show the row: the plain refusal page
            return refusal_page(request, error)
        errors = {pk: message}
        if request.htmx:
            _annotate_row(proposal, errors=errors, stale=stale, edit_forms=edit_forms)
            return render(request, ROW_TEMPLATE, {"artifact": proposal, "row_only": True})
        return _overview(request, customer, errors=errors, stale=stale, edit_forms=edit_forms)

    return render_refusal


def _decided_row(request: HttpRequest, proposal: Proposal, message: str) -> HttpResponse:
    """The decided row, plus the profile card and the pending counts out of band."""
    customer = proposal.customer
    counts = selectors.pending_counts(customer=customer, batch_id=proposal.batch_id)
    # The batch's confirm dialogs again (out of band): "Accept all" then lists what is left.
    confirmation = selectors.batch_confirmation(customer=customer, batch_id=proposal.batch_id)
    proposal.ui_flash = message
    _annotate_row(proposal, errors={}, stale={}, edit_forms={})
    context = {
        "artifact": proposal,
        "customer": customer,
        "counts": counts,
        "confirmation": confirmation,
        # A revert in a decided batch: it has no dialogs on the page to refresh.
        "refresh_dialogs": bool(confirmation.pending) or not proposal.is_reverted,
    }
    return trigger_client_event(render(request, ROW_TEMPLATE, context), CRM_CHANGED)


@login_required
@require_POST
def proposal_decision(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Accept, reject, edit (accept the RM's value) or revert one proposal."""
    show_refusals_with(request, _row_refusal(pk, decision))
    edited_value = request.POST.get(f"{edit_prefix_for(pk)}-value", "")
    proposal = services.proposal_decide(
        user=request.user,
        proposal_id=pk,
        decision=decision,
        edited_value=edited_value if decision == Decision.EDIT else services.UNSET,
        confirm_stale=_confirmed(request),
        reason=request.POST.get("reason", ""),
    )
    field = proposal.field_label
    message = {
        Decision.ACCEPT: ACCEPTED.format(field=field, value=proposal.proposed_display),
        Decision.EDIT: ACCEPTED.format(field=field, value=proposal.edited_display),
        Decision.REJECT: REJECTED.format(field=field),
        Decision.REVERT: REVERTED.format(field=field, value=proposal.previous_display or "—"),
    }[decision]
    if request.htmx:
        return _decided_row(request, proposal, message)
    messages.success(request, message)
    default = reverse("crm:customer", args=[proposal.customer_id]) + f"#artifact-{proposal.pk}"
    return redirect(_next_url(request, default))


def _batch_refusal(batch_id: str):
    """Show a refused batch decision on the batch: its stale values, or "already decided"."""

    def render_refusal(request: HttpRequest, error: DomainError | ValidationError) -> HttpResponse:
        customer = selectors.batch_customer(user=request.user, batch_id=batch_id)
        if isinstance(error, ValidationError):
            return _overview(request, customer, batch_errors={batch_id: error.messages[0]})
        if isinstance(error, services.StaleBatch):
            stale = {s.artifact_id: s for s in error.stale}
            return _overview(request, customer, stale=stale, batch_errors={batch_id: error.message})
        return _overview(request, customer, refusal=error.message)

    return render_refusal


@login_required
@require_POST
def batch_decision(
    request: HttpRequest, batch_id: str, decision: str | None = None
) -> HttpResponse:
    """Accept all / reject all of a batch's pending proposals; without `decision` in
    the URL, "Accept selected" / "Reject selected" (the button's value, the ticked ids)."""
    show_refusals_with(request, _batch_refusal(batch_id))
    selected = None
    if decision is None:
        decision = request.POST.get("decision", "")
        selected = request.POST.getlist("ids")
        if not selected:
            raise ValidationError(NOTHING_SELECTED)
    outcome = services.proposal_decide_batch(
        user=request.user,
        batch_id=batch_id,
        decision=decision,
        proposal_ids=selected,
        confirm_stale=_confirmed(request),
        reason=request.POST.get("reason", ""),
    )
    if not outcome.count:
        raise Conflict(BATCH_ALREADY_DECIDED)
    accepted = decision == Decision.ACCEPT
    message = (BATCH_ACCEPTED if accepted else BATCH_REJECTED).format(count=outcome.count)
    # Accepts can be undone (reverted); a rejection changed nothing and stays decided.
    undo = UndoOffer(batch_id, [p.pk for p in outcome.proposals]) if accepted else None
    if request.htmx:
        response = _overview(request, outcome.customer, flash=message, undo=undo)
        return trigger_client_event(response, CRM_CHANGED)
    messages.success(request, message)
    default = reverse("crm:customer", args=[outcome.customer.pk]) + f"#batch-{batch_id}"
    return redirect(_with_undo(_next_url(request, default), undo))


@dataclass
class UndoOffer:
    """The "Undo" form shown after a batch accept: the batch and the ids it decided.

    Only a form: the ids it posts are checked again by the service.
    """

    batch_id: str
    ids: list[int]

    @classmethod
    def from_query(cls, request: HttpRequest) -> UndoOffer | None:
        """The offer a no-JavaScript redirect carries in its URL (see `_with_undo`)."""
        batch_id = request.GET.get("undo", "")
        ids = [int(pk) for pk in request.GET.getlist("ids") if pk.isdigit()]
        return cls(batch_id, ids) if batch_id and ids else None


def _with_undo(url: str, undo: UndoOffer | None) -> str:
    """`url` with the undo offer in its query, before any #fragment."""
    if undo is None:
        return url
    base, hash_, fragment = url.partition("#")
    query = urlencode({"undo": undo.batch_id, "ids": undo.ids}, doseq=True)
    return f"{base}{'&' if '?' in base else '?'}{query}{hash_}{fragment}"


def _undo_refusal(batch_id: str):
    """A refused undo (ids not of this decision, nothing left to undo) above the review."""

    def render_refusal(request: HttpRequest, error: DomainError | ValidationError) -> HttpResponse:
        customer = selectors.batch_customer(user=request.user, batch_id=batch_id)
        message = error.messages[0] if isinstance(error, ValidationError) else error.message
        return _overview(request, customer, refusal=message)

    return render_refusal


@login_required
@require_POST
def batch_undo(request: HttpRequest, batch_id: str) -> HttpResponse:
    """Undo a batch accept: revert each proposal it decided (the posted ids, checked by
    the service); a field changed since is refused on its own, the others are undone."""
    show_refusals_with(request, _undo_refusal(batch_id))
    outcome = services.proposal_undo_batch(
        user=request.user, batch_id=batch_id, proposal_ids=request.POST.getlist("ids")
    )
    refusals = [message for _, message in outcome.refused]
    if not outcome.reverted:
        raise Conflict(" ".join(refusals))
    message = UNDONE.format(count=len(outcome.reverted))
    if request.htmx:
        response = _overview(request, outcome.customer, flash=message, refusals=refusals)
        return trigger_client_event(response, CRM_CHANGED)
    messages.success(request, message)
    for refusal in refusals:
        messages.warning(request, refusal)
    default = reverse("crm:customer", args=[outcome.customer.pk]) + f"#batch-{batch_id}"
    return redirect(_next_url(request, default))


@login_required
@require_GET
def batch_confirm(request: HttpRequest, batch_id: str) -> HttpResponse:
    """ "Accept all" / "Reject all" asks first: this page without JavaScript, the same
    question in a native <dialog> with it (static/js/app.js opens the dialog the
    page already holds). The answer posts to the batch's accept or reject URL."""
    decision = request.GET.get("decision")
    if decision not in Decision.BATCH:
        decision = Decision.ACCEPT
    customer = selectors.batch_customer(user=request.user, batch_id=batch_id)
    confirmation = selectors.batch_confirmation(customer=customer, batch_id=batch_id)
    context = {
        "customer": customer,
        "batch_id": batch_id,
        "decision": decision,
        "pending": confirmation.pending,
        "follow_ups": confirmation.follow_ups,
        # Asked from the all-pending screen: the answer and Cancel go back there.
        "next": _next_url(request, ""),
    }
    return render(request, "crm_artifacts/batch_confirm.html", context)


FOLLOW_UP_CLOSED = {
    "done": "Marked done: “{title}”.",
    "dismiss": "Dismissed: “{title}”.",
}


@login_required
@require_POST
def follow_up_close(request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
    """ "Done" / "Dismiss" on a follow-up task: its row for htmx, else back to the page."""
    follow_up = services.follow_up_close(user=request.user, follow_up_id=pk, outcome=outcome)
    message = FOLLOW_UP_CLOSED[outcome].format(title=follow_up.title)
    if request.htmx:
        context = {"follow_up": follow_up, "follow_up_flash": message}
        return render(request, "crm_artifacts/partials/follow_up.html", context)
    messages.success(request, message)
    default = reverse("crm:customer", args=[follow_up.customer_id]) + "#follow-ups"
    return redirect(_next_url(request, default))


@never_cache
@require_GET
def nav_item(request: HttpRequest) -> HttpResponse:
    """The nav's CRM link with the pending count, or nothing for someone who is the
    relationship manager of no customer (one query; loaded by htmx). A tenant
    admin who is the RM of no customer gets the insights link (one more query)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=204)  # a page whose session ended keeps its nav
    counts = selectors.nav_counts(request.user)
    # A tenant admin who looks after no customer still studies the tenant's insights.
    insights_only = not counts.customers and is_tenant_admin(request.user)
    context = {"counts": counts, "insights_only": insights_only}
    return render(request, "crm_artifacts/partials/nav_item.html", context)


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    """All pending proposals, filtered and sorted by the GET form (state in the URL);
    htmx swaps just the results when a filter changes."""
    form = PendingFiltersForm(request.GET)
    filters = form.filters()
    screen = selectors.pending_screen(request.user, filters)
    form.offer_customers(screen.customers)
    context = {
        "screen": screen,
        "form": form,
        "filters": filters,
        "undo": UndoOffer.from_query(request),
        # Cache keys: whatever changes in what they show changes them (ui/fragments.py).
        # The results are computed from the customers and proposals (PendingScreen).
        "results_key": fingerprint(
            screen.customers, screen.proposals, filters, request.get_full_path()
        ),
        "form_key": fingerprint(sorted(request.GET.lists()), screen.customers),
    }
    template = "crm_artifacts/proposals.html"
    return render(request, template + "#results" if request.htmx else template, context)


# --- API tokens (tenant admins) and responses to agents -------------------------------


@login_required
@never_cache  # the page that shows a new token must not be kept by a browser or proxy
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Tenant admins: the API tokens of the organisation; a new one is shown once."""
    form = ApiTokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                )
                form = ApiTokenForm()
            except ValidationError as error:
                apply_service_errors(form, error)
        if created is None:
            status = 400
    tokens = services.api_tokens_of_tenant(user=request.user)
    context = {"form": form, "tokens": tokens, "created": created}
    return render(request, "crm_artifacts/api_tokens.html", context, status=status)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = services.api_token_revoke(user=request.user, token_id=pk)
    messages.success(request, TOKEN_REVOKED.format(name=token.name))
    return redirect("crm:api-tokens")


@login_required
@require_POST
def proposal_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """The RM's note to the agent; back to the proposal's row on the customer's page."""
    form = ResponseForm(request.POST)
    try:
        proposal = services.proposal_respond(
            user=request.user, proposal_id=pk, note=form.data.get("response", "")
        )
    except ValidationError as error:
        # The note comes back with its error, so nothing typed is lost.
        form.is_valid()
        form.errors.pop("response", None)
        apply_service_errors(form, ValidationError({"response": error.messages}))
        proposal = selectors.get_artifact(user=request.user, artifact_id=pk)
        context = {"form": form, "artifact": proposal, "next": _next_url(request, "")}
        return render(request, "crm_artifacts/respond.html", context, status=400)
    messages.success(request, RESPONDED.format(field=proposal.field_label))
    default = reverse("crm:customer", args=[proposal.customer_id]) + f"#artifact-{proposal.pk}"
    return redirect(_next_url(request, default))


# --- Insights (issue 18 §4) ------------------------------------------------------------


@login_required
@require_GET
def insights(request: HttpRequest) -> HttpResponse:
    """What the agents get right: the RM's customers, or the tenant for its admins."""
    weeks = selectors.clean_weeks(request.GET.get("weeks", ""))
    data = selectors.insights(request.user, weeks=weeks)
    shown = data.series_for(request.GET.get("show", ""))
    context = {
        "data": data,
        "shown": shown,
        "chart": weekly_chart(data.week_starts, shown.weeks),
        "periods": selectors.INSIGHT_WEEKS,
    }
    return render(request, "crm_artifacts/insights.html", context)
