"""Named workflows an accepted proposal can start (its `workflow_trigger`).

A proposal names its workflow when it is created, and an unknown name is
refused then, not discovered after the RM's decision. Accepting the proposal
writes the workflow's follow-up in the decision's own transaction (once: a
unique constraint on tenant, artifact and workflow), then enqueues
`crm_artifacts.tasks.run_workflows` once it has committed; each workflow's
`run` runs there, inside the tenant's context, and must be safe to run twice
(a task backend may retry). `manage.py crm_follow_ups_repair` writes any
follow-up still missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from crm_artifacts.models import Customer, Proposal


@dataclass(frozen=True)
class FollowUpSpec:
    """The follow-up task a workflow leaves for the RM: due in `days`, titled `title`."""

    days: int
    title: str

    def title_for(self, artifact: Proposal, customer: Customer) -> str:
        return self.title.format(
            customer=customer.name,
            field=artifact.field_label,
            value=artifact.edited_display or artifact.proposed_display,
        )

    def due_on(self) -> dt.date:
        return timezone.localdate() + dt.timedelta(days=self.days)


def _ensure_follow_up(artifact: Proposal) -> None:
    from crm_artifacts.services.follow_ups import follow_up_ensure

    follow_up_ensure(artifact_id=artifact.pk, tenant_id=artifact.tenant_id)


@dataclass(frozen=True)
class Workflow:
    """A named workflow. Its `follow_up` is written by the decision itself, in the
    decision's transaction, so it can never be lost; `run` is the work done
    afterwards by the task, which must be idempotent (a backend may retry)."""

    name: str
    label: str
    run: Callable[[Proposal], None]
    follow_up: FollowUpSpec | None = None


WORKFLOWS: dict[str, Workflow] = {
    w.name: w
    for w in [
        Workflow(
            "follow_up",
            "Create a follow-up task to confirm the change with the customer",
            # Nothing left to do once the decision wrote the follow-up; the task
            # still makes sure it exists (decisions made before it was written
            # with them), without a second row.
            _ensure_follow_up,
            FollowUpSpec(7, "Confirm with {customer}: {field} is now “{value}”"),
        ),
        Workflow(
            "risk_review",
            "Create a task to review the customer's investments",
            _ensure_follow_up,
            FollowUpSpec(2, "Review {customer}'s investments: {field} is now “{value}”"),
        ),
    ]
}

WORKFLOW_CHOICES = [(w.name, w.label) for w in WORKFLOWS.values()]


def validate_workflow(name: str | None) -> str | None:
    """The workflow name (None or "" for no workflow), refusing an unknown one."""
    from crm_artifacts.services.errors import UNKNOWN_WORKFLOW

    if name is None or name == "":
        return None
    if not isinstance(name, str) or name not in WORKFLOWS:
        raise ValidationError(
            {
                "workflow_trigger": UNKNOWN_WORKFLOW.format(
                    name=str(name)[:100], known=", ".join(WORKFLOWS)
                )
            }
        )
    return name
