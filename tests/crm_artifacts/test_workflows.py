"""Accepted proposals start their workflow through django-tasks, after the commit."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.signals import task_enqueued, task_finished

from crm_artifacts import services, tasks
from crm_artifacts.models import FollowUp
from crm_artifacts.tasks import run_workflows
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def _recorded(signal):
    results = []

    def record(sender, task_result, **kwargs):
        results.append(task_result)

    signal.connect(record)
    yield results
    signal.disconnect(record)


@pytest.fixture
def enqueued():
    """The task results enqueued while the test runs."""
    yield from _recorded(task_enqueued)


@pytest.fixture
def finished():
    yield from _recorded(task_finished)


def follow_ups(tenant_id):
    with tenant_context(tenant_id):
        return list(FollowUp.objects.order_by("id"))


def test_accept_enqueues_the_workflow_after_commit_and_it_records_a_follow_up(
    customer, bob, make_batch, enqueued, django_capture_on_commit_callbacks
):
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        tenant_context(bob.tenant_id),
    ):
        services.artifact_accept(artifact=artifact, user=bob)
        assert enqueued == []  # nothing runs before the decision commits
    assert len(callbacks) == 1
    (result,) = enqueued
    assert result.task.func is run_workflows.func
    # Ids, not objects: the task may run in another process.
    assert json.loads(json.dumps(result.kwargs)) == {
        "tenant_id": customer.tenant_id,
        "artifact_ids": [artifact.pk],
    }
    assert result.status == "SUCCESSFUL"
    (follow_up,) = follow_ups(customer.tenant_id)
    assert (follow_up.customer_id, follow_up.rm_id, follow_up.artifact_id) == (
        customer.pk,
        bob.pk,
        artifact.pk,
    )
    assert follow_up.workflow == "follow_up"
    assert follow_up.title == "Confirm with Jane Doe: Employer is now “Initech”"
    assert follow_up.due_on == timezone.localdate() + dt.timedelta(days=7)


def test_edited_accept_and_batch_accept_enqueue_one_task(
    customer, bob, make_batch, enqueued, django_capture_on_commit_callbacks
):
    batch = make_batch(
        customer, employer="Initech", riskTolerance="aggressive", workflow_trigger="risk_review"
    )
    with django_capture_on_commit_callbacks(execute=True), tenant_context(bob.tenant_id):
        services.artifact_accept_with_edits(artifact=batch[0], user=bob, edited_value="Hooli")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(bob.tenant_id):
        services.batch_accept(batch_id=batch[0].batch_id, user=bob)
    assert [r.kwargs["artifact_ids"] for r in enqueued] == [[batch[0].pk], [batch[1].pk]]
    titles = [f.title for f in follow_ups(customer.tenant_id)]
    assert "Review Jane Doe's investments: Employer is now “Hooli”" in titles
    assert len(titles) == 2


def test_reject_and_proposals_without_workflow_enqueue_nothing(
    customer, bob, make_batch, enqueued, django_capture_on_commit_callbacks
):
    with_workflow = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    without = make_batch(customer, occupation="Pilot")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(bob.tenant_id):
        services.artifact_reject(artifact=with_workflow[0], user=bob)
        services.artifact_accept(artifact=without[0], user=bob)
    assert enqueued == []
    assert follow_ups(customer.tenant_id) == []


def test_a_rolled_back_decision_enqueues_nothing_and_leaves_no_follow_up(
    customer, bob, make_batch, enqueued, django_capture_on_commit_callbacks
):
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")

    def decide_then_fail() -> None:
        with tenant_context(bob.tenant_id):
            services.artifact_accept(artifact=artifact, user=bob)
            raise RuntimeError("the request failed after the decision")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        decide_then_fail()
    assert callbacks == []
    assert enqueued == []
    assert follow_ups(customer.tenant_id) == []  # rolled back with the decision


def test_the_task_is_idempotent_and_ignores_undecided_artifacts(customer, bob, make_batch):
    accepted, pending = make_batch(
        customer, employer="Initech", occupation="Pilot", workflow_trigger="follow_up"
    )
    with tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=accepted, user=bob)
    ids = [accepted.pk, pending.pk]
    assert run_workflows.call(tenant_id=customer.tenant_id, artifact_ids=ids) == 1
    assert run_workflows.call(tenant_id=customer.tenant_id, artifact_ids=ids) == 1
    assert len(follow_ups(customer.tenant_id)) == 1


def test_the_task_sees_only_its_tenant(customer, globex_customer, bob, carol, make_batch):
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    with tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=artifact, user=bob)
        FollowUp.objects.all().delete()  # as if decided before follow-ups came with it
    # Asked to run Acme's artifact under Globex's id, the task finds nothing.
    assert run_workflows.call(tenant_id=carol.tenant_id, artifact_ids=[artifact.pk]) == 0
    assert follow_ups(customer.tenant_id) == []


def test_a_failing_workflow_is_reported_and_the_decision_stands(
    customer, bob, make_batch, reload, monkeypatch, finished, django_capture_on_commit_callbacks
):
    from crm_artifacts import workflows

    def explode(artifact):
        raise ValueError("downstream system unavailable")

    monkeypatch.setitem(
        workflows.WORKFLOWS, "follow_up", workflows.Workflow("follow_up", "boom", explode)
    )
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=artifact, user=bob)
    assert finished[-1].status == "FAILED"
    assert reload(artifact).status == "accepted"
    assert reload(customer).profile["employer"] == "Initech"


# --- the follow-up is written with the decision, never lost ---------------------------


def test_accept_writes_the_follow_up_in_the_decisions_own_transaction(
    customer, bob, make_batch, enqueued, django_capture_on_commit_callbacks
):
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    with django_capture_on_commit_callbacks(execute=False), tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=artifact, user=bob)
        # Before the commit, and with no task run: the decision wrote it.
        (follow_up,) = FollowUp.objects.all()
        assert (follow_up.artifact_id, follow_up.workflow) == (artifact.pk, "follow_up")
    assert enqueued == []


def test_the_follow_up_is_kept_when_the_task_queue_is_down(
    customer, bob, make_batch, reload, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(**kwargs):
        raise ConnectionError("task queue unreachable")

    monkeypatch.setattr(tasks, "run_workflows", SimpleNamespace(enqueue=unreachable))
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="risk_review")
    with django_capture_on_commit_callbacks(execute=True), tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=artifact, user=bob)
    assert reload(artifact).status == "accepted"
    assert [(f.artifact_id, f.workflow) for f in follow_ups(customer.tenant_id)] == [
        (artifact.pk, "risk_review")
    ]


def forget_follow_ups(tenant_id: int) -> None:
    """As if the proposals were decided before follow-ups came with the decision."""
    with tenant_context(tenant_id):
        FollowUp.objects.all().delete()


def test_the_task_writes_a_missing_follow_up_once(customer, bob, make_batch):
    (artifact,) = make_batch(customer, employer="Initech", workflow_trigger="follow_up")
    with tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=artifact, user=bob)
    forget_follow_ups(customer.tenant_id)
    for _ in range(2):
        run_workflows.call(tenant_id=customer.tenant_id, artifact_ids=[artifact.pk])
    (follow_up,) = follow_ups(customer.tenant_id)
    assert follow_up.title == "Confirm with Jane Doe: Employer is now “Initech”"


def test_the_repair_command_writes_every_missing_follow_up_once(
    customer, globex_customer, bob, carol, make_batch
):
    accepted, edited, rejected = make_batch(
        customer, employer="Initech", occupation="Pilot", dependents=3, workflow_trigger="follow_up"
    )
    (without_workflow,) = make_batch(customer, email="jane@new.example")
    (globex,) = make_batch(globex_customer, employer="Hooli", workflow_trigger="risk_review")
    with tenant_context(bob.tenant_id):
        services.artifact_accept(artifact=accepted, user=bob)
        services.artifact_accept_with_edits(artifact=edited, user=bob, edited_value="Baker")
        services.artifact_reject(artifact=rejected, user=bob)
        services.artifact_accept(artifact=without_workflow, user=bob)
    with tenant_context(carol.tenant_id):
        services.artifact_accept(artifact=globex, user=carol)
    forget_follow_ups(customer.tenant_id)
    forget_follow_ups(globex_customer.tenant_id)

    out = io.StringIO()
    call_command("crm_follow_ups_repair", stdout=out)
    assert out.getvalue() == "3 missing follow-up(s) written.\n"
    again = io.StringIO()
    call_command("crm_follow_ups_repair", stdout=again)
    assert again.getvalue() == "0 missing follow-up(s) written.\n"

    acme = follow_ups(customer.tenant_id)
    assert sorted((f.artifact_id, f.workflow) for f in acme) == [
        (accepted.pk, "follow_up"),
        (edited.pk, "follow_up"),
    ]
    assert [f.title for f in acme if f.artifact_id == edited.pk] == [
        "Confirm with Jane Doe: Occupation is now “Baker”"
    ]
    (globex_follow_up,) = follow_ups(globex_customer.tenant_id)
    assert (globex_follow_up.artifact_id, globex_follow_up.rm_id) == (globex.pk, carol.pk)
