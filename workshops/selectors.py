"""Reads for the workshop pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from tenancy.models import User
from workshops.models import ChatMessage, StepArtifact, StepSummary, Workshop, WorkshopStep

DONE = WorkshopStep.Status.DONE


def workshop_list(*, user: User) -> QuerySet[Workshop]:
    """My workshops, newest first, with their step counts (one query)."""
    return Workshop.objects.owned_by(user).annotate(
        step_count=Count("steps"),
        done_count=Count("steps", filter=Q(steps__status=DONE)),
    )


def workshop_steps(*, workshop: Workshop) -> list[WorkshopStep]:
    """The workshop's steps in order, with what each has saved (one query)."""
    return list(
        WorkshopStep.objects.filter(tenant_id=workshop.tenant_id, workshop=workshop)
        .select_related("step_definition")
        .annotate(
            has_artifact=Exists(StepArtifact.objects.filter(workshop_step=OuterRef("pk"))),
            has_summary=Exists(StepSummary.objects.filter(workshop_step=OuterRef("pk"))),
        )
        .order_by("step_definition__order")
    )


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


def step_page(*, step: WorkshopStep) -> StepPage:
    """Everything the step page shows: four queries, however long the chat."""
    scoped = {"tenant_id": step.tenant_id, "workshop_step": step}
    return StepPage(
        step=step,
        steps=workshop_steps(workshop=step.workshop),
        chat=list(ChatMessage.objects.filter(**scoped).order_by("created_at", "id")),
        artifact=StepArtifact.objects.filter(**scoped).first(),
        summary=StepSummary.objects.filter(**scoped).first(),
    )


def dashboard_card(user: User) -> dict:
    counts = WorkshopStep.objects.filter(tenant_id=user.tenant_id, workshop__owner=user).aggregate(
        workshops=Count("workshop", distinct=True),
        steps=Count("id"),
        done=Count("id", filter=Q(status=DONE)),
    )
    return {
        "title": "Workshops",
        "value": counts["workshops"],
        "detail": f"{counts['done']} of {counts['steps']} steps done",
        "url": reverse("workshops:list"),
    }
