"""Housekeeping: delete what is no longer needed, on every tenant.

`manage.py housekeeping` runs it once; the task `housekeeping_task` runs it and
queues itself again HOUSEKEEPING_INTERVAL_MINUTES later, so a database task
worker (`manage.py db_worker`) keeps it going once `manage.py housekeeping
--schedule` has queued the first run (idempotent: it queues nothing while a run
is already waiting).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tenancy.context import tenant_context
from tenancy.login_throttle import KNOWN_ADDRESS_DAYS
from tenancy.models import Invitation, LoginThrottle, Tenant

# An invitation is kept this long after it expired, so the People page can still
# say "expired" and offer to resend it.
EXPIRED_INVITATION_DAYS = 30


def housekeeping_run(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete expired sessions, spent sign-in throttle rows, old finished task
    results and long-expired or revoked invitations; how many of each."""
    now = now or timezone.now()
    lockout = dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    counts = {"sessions": Session.objects.filter(expire_date__lt=now).delete()[0]}
    # A count whose window has passed counts nothing, and its lock has ended; a
    # "known address" marker matters for KNOWN_ADDRESS_DAYS.
    spent = Q(window_started_at__lt=now - lockout) & (
        Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    )
    known = Q(scope__startswith="known:")
    stale_known = known & Q(window_started_at__lt=now - dt.timedelta(days=KNOWN_ADDRESS_DAYS))
    counts["sign_in_throttle"] = LoginThrottle.objects.filter(
        (spent & ~known) | stale_known
    ).delete()[0]
    finished = Q(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED])
    old = now - dt.timedelta(days=settings.TASK_RESULT_DAYS)
    counts["task_results"] = DBTaskResult.objects.filter(finished, finished_at__lt=old).delete()[0]
    # Invitations are tenant rows: each tenant's, inside its own context.
    gone = now - dt.timedelta(days=EXPIRED_INVITATION_DAYS)
    closed = Q(expires_at__lt=gone, accepted_at__isnull=True) | Q(revoked_at__lt=gone)
    counts["invitations"] = 0
    for tenant_id in Tenant.objects.values_list("pk", flat=True):
        with tenant_context(tenant_id):
            counts["invitations"] += Invitation.objects.filter(closed).delete()[0]
    return counts


@task()
def housekeeping_task() -> dict[str, int]:
    """Run housekeeping, then queue the next run (before, so a failure never stops it)."""
    housekeeping_schedule(after=timezone.now() + _interval())
    return housekeeping_run()


def _interval() -> dt.timedelta:
    return dt.timedelta(minutes=settings.HOUSEKEEPING_INTERVAL_MINUTES)


SCHEDULE_NEEDS_WORKER = (
    "The task backend runs tasks at once and cannot run one later: set "
    "TASKS_BACKEND=django_tasks_db.DatabaseBackend (production's default) and run "
    "`manage.py db_worker`."
)


def housekeeping_schedule(*, after: dt.datetime | None = None) -> bool:
    """Queue a run for the worker unless one is already waiting; whether one was queued.

    Raises ValueError with SCHEDULE_NEEDS_WORKER under a backend that cannot defer
    (the immediate one would run the chain at once, forever).
    """
    if not housekeeping_task.get_backend().supports_defer:
        raise ValueError(SCHEDULE_NEEDS_WORKER)
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=housekeeping_task.module_path
    )
    if waiting.exists():
        return False
    housekeeping_task.using(run_after=after or timezone.now()).enqueue()
    return True
