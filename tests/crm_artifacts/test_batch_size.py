"""Accepting a batch costs the same queries at 10 and at 100 proposals, through the real request."""

from __future__ import annotations

import pytest

from crm_artifacts.models import Proposal
from loadtest.batches import pending_batch
from tests.crm_artifacts.factories import CustomerFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def accept(client, batch: list[Proposal]):
    return client.post(f"/crm/batches/{batch[0].batch_id}/accept/")


def test_accepting_100_proposals_runs_the_queries_of_10(bob, bob_client, in_tenant):
    small = pending_batch(CustomerFactory(rm=bob), size=10)
    large = pending_batch(CustomerFactory(rm=bob), size=100)

    small_queries, small_response = count_queries(lambda: accept(bob_client, small))
    large_queries, large_response = count_queries(lambda: accept(bob_client, large))

    assert small_response.status_code == large_response.status_code == 302
    assert small_queries == large_queries
    with in_tenant(bob):
        assert Proposal.objects.filter(batch_id=large[0].batch_id, status="accepted").count() == 100
        customer = Proposal.objects.select_related("customer").get(pk=large[-1].pk).customer
    # Every field of the batch reached the profile (the last proposal per field wins).
    last = {a.payload["field_key"]: a.payload["proposed_value"] for a in large}
    assert {k: customer.profile[k] for k in last} == last


def test_a_batch_with_workflows_enqueues_one_task_whatever_its_size(
    bob, bob_client, django_capture_on_commit_callbacks
):
    for size in (10, 100):
        batch = pending_batch(CustomerFactory(rm=bob), size=size, workflow_trigger="follow_up")
        with django_capture_on_commit_callbacks() as callbacks:
            assert accept(bob_client, batch).status_code == 302
        assert len(callbacks) == 1, size
