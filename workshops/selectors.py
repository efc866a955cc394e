"""Reads for the workshop pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse

from tenancy.models import User
from tenancy.prepared import BoundRead, prepared, read_together, stand_in
from tenancy.shortcuts import only_names_of
from workshops.models import (
    ChatMessage,
    StepArtifact,
    StepSummary,
    StepVersion,
    Workshop,
    WorkshopParticipant,
    WorkshopStep,
)
from workshops.schemas import format_value, ordered_properties, title_of

DONE = WorkshopStep.Status.DONE


def _with_step_counts(workshops: QuerySet[Workshop], user: User) -> QuerySet[Workshop]:
    return workshops.annotate(
        step_count=Count("steps"),
        done_count=Count("steps", filter=Q(steps__status=DONE)),
        facilitating=ExpressionWrapper(Q(owner=user), output_field=BooleanField()),
    )


def workshop_list(*, user: User) -> QuerySet[Workshop]:
    """Workshops I facilitate and those I take part in, newest first, with their step
    counts and whether I facilitate each (one query)."""
    return _with_step_counts(Workshop.objects.of_member(user).select_related("owner"), user)


def workshop_participants(*, workshop: Workshop) -> list[WorkshopParticipant]:
    """Who takes part besides the facilitator, in the order they were added (one query)."""
    return list(
        WorkshopParticipant.objects.filter(tenant_id=workshop.tenant_id, workshop=workshop)
        .select_related("user")
        .order_by("created_at", "id")
    )


def participant_candidates(*, workshop: Workshop) -> QuerySet[User]:
    """People of the workshop's tenant the facilitator can still add."""
    taken = WorkshopParticipant.objects.filter(
        tenant_id=workshop.tenant_id, workshop=workshop
    ).values("user_id")
    return (
        User.objects.filter(tenant_id=workshop.tenant_id, is_active=True)
        .exclude(pk=workshop.owner_id)
        .exclude(pk__in=taken)
        .order_by("display_name", "email")
    )


def _in_order_with_saved(steps: QuerySet[WorkshopStep]) -> QuerySet[WorkshopStep]:
    return (
        steps.select_related("step_definition")
        .annotate(
            has_artifact=Exists(StepArtifact.objects.filter(workshop_step=OuterRef("pk"))),
            has_summary=Exists(StepSummary.objects.filter(workshop_step=OuterRef("pk"))),
        )
        .order_by("step_definition__order")
    )


def workshop_steps(*, workshop: Workshop) -> list[WorkshopStep]:
    """The workshop's steps in order, with what each has saved (one query)."""
    return list(
        _in_order_with_saved(
            WorkshopStep.objects.filter(tenant_id=workshop.tenant_id, workshop=workshop)
        )
    )


@prepared(user_id=int, tenant_id=int, workshop_id=int)
def _member_workshop_steps(user_id: int, tenant_id: int, workshop_id: int) -> QuerySet:
    user = stand_in(user_id, tenant_id)
    return _in_order_with_saved(member_steps(user=user).filter(workshop_id=workshop_id))


def member_step_and_steps(
    *, user: User, pk: int, step_id: str
) -> tuple[WorkshopStep, list[WorkshopStep]] | None:
    """The step page's step and all its workshop's steps in order, if the user is a
    member: one query, where loading the step and then its workshop's steps took two."""
    steps = _member_workshop_steps(user_id=user.pk, tenant_id=user.tenant_id, workshop_id=pk)
    step = next((s for s in steps if s.step_definition_id == step_id), None)
    return (step, steps) if step is not None else None


@dataclass(frozen=True)
class StepPage:
    step: WorkshopStep
    steps: list[WorkshopStep]
    chat: list[ChatMessage]
    artifact: StepArtifact | None
    summary: StepSummary | None

    @property
    def awaiting_reply(self) -> bool:
        return bool(self.chat) and self.chat[-1].role == ChatMessage.Role.USER

    @property
    def next_step(self) -> WorkshopStep | None:
        later = [s for s in self.steps if s.step_definition.order > self.step.step_definition.order]
        return later[0] if later else None


def step_page(*, step: WorkshopStep, steps: list[WorkshopStep] | None = None) -> StepPage:
    """Everything the step page shows: four queries however long the chat, three when
    the caller has the workshop's steps already (member_step_and_steps); the artifact,
    the summary and the chat in one round trip."""
    scoped = {"tenant_id": step.tenant_id, "step_id": step.pk}
    artifact, summary, chat = read_together(
        _step_artifact.bound(**scoped), _step_summary.bound(**scoped), _step_chat.bound(**scoped)
    )
    return StepPage(
        step=step,
        steps=workshop_steps(workshop=step.workshop) if steps is None else steps,
        chat=chat,
        artifact=artifact[0] if artifact else None,
        summary=summary[0] if summary else None,
    )


@prepared(tenant_id=int, step_id=int)
def _step_chat(tenant_id: int, step_id: int) -> QuerySet[ChatMessage]:
    return only_names_of(
        ChatMessage.objects.filter(tenant_id=tenant_id, workshop_step_id=step_id).select_related(
            "author"
        ),
        "author",
    ).order_by("created_at", "id")


# A step has at most one artifact and one summary (unique per step).
@prepared(tenant_id=int, step_id=int)
def _step_artifact(tenant_id: int, step_id: int) -> QuerySet[StepArtifact]:
    return only_names_of(
        StepArtifact.objects.filter(tenant_id=tenant_id, workshop_step_id=step_id)
        .select_related("saved_by")
        .order_by("pk"),
        "saved_by",
    )[:1]


@prepared(tenant_id=int, step_id=int)
def _step_summary(tenant_id: int, step_id: int) -> QuerySet[StepSummary]:
    return StepSummary.objects.filter(tenant_id=tenant_id, workshop_step_id=step_id).order_by("pk")[
        :1
    ]


# The dashboard lists my newest workshops; its Workshops tile counts them all.
DASHBOARD_WORKSHOPS = 5


class _SumOverGroups(Func):
    """`SUM(<aggregate>) OVER ()` as an integer: an aggregate of a grouped query summed
    over all of its groups before LIMIT, so the first rows and the totals of every
    row come in one statement (Django's Window refuses an aggregate inside one)."""

    function = "SUM"
    template = "(%(function)s(%(expressions)s) OVER ())::integer"
    output_field = IntegerField()


@prepared(user_id=int, tenant_id=int)
def _dashboard_workshops(user_id: int, tenant_id: int) -> QuerySet[Workshop]:
    user = stand_in(user_id, tenant_id)
    # The dashboard shows a workshop's title and step counts: only those are read.
    return _with_step_counts(Workshop.objects.of_member(user).only("title"), user).annotate(
        all_workshops=_SumOverGroups(Count("pk", distinct=True)),
        all_facilitating=_SumOverGroups(Count("pk", distinct=True, filter=Q(owner=user))),
        all_steps=_SumOverGroups(Count("steps")),
        all_done=_SumOverGroups(Count("steps", filter=Q(steps__status=DONE))),
    )[:DASHBOARD_WORKSHOPS]


def dashboard_read(user: User) -> BoundRead:
    """The Workshops tile's one statement (config/dashboard.py runs every tile's together)."""
    return _dashboard_workshops.bound(user_id=user.pk, tenant_id=user.tenant_id)


def dashboard_card(user: User, rows: list | None = None) -> dict:
    """The Workshops tile (facilitated, joined, steps done) and the dashboard's newest
    workshops: one query, where the tile and the list were one each; `rows`,
    dashboard_read's when the dashboard read them already."""
    workshops = dashboard_read(user).run() if rows is None else rows
    first = workshops[0] if workshops else None
    total = first.all_workshops if first else 0
    facilitating = first.all_facilitating if first else 0
    steps, done = (first.all_steps, first.all_done) if first else (0, 0)
    return {
        "title": "Workshops",
        "value": total,
        "detail": f"{facilitating} facilitated, {total - facilitating} joined · "
        f"{done} of {steps} steps done",
        "url": reverse("workshops:list"),
        "workshops": workshops,
        "more_workshops": total > len(workshops),
    }


def step_history(*, step: WorkshopStep, kind: str) -> list[StepVersion]:
    """Every saved version of the step's artifact or summary, newest first, with who saved
    it (one query, by the unique index on tenant, step, kind, version)."""
    return list(
        StepVersion.objects.filter(tenant_id=step.tenant_id, workshop_step=step, kind=kind)
        .select_related("saved_by")
        .order_by("-version")
    )


@dataclass(frozen=True)
class FieldDiff:
    label: str
    old: str
    new: str
    added: list[str]  # list fields: items only in the newer version
    removed: list[str]  # list fields: items only in the older version

    @property
    def changed(self) -> bool:
        return self.old != self.new


def _items(value: Any) -> list[str]:
    return [format_value(item) for item in value] if isinstance(value, list) else []


def version_diff(
    *, step: WorkshopStep, kind: str, old: StepVersion | None, new: StepVersion
) -> list[FieldDiff]:
    """Field by field (in schema order), what changed from `old` (None: nothing) to `new`."""
    if kind == StepVersion.Kind.SUMMARY:
        before = old.content if old else ""
        return [FieldDiff("Summary", before, new.content, [], [])]
    schema = step.step_definition.schema
    a = old.content if old and isinstance(old.content, dict) else {}
    b = new.content if isinstance(new.content, dict) else {}
    names = [name for name, _ in ordered_properties(schema)]
    names += [name for name in [*a, *b] if name not in names]
    rows = []
    for name in dict.fromkeys(names):
        if name not in a and name not in b:
            continue
        old_items, new_items = _items(a.get(name)), _items(b.get(name))
        rows.append(
            FieldDiff(
                title_of(schema, (name,)),
                format_value(a.get(name)),
                format_value(b.get(name)),
                [i for i in new_items if i not in old_items] if old else [],
                [i for i in old_items if i not in new_items] if old else [],
            )
        )
    return rows


def member_steps(*, user: User) -> QuerySet[WorkshopStep]:
    """Steps of the workshops the user facilitates or takes part in, as pages load them."""
    # The membership test on the step's own workshop (joined for select_related), not
    # `workshop__in=<the member's workshops>`: the same rows, with a subquery less to
    # build and plan on every step page and action (about 1.4 ms).
    participant = WorkshopParticipant.objects.filter(
        tenant_id=user.tenant_id, workshop=OuterRef("workshop_id"), user=user
    )
    return WorkshopStep.objects.select_related("workshop", "step_definition").filter(
        Q(workshop__owner=user) | Exists(participant), tenant_id=user.tenant_id
    )


def step_with_changes(*, user: User, pk: int, step_id: str) -> WorkshopStep | None:
    """The step (if the user is a member) with what a poll compares, in one query.

    `last_message_id`, `message_count`, `artifact_version`, who saved it
    (`artifact_saved_by_id`, `artifact_saved_by_name`) and `summary_version` come
    from indexed subqueries on the step's rows, so a poll that finds nothing new
    costs this one statement.
    """
    scoped = {"tenant_id": OuterRef("tenant_id"), "workshop_step": OuterRef("pk")}
    messages = ChatMessage.objects.filter(**scoped).order_by().values("workshop_step")
    artifact = StepArtifact.objects.filter(**scoped)
    return (
        member_steps(user=user)
        .filter(workshop_id=pk, step_definition_id=step_id)
        .annotate(
            last_message_id=Subquery(messages.annotate(m=Max("id")).values("m")),
            message_count=Subquery(messages.annotate(n=Count("id")).values("n")),
            artifact_version=Subquery(artifact.values("version")),
            artifact_saved_by_id=Subquery(artifact.values("saved_by_id")),
            # As User.__str__ says it: the display name, else the email.
            artifact_saved_by_name=Subquery(
                artifact.annotate(
                    who=Coalesce(
                        NullIf("saved_by__display_name", Value("")),
                        "saved_by__email",
                        output_field=CharField(),
                    )
                ).values("who")
            ),
            summary_version=Subquery(StepSummary.objects.filter(**scoped).values("version")),
        )
        .first()
    )


def messages_after(*, step: WorkshopStep, after: int) -> list[ChatMessage]:
    """The step's messages newer than id `after`, with their authors (one query)."""
    return list(
        ChatMessage.objects.filter(tenant_id=step.tenant_id, workshop_step=step, id__gt=after)
        .select_related("author")
        .order_by("created_at", "id")
    )
