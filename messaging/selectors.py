"""Reads of skill messages: inbox, sent box, the unread count, the dashboard card."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from messaging.models import SkillMessage, SkillMessageQuerySet
from tenancy.models import User
from tenancy.prepared import BoundRead, counts_of, digested_page, prepared, stand_in
from tenancy.shortcuts import only_names_of

PAGE_SIZE = 50


# Whom a box's rows name: the inbox its senders, the sent box its recipients (the
# other side is the reader); a row alone, after an action, both.
PEOPLE = {"inbox": ("from_user",), "sent": ("to_user",), "": ("from_user", "to_user")}


def _with_related(qs: SkillMessageQuerySet, box: str = "") -> SkillMessageQuerySet:
    # One query per page whatever its size: every name a row shows comes along, and
    # only the names.
    people = PEOPLE[box]
    return only_names_of(
        qs.select_related(*people, "subject_skill", "proposed_parent_skill"),
        *people,
        subject_skill=("name",),
        proposed_parent_skill=("name",),
    ).order_by("-created_at", "-id")


def _page(qs: SkillMessageQuerySet, page: int | str | None) -> Page:
    result = Paginator(qs, PAGE_SIZE).get_page(page)
    # Read now, inside the caller's tenant context, not whenever a template
    # first iterates (row-level security would show nothing outside it).
    result.object_list = list(result.object_list)
    return result


# ?status= on either box: the proposals still open, or those the author answered.
STATUS_FILTERS = {"pending": "pending", "answered": "answered"}


def _filtered(qs: SkillMessageQuerySet, status: str) -> SkillMessageQuerySet:
    if status == "pending":
        return qs.pending()
    if status == "answered":
        return qs.answered()
    return qs


def messages_for_user(*, user: User, page: int | str | None = 1, status: str = "") -> Page:
    """The user's inbox, newest first, PAGE_SIZE per page (out-of-range pages clamp)."""
    if status:  # a narrowed inbox is built for the request
        received = _filtered(SkillMessage.objects.received_by(user), status)
        return _page(_with_related(received, "inbox"), page)
    # The whole inbox, the one most views ask for: prepared, its page known by its
    # digest until something iterates it (cached rows need only that: ui/fragments.py).
    person = {"user_id": user.pk, "tenant_id": user.tenant_id}
    return digested_page(_inbox_page, page, PAGE_SIZE, **person)


@prepared(user_id=int, tenant_id=int, paged=True)
def _inbox_page(user_id: int, tenant_id: int) -> SkillMessageQuerySet:
    return _with_related(SkillMessage.objects.received_by(stand_in(user_id, tenant_id)), "inbox")


def sent_messages_for_user(*, user: User, page: int | str | None = 1, status: str = "") -> Page:
    """What the user sent, newest first, with each message's status."""
    return _page(_with_related(_filtered(SkillMessage.objects.sent_by(user), status), "sent"), page)


def message_for_row(*, pk: int) -> SkillMessage:
    """One message with what its inbox row shows (after an action changed it)."""
    return _with_related(SkillMessage.objects.all()).get(pk=pk)


def unread_count(*, user: User) -> int:
    """Unread messages in the user's inbox: one COUNT on the partial unread index."""
    return SkillMessage.objects.received_by(user).unread().count()


def awaiting_answer_count(*, user: User) -> int:
    """Proposals in my inbox still waiting for my answer (the dashboard's headline)."""
    return SkillMessage.objects.received_by(user).pending().count()


def notification_count(*, user: User) -> int:
    """The nav badge: unread messages in my inbox plus answers to my proposals I
    have not seen. One COUNT; each side matches a partial index (unread, outcome unseen).
    Asked for on every page (the nav's badge)."""
    rows = _notifications(user_id=user.pk, tenant_id=user.tenant_id)
    return counts_of(rows, "count")["count"]


@prepared(user_id=int, tenant_id=int)
def _notifications(user_id: int, tenant_id: int) -> QuerySet:
    user = stand_in(user_id, tenant_id)
    return (
        SkillMessage.objects.filter(tenant_id=tenant_id)
        .filter(Q(to_user=user, read_at__isnull=True) | Q(from_user=user, proposer_unread=True))
        .order_by()
        .values("tenant_id")
        .annotate(count=Count("id"))
    )


@prepared(user_id=int, tenant_id=int)
def _inbox_counts(user_id: int, tenant_id: int) -> QuerySet:
    return (
        SkillMessage.objects.received_by(stand_in(user_id, tenant_id))
        .order_by()
        .values("to_user_id")
        .annotate(
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            pending=Count("id", filter=Q(status=SkillMessage.Status.PENDING)),
        )
    )


def dashboard_read(user: User) -> BoundRead:
    """The Messages tile's one statement (config/dashboard.py runs every tile's together)."""
    return _inbox_counts.bound(user_id=user.pk, tenant_id=user.tenant_id)


def dashboard_card(user: User, rows: list | None = None) -> dict:
    """The Messages tile; `rows`, dashboard_read's when the dashboard read them already."""
    counts = counts_of(dashboard_read(user).run() if rows is None else rows, "unread", "pending")
    return {
        "title": "Messages",
        "value": counts["unread"],
        "detail": f"unread · {counts['pending']} waiting for your answer",
        "url": reverse("messaging:inbox"),
        "waiting": counts["pending"],  # the dashboard's headline reuses it
    }
