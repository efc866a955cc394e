"""Follow-up tasks recorded by workflows, and the RM ticking them off."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from crm_artifacts.models import Artifact, FollowUp
from crm_artifacts.services.errors import FOLLOW_UP_NOT_YOURS
from tenancy.models import User


@transaction.atomic
def follow_up_record(*, artifact: Artifact, workflow: str, title: str, due_on: dt.date) -> FollowUp:
    """Record the follow-up for an accepted artifact, once (a retried task finds it)."""
    follow_up, _ = FollowUp.objects.get_or_create(
        tenant_id=artifact.tenant_id,
        artifact=artifact,
        workflow=workflow,
        defaults={
            "customer_id": artifact.customer_id,
            "rm_id": artifact.customer.rm_id if artifact.customer else artifact.rm_id,
            "title": title[:300],
            "due_on": due_on,
        },
    )
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, user: User) -> FollowUp:
    """Tick a follow-up off: its RM, or a tenant admin on their behalf."""
    if follow_up.tenant_id != user.tenant_id:
        raise PermissionDenied(FOLLOW_UP_NOT_YOURS)
    if follow_up.rm_id != user.pk and not user.is_staff:
        raise PermissionDenied(FOLLOW_UP_NOT_YOURS)
    FollowUp.objects.filter(pk=follow_up.pk).update(done=True)
    follow_up.done = True
    return follow_up
