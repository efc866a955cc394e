"""Accepted proposals start their workflow through django-tasks, after the commit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_tasks.signals import task_enqueued, task_finished

from crm_artifacts import services
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


def test_a_rolled_back_decision_enqueues_nothing(
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
