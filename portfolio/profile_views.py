"""The skills profile (confirm, level, remove), my share links, and the shared page.

Thin views over portfolio.services.profile and portfolio.services.shares.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolio import selectors
from portfolio.forms import ConfirmSkillForm, LevelForm, ShareForm
from portfolio.models import WorkArtifact
from portfolio.services import profile as profile_services
from portfolio.services import shares as share_services
from skills.models import Skill
from tenancy import login_throttle
from tenancy.context import tenant_context
from tenancy.forms import apply_service_errors
from tenancy.tokens import token_tenant_id

SHARE_TEMPLATE = "portfolio/shared.html"


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    entries = selectors.profile_entries(user=request.user)
    return render(
        request, "portfolio/profile.html", {"entries": entries, "level_form": LevelForm()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_confirm(request: HttpRequest) -> HttpResponse:
    """GET ?skill=&artifact=: the form; POST: confirm the skill with its evidence."""
    data = request.POST if request.method == "POST" else request.GET
    raw_skill = data.get("skill", "")
    skill = (
        Skill.objects.for_tenant(request.user.tenant_id).filter(pk=int(raw_skill)).first()
        if raw_skill.isdigit() and len(raw_skill) < 19
        else None
    )
    if skill is None:
        raise Http404(profile_services.SKILL_NOT_FOUND)
    artifact_id = request.GET.get("artifact", "")
    choices = selectors.evidence_choices(
        user=request.user, skill_id=skill.pk, artifact_id=artifact_id
    )
    initial = {"skill": skill.pk, "artifacts": [artifact_id] if artifact_id else []}
    form = ConfirmSkillForm(request.POST or None, initial=initial, choices=choices)
    if request.method == "POST" and form.is_valid():
        try:
            profile_services.profile_skill_confirm(
                user=request.user,
                skill_id=skill.pk,
                artifact_ids=form.cleaned_data["artifacts"],
                level=form.cleaned_data["level"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"“{skill.name}” is on your profile.")
            return redirect("portfolio:profile")
    return render(request, "portfolio/profile_confirm.html", {"form": form, "skill": skill})


@login_required
@require_POST
def profile_skill_change(request: HttpRequest, pk: int) -> HttpResponse:
    """One form, two buttons: `action=level` saves the level, `action=remove` removes."""
    try:
        if request.POST.get("action") == "remove":
            entry = profile_services.profile_skill_remove(user=request.user, entry_id=pk)
            messages.success(request, f"“{entry.skill.name}” removed from your profile.")
        else:
            form = LevelForm(request.POST)
            level = (
                form.data.get("level", "") if not form.is_valid() else form.cleaned_data["level"]
            )
            entry = profile_services.profile_skill_set_level(
                user=request.user, entry_id=pk, level=level
            )
            messages.success(request, f"“{entry.skill.name}”: {entry.get_level_display()}.")
    except profile_services.ProfileSkillNotFound as error:
        raise Http404(profile_services.ENTRY_NOT_FOUND) from error
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("portfolio:profile")


def _share_page(request: HttpRequest, *, form: ShareForm, created: dict | None = None):
    context = {
        "form": form,
        "shares": selectors.shares_of(user=request.user),
        "created": created,
    }
    return render(request, "portfolio/shares.html", context)


def _share_choices(request: HttpRequest) -> list[WorkArtifact]:
    return list(WorkArtifact.objects.owned_by(request.user).newest_first().only("id", "title"))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def shares(request: HttpRequest) -> HttpResponse:
    """My links, and a form for a new one. A new link is shown on the page that
    answers its POST, once: only its hash is kept, so no later page can show it."""
    form = ShareForm(request.POST or None, choices=_share_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            share, token = share_services.share_create(user=request.user, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            link = request.build_absolute_uri(reverse("portfolio:shared", args=[token]))
            fresh = ShareForm(choices=_share_choices(request))
            return _share_page(request, form=fresh, created={"share": share, "link": link})
    return _share_page(request, form=form)


@login_required
@require_POST
def share_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        share = share_services.share_revoke(user=request.user, share_id=pk)
    except share_services.ShareNotFound as error:
        raise Http404(share_services.SHARE_NOT_FOUND) from error
    messages.success(request, f"“{share}” revoked: the link no longer works.")
    return redirect("portfolio:shares")


def _not_found(request: HttpRequest) -> HttpResponse:
    return _unindexed(render(request, "404.html", status=404))


def _unindexed(response: HttpResponse) -> HttpResponse:
    # A share is for the people its owner sends it to: no search engine indexes
    # it, and the token in the URL is not sent on to sites the page links to.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone with the link: exactly what was shared, read inside the share's tenant
    (the token names it), so row-level security fences every query. Unknown, revoked
    and expired tokens are the same 404, which tells nothing of the share.

    Like an invitation link, it is for people who are not signed in: a signed-in
    visitor runs in their own tenant and sees a 404 that says to open the link in a
    private window (nothing of the share is read).
    """
    if request.user.is_authenticated:
        return _unindexed(render(request, "portfolio/shared_signed_in.html", status=404))
    # The sign-in throttle's per-address limit, in a scope of its own: an address
    # that keeps trying unknown tokens is refused for a while.
    address = login_throttle.client_address(request)
    if login_throttle.link_lockout(address=address):
        return _unindexed(render(request, "portfolio/shared_locked.html", status=429))
    tenant_id = token_tenant_id(token)
    if tenant_id is not None:
        with tenant_context(tenant_id):
            try:
                share = share_services.share_open(token=token)
            except share_services.ShareNotFound:
                pass
            else:
                return _unindexed(render(request, SHARE_TEMPLATE, _shared_context(share)))
    login_throttle.record_link_miss(address=address)
    return _not_found(request)


def _shared_context(share) -> dict:
    """What the share shows; read in the share's tenant context (the caller's)."""
    artifacts = selectors.shared_artifacts(share=share)
    entries = (
        selectors.profile_entries(user=share.user, artifact_ids=[a.pk for a in artifacts])
        if share.include_skills
        else []
    )
    return {"share": share, "owner": share.user, "artifacts": artifacts, "entries": entries}
