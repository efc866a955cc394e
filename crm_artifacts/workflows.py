"""Named workflows an accepted proposal can start (its `workflow_trigger`).

A proposal names its workflow when it is created, and an unknown name is
refused then, not discovered after the RM's decision. The decision enqueues
`crm_artifacts.tasks.run_workflows` once it has committed; each workflow runs
there, inside the tenant's context, and must be safe to run twice (a task
backend may retry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from crm_artifacts.models import Artifact


@dataclass(frozen=True)
class Workflow:
    name: str
    label: str
    run: Callable[[Artifact], None]


def _follow_up(days: int, title: str) -> Callable[[Artifact], None]:
    def run(artifact: Artifact) -> None:
        from crm_artifacts.services.follow_ups import follow_up_record

        if artifact.customer is None:  # deleted since the decision: nobody to follow up
            return
        follow_up_record(
            artifact=artifact,
            workflow=artifact.workflow_trigger or "",
            title=title.format(
                customer=artifact.customer.name,
                field=artifact.field_label,
                value=artifact.edited_display or artifact.proposed_display,
            ),
            due_on=timezone.localdate() + dt.timedelta(days=days),
        )

    return run


WORKFLOWS: dict[str, Workflow] = {
    w.name: w
    for w in [
        Workflow(
            "follow_up",
            "Create a follow-up task to confirm the change with the customer",
            _follow_up(7, "Confirm with {customer}: {field} is now “{value}”"),
        ),
        Workflow(
            "risk_review",
            "Create a task to review the customer's investments",
            _follow_up(2, "Review {customer}'s investments: {field} is now “{value}”"),
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
