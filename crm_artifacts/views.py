"""The RM's review screens: customers, a customer's proposals, all pending proposals.

Every action is a plain POST that redirects back (post/redirect/get) and,
for an htmx request, answers the customer's re-rendered review region
instead. A stale accept answers the page with both values and an
"Accept anyway" button; meeting-note results (nudges) are rendered once,
never stored.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from assistant import AssistantError, get_assistant
from crm_artifacts import selectors, services
from crm_artifacts.forms import EditValueForm, NotesForm
from crm_artifacts.models import Artifact, Customer
from crm_artifacts.services.access import ensure_rm_of_artifact, ensure_rm_of_customer
from tenancy.forms import apply_service_errors
from tenancy.shortcuts import get_tenant_object_or_404
from tenancy.transactions import in_request_tenant, outside_request_transaction

ACCEPTED = "{field} accepted: the profile now says “{value}”."
REJECTED = "{field} rejected; the profile is unchanged."
BATCH_ACCEPTED = "{count} proposal(s) accepted and applied to the profile."
BATCH_REJECTED = "{count} proposal(s) rejected."
# A second click (another tab, a double submit) finds the batch already decided.
BATCH_ALREADY_DECIDED = "Nothing left to decide: every proposal in this batch was already decided."
NOTES_BATCH = "{count} proposal(s) from these notes are waiting for your decision."


def _my_customer(request: HttpRequest, pk: int) -> Customer:
    customer = get_tenant_object_or_404(Customer.objects.select_related("rm"), request, pk=pk)
    ensure_rm_of_customer(user=request.user, customer=customer)  # 403 for a teammate
    return customer


def _my_artifact(request: HttpRequest, pk: int) -> Artifact:
    artifact = get_tenant_object_or_404(Artifact.objects.select_related("customer"), request, pk=pk)
    ensure_rm_of_artifact(user=request.user, artifact=artifact)
    return artifact


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _annotate(
    overview: selectors.Overview,
    *,
    errors: dict[int, str],
    stale: dict[int, services.StaleValues],
    edit_forms: dict[int, EditValueForm],
    batch_errors: dict[str, str],
) -> None:
    """Put each refusal, stale warning and edit form on the row the page shows it in."""
    for batch in overview.pending_batches:
        batch.ui_error = batch_errors.get(batch.batch_id)
    rows = [a for b in overview.pending_batches for a in b.artifacts] + overview.history
    for artifact in rows:
        artifact.ui_error = errors.get(artifact.pk)
        artifact.ui_stale = stale.get(artifact.pk)
        artifact.ui_stale_edit = artifact.pk in edit_forms and artifact.pk in stale
        if artifact.is_pending:
            artifact.ui_edit_form = edit_forms.get(artifact.pk) or EditValueForm(artifact=artifact)


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
    if request.method == "POST":
        customer.refresh_from_db()  # a decision may just have written the profile
    overview = selectors.customer_overview(customer)
    _annotate(
        overview,
        errors=errors or {},
        stale=stale or {},
        edit_forms=edit_forms or {},
        batch_errors=batch_errors or {},
    )
    context = {
        "customer": customer,
        "overview": overview,
        "notes_form": notes_form or NotesForm(),
        "assistant": get_assistant(),
        **extra,
    }
    template = "crm_artifacts/customer_detail.html"
    if request.htmx:
        # The real status (409 already decided or stale, 400 bad value, 502 no
        # assistant), with the refusal in the fragment: base.html's htmx config
        # swaps these answers in like a 200.
        return render(request, template + "#review", context, status=status)
    return render(request, template, context, status=status)


def _done(request: HttpRequest, customer: Customer, message: str, *, anchor: str) -> HttpResponse:
    if request.htmx:
        return _overview(request, customer, flash=message)
    messages.success(request, message)
    default = reverse("crm:customer", args=[customer.pk]) + anchor
    return redirect(_next_url(request, default))


def _refused(
    request: HttpRequest, artifact: Artifact, message: str, *, status: int = 409, **extra: Any
) -> HttpResponse:
    """Show the customer's page again with the refusal next to the proposal."""
    customer = artifact.customer
    if customer is None:
        messages.error(request, message)
        return redirect("crm:proposals")
    return _overview(request, customer, status=status, errors={artifact.pk: message}, **extra)


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    customers = selectors.customers_of(request.user)
    return render(request, "crm_artifacts/customer_list.html", {"customers": customers})


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _overview(request, _my_customer(request, pk))


@outside_request_transaction
@login_required
@require_POST
def customer_notes(request: HttpRequest, pk: int) -> HttpResponse:
    """Outside the request's transaction: the customer is read in one short tenant
    transaction, the assistant reads the notes with none open, and
    `services.notes_propose` writes the batch (all or none) in its own."""
    with in_request_tenant(request):
        customer = _my_customer(request, pk)
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


@login_required
@require_POST
def artifact_accept(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _my_artifact(request, pk)
    try:
        services.artifact_accept(
            artifact=artifact, user=request.user, confirm_stale=_confirmed(request)
        )
    except services.StaleProposal as refusal:
        return _refused(request, artifact, refusal.message, stale={artifact.pk: refusal.stale})
    except services.Conflict as refusal:
        return _refused(request, artifact, refusal.message)
    message = ACCEPTED.format(field=artifact.field_label, value=artifact.proposed_display)
    return _done(request, artifact.customer, message, anchor=f"#artifact-{artifact.pk}")


@login_required
@require_POST
def artifact_reject(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _my_artifact(request, pk)
    try:
        services.artifact_reject(artifact=artifact, user=request.user)
    except services.Conflict as refusal:
        return _refused(request, artifact, refusal.message)
    message = REJECTED.format(field=artifact.field_label)
    return _done(request, artifact.customer, message, anchor=f"#artifact-{artifact.pk}")


@login_required
@require_POST
def artifact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _my_artifact(request, pk)
    form = EditValueForm(request.POST, artifact=artifact)
    forms = {artifact.pk: form}
    if not form.is_valid():
        return _refused(request, artifact, "", status=400, edit_forms=forms)
    try:
        services.artifact_accept_with_edits(
            artifact=artifact,
            user=request.user,
            edited_value=form.cleaned_data["value"],
            confirm_stale=_confirmed(request),
        )
    except ValidationError as refusal:
        for message in refusal.messages:
            form.add_error("value", message)
        return _refused(request, artifact, "", status=400, edit_forms=forms)
    except services.StaleProposal as refusal:
        stale = {artifact.pk: refusal.stale}
        return _refused(request, artifact, refusal.message, stale=stale, edit_forms=forms)
    except services.Conflict as refusal:
        return _refused(request, artifact, refusal.message)
    message = ACCEPTED.format(field=artifact.field_label, value=artifact.edited_display)
    return _done(request, artifact.customer, message, anchor=f"#artifact-{artifact.pk}")


def _batch_customer(request: HttpRequest, batch_id: str) -> Customer:
    """The customer of a batch the user may decide (404, 403 or a message otherwise)."""
    first = (
        Artifact.objects.select_related("customer")
        .filter(tenant_id=request.user.tenant_id, batch_id=batch_id)
        .order_by("id")
        .first()
    )
    if first is None:
        raise Http404(services.BATCH_NOT_FOUND)
    ensure_rm_of_artifact(user=request.user, artifact=first)
    if first.customer is None:
        raise PermissionDenied(services.NO_CUSTOMER)
    return first.customer


def _already_decided(request: HttpRequest, customer: Customer) -> HttpResponse:
    """A batch decision that found nothing pending lost a race (or is a second
    click): 409, the customer's page saying so, with the decisions in its history."""
    return _overview(request, customer, status=409, refusal=BATCH_ALREADY_DECIDED)


@login_required
@require_POST
def batch_accept(request: HttpRequest, batch_id: str) -> HttpResponse:
    customer = _batch_customer(request, batch_id)
    try:
        count = services.batch_accept(
            batch_id=batch_id, user=request.user, confirm_stale=_confirmed(request)
        )
    except services.StaleBatch as refusal:
        stale = {s.artifact_id: s for s in refusal.stale}
        return _overview(
            request, customer, status=409, stale=stale, batch_errors={batch_id: refusal.message}
        )
    if not count:
        return _already_decided(request, customer)
    return _done(request, customer, BATCH_ACCEPTED.format(count=count), anchor=f"#batch-{batch_id}")


@login_required
@require_POST
def batch_reject(request: HttpRequest, batch_id: str) -> HttpResponse:
    customer = _batch_customer(request, batch_id)
    count = services.batch_reject(batch_id=batch_id, user=request.user)
    if not count:
        return _already_decided(request, customer)
    return _done(request, customer, BATCH_REJECTED.format(count=count), anchor=f"#batch-{batch_id}")


@login_required
def proposals(request: HttpRequest) -> HttpResponse:
    groups = selectors.pending_proposals(request.user)
    return render(
        request,
        "crm_artifacts/proposals.html",
        {"groups": groups, "total": sum(g.pending_count for g in groups)},
    )
