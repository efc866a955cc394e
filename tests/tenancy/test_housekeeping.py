"""`manage.py housekeeping` deletes what is spent and keeps what still counts; the
database task worker runs it again and again once it is scheduled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tenancy import login_throttle
from tenancy.context import tenant_context
from tenancy.housekeeping import SCHEDULE_NEEDS_WORKER, housekeeping_task
from tenancy.invitations import new_token
from tenancy.models import Invitation, LoginThrottle

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LONG_AGO = timezone.now() - dt.timedelta(days=90)


def session(*, expired: bool) -> str:
    store = SessionStore()
    store.set_expiry(-10 if expired else 3600)
    store.create()
    return store.session_key


def invitation(tenant, email: str, **dates) -> Invitation:
    with tenant_context(tenant):
        made = Invitation(tenant=tenant, email=email)
        new_token(made)
        Invitation.objects.filter(pk=made.pk).update(**dates)
        return made


def test_housekeeping_deletes_the_spent_and_keeps_the_rest(acme, globex, alice, settings):
    settings.TASKS = DATABASE_TASKS
    expired, live = session(expired=True), session(expired=False)
    login_throttle.record_failure(email="alice@acme.test", address="203.0.113.1")
    LoginThrottle.objects.update(window_started_at=LONG_AGO)
    login_throttle.record_failure(email="alice@acme.test", address="203.0.113.2")  # fresh
    login_throttle.record_success(email="alice@acme.test", address="203.0.113.3")  # known
    old_task = housekeeping_task.enqueue()
    DBTaskResult.objects.filter(pk=old_task.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=LONG_AGO
    )
    new_task = housekeeping_task.enqueue()
    DBTaskResult.objects.filter(pk=new_task.id).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now()
    )
    gone = [
        invitation(acme, "old@acme.test", expires_at=LONG_AGO),
        invitation(globex, "old@globex.test", expires_at=LONG_AGO),
        invitation(acme, "revoked@acme.test", revoked_at=LONG_AGO),
    ]
    kept = [
        invitation(acme, "open@acme.test"),
        invitation(acme, "accepted@acme.test", expires_at=LONG_AGO, accepted_at=LONG_AGO),
    ]

    call_command("housekeeping")

    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert expired not in Session.objects.values_list("session_key", flat=True)
    scopes = set(LoginThrottle.objects.values_list("scope", flat=True))
    assert not any("203.0.113.1" in scope for scope in scopes)
    assert any("203.0.113.2" in scope for scope in scopes)
    assert "known:alice@acme.test|203.0.113.3" in scopes
    assert [str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)] == [new_task.id]
    for tenant in (acme, globex):
        with tenant_context(tenant):
            left = set(Invitation.objects.values_list("pk", flat=True))
            assert not left & {i.pk for i in gone}
    with tenant_context(acme):
        assert set(Invitation.objects.values_list("pk", flat=True)) == {i.pk for i in kept}


# The worker closes the connection between tasks: committed data, not the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_it_and_queues_the_next_run(acme, settings, capsys):
    settings.TASKS = DATABASE_TASKS
    call_command("housekeeping", "--schedule")
    call_command("housekeeping", "--schedule")
    assert capsys.readouterr().out.splitlines() == ["Queued.", "Already queued: nothing to do."]
    [queued] = DBTaskResult.objects.all()

    call_command("db_worker", "--batch", "--interval", "0", verbosity=0)

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    [following] = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    minutes = (following.run_after - timezone.now()).total_seconds() / 60
    assert (
        settings.HOUSEKEEPING_INTERVAL_MINUTES - 1
        < minutes
        <= settings.HOUSEKEEPING_INTERVAL_MINUTES
    )


def test_scheduling_needs_a_worker_backend():
    with pytest.raises(CommandError, match="TASKS_BACKEND"):
        call_command("housekeeping", "--schedule")
    assert "db_worker" in SCHEDULE_NEEDS_WORKER
