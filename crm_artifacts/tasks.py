"""Background work: the workflows accepted proposals start (django-tasks)."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task

from crm_artifacts.models import ProfileEditStatus, Proposal
from crm_artifacts.workflows import WORKFLOWS
from tenancy.context import tenant_context

logger = logging.getLogger(__name__)


@task()
def run_workflows(*, tenant_id: int, artifact_ids: list[int]) -> int:
    """Run the workflow of each accepted artifact; return how many ran.

    Takes ids, not objects: the task may run in another process, after the
    decision committed, and must read through the tenant's row-level security.
    """
    ran = 0
    failed: list[int] = []
    with tenant_context(tenant_id):
        artifacts = (
            Proposal.objects.select_related("customer")
            .filter(
                tenant_id=tenant_id,
                pk__in=artifact_ids,
                status__in=(ProfileEditStatus.ACCEPTED, ProfileEditStatus.EDITED),
            )
            .exclude(workflow_trigger=None)
            .order_by("id")
        )
        for artifact in artifacts:
            workflow = WORKFLOWS.get(artifact.workflow_trigger or "")
            if workflow is None:  # renamed since creation: say so, run the others
                logger.error(
                    "artifact %s: unknown workflow %r", artifact.pk, artifact.workflow_trigger
                )
                failed.append(artifact.pk)
                continue
            try:
                with transaction.atomic():  # one failing workflow keeps the others
                    workflow.run(artifact)
            except Exception:
                logger.exception("artifact %s: workflow %s failed", artifact.pk, workflow.name)
                failed.append(artifact.pk)
            else:
                ran += 1
    if failed:
        raise RuntimeError(f"workflows failed for artifacts {failed}")
    return ran
