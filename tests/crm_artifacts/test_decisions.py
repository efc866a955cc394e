"""Deciding proposals: the lifecycle, the profile write, stale detection, batches."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm_artifacts import services
from crm_artifacts.models import Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db


def _ctx(user):
    return tenant_context(user.tenant_id)


ALL_FIELDS = {
    "fullName": "Jane Q. Doe",
    "email": "jane@new.example",
    "phone": "07700 900123",
    "dateOfBirth": "1984-05-12",
    "occupation": "Architect",
    "employer": "Initech",
    "incomeBandAnnual": "50k-100k",
    "maritalStatus": "married",
    "dependents": 2,
    "riskTolerance": "aggressive",
    "preferredContact": "email",
    "address": "12 High Street, Bristol",
}


def test_accept_applies_the_value_and_records_the_decision(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, email="jane@new.example")
    with _ctx(bob):
        decided = services.artifact_accept(artifact=artifact, user=bob)
    assert decided.status == "accepted"
    stored = reload(artifact)
    assert (stored.status, stored.decided_by_id) == ("accepted", bob.pk)
    assert stored.decided_at is not None
    assert stored.payload == artifact.payload  # unchanged: an accept adds nothing
    assert reload(customer).profile["email"] == "jane@new.example"


def test_reject_keeps_the_artifact_and_leaves_the_profile(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, email="jane@new.example")
    with _ctx(bob):
        services.artifact_reject(artifact=artifact, user=bob)
    stored = reload(artifact)
    assert (stored.status, stored.decided_by_id) == ("rejected", bob.pk)
    assert reload(customer).profile["email"] == "jane@old.example"


def test_accept_with_edits_stores_edited_value_and_applies_it(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, dependents=3)
    with _ctx(bob):
        services.artifact_accept_with_edits(artifact=artifact, user=bob, edited_value="4")
    stored = reload(artifact)
    assert stored.status == "edited"
    assert stored.payload["edited_value"] == 4
    assert stored.payload["proposed_value"] == 3  # the proposal stays on record
    assert reload(customer).profile["dependents"] == 4


@pytest.mark.parametrize(
    ("value", "message"),
    [("", services.EDITED_VALUE_REQUIRED), (None, "Give the value"), (99, "0 to 20")],
)
def test_accept_with_edits_validates_the_value(customer, bob, make_batch, reload, value, message):
    (artifact,) = make_batch(customer, dependents=3)
    with _ctx(bob), pytest.raises(ValidationError) as error:
        services.artifact_accept_with_edits(artifact=artifact, user=bob, edited_value=value)
    assert any(message in m for m in error.value.messages)
    assert reload(artifact).status == "pending"


@pytest.mark.parametrize("first", ["accepted", "rejected", "edited"])
@pytest.mark.parametrize("second", ["accepted", "rejected", "edited"])
def test_a_decision_is_final(customer, bob, make_batch, reload, first, second):
    (artifact,) = make_batch(customer, occupation="Pilot")
    extra = {"edited_value": "Captain"}
    with _ctx(bob):
        services.artifact_update_status(
            artifact=artifact, user=bob, status=first, **(extra if first == "edited" else {})
        )
    before_artifact, before_profile = reload(artifact), reload(customer).profile
    with _ctx(bob), pytest.raises(services.AlreadyDecided, match=f"already {first}"):
        services.artifact_update_status(
            artifact=artifact, user=bob, status=second, **(extra if second == "edited" else {})
        )
    after = reload(artifact)
    assert (after.status, after.payload, after.decided_at) == (
        before_artifact.status,
        before_artifact.payload,
        before_artifact.decided_at,
    )
    assert reload(customer).profile == before_profile


@pytest.mark.parametrize("status", ["pending", "approved", "", None, 1, ["accepted"]])
def test_update_status_refuses_what_is_not_a_decision(customer, bob, make_batch, reload, status):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob), pytest.raises(ValidationError) as error:
        services.artifact_update_status(artifact=artifact, user=bob, status=status)
    assert error.value.messages == [services.INVALID_DECISION]
    assert reload(artifact).status == "pending"


def test_update_status_takes_edited_value_only_when_editing(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob), pytest.raises(ValidationError, match="only goes with"):
        services.artifact_update_status(
            artifact=artifact, user=bob, status="accepted", edited_value="Captain"
        )
    with _ctx(bob):
        services.artifact_update_status(
            artifact=artifact, user=bob, status="edited", edited_value="Captain"
        )
    assert reload(customer).profile["occupation"] == "Captain"


def test_only_the_attached_rm_decides(customer, alice, carol, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    for status in ["accepted", "rejected"]:
        with _ctx(alice), pytest.raises(PermissionDenied):
            services.artifact_update_status(artifact=artifact, user=alice, status=status)
        with _ctx(carol), pytest.raises(services.NotFound):
            services.artifact_update_status(artifact=artifact, user=carol, status=status)
    with _ctx(alice), pytest.raises(PermissionDenied):
        services.batch_accept(batch_id=artifact.batch_id, user=alice)
    with _ctx(alice), pytest.raises(PermissionDenied):
        services.batch_reject(batch_id=artifact.batch_id, user=alice)
    with _ctx(carol), pytest.raises(services.NotFound):
        services.batch_accept(batch_id=artifact.batch_id, user=carol)
    with _ctx(carol), pytest.raises(services.NotFound):
        services.batch_reject(batch_id=artifact.batch_id, user=carol)
    assert reload(artifact).status == "pending"


def test_a_reassigned_customer_moves_its_proposals_to_the_new_rm(
    customer, alice, bob, make_batch, reload
):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob):
        services.customer_update(customer=customer, rm=alice, profile=customer.profile)
        with pytest.raises(PermissionDenied):
            services.artifact_accept(artifact=artifact, user=bob)
    with _ctx(alice):
        services.artifact_accept(artifact=artifact, user=alice)
    assert reload(artifact).rm_id == bob.pk  # who was RM when it was proposed


def test_a_deleted_customer_leaves_its_proposals_on_record(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob):
        customer.delete()
        orphan = Proposal.objects.get(pk=artifact.pk)
        assert orphan.customer_id is None
        assert services.artifact_get(user=bob, artifact_id=artifact.pk) == orphan
        with pytest.raises(services.Conflict, match=services.NO_CUSTOMER):
            services.artifact_accept(artifact=orphan, user=bob)
        with pytest.raises(services.Conflict, match=services.NO_CUSTOMER):
            services.batch_reject(batch_id=artifact.batch_id, user=bob)


# --- stale detection ---------------------------------------------------------------


def test_accept_is_refused_as_stale_when_the_profile_moved_on(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, email="proposed@x.example")
    with _ctx(bob):
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
    with _ctx(bob), pytest.raises(services.StaleProposal) as error:
        services.artifact_accept(artifact=artifact, user=bob)
    stale = error.value.stale
    assert (stale.current, stale.previous) == ("typed@x.example", "jane@old.example")
    assert "now says “typed@x.example”" in str(error.value)
    assert "expected “jane@old.example”" in str(error.value)
    assert reload(artifact).status == "pending"
    assert reload(customer).profile["email"] == "typed@x.example"

    with _ctx(bob):
        services.artifact_accept(artifact=artifact, user=bob, confirm_stale=True)
    assert reload(customer).profile["email"] == "proposed@x.example"


def test_edited_accept_is_stale_checked_too(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob):
        services.customer_set_profile_values(customer=customer, values={"occupation": "Baker"})
        with pytest.raises(services.StaleProposal):
            services.artifact_accept_with_edits(artifact=artifact, user=bob, edited_value="Chef")
        services.artifact_accept_with_edits(
            artifact=artifact, user=bob, edited_value="Chef", confirm_stale=True
        )
    assert reload(customer).profile["occupation"] == "Chef"


def test_a_profile_already_holding_the_value_is_not_stale(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob):
        services.customer_set_profile_values(customer=customer, values={"occupation": "Pilot"})
        services.artifact_accept(artifact=artifact, user=bob)
    assert reload(artifact).status == "accepted"


def test_rejecting_a_stale_proposal_needs_no_confirmation(customer, bob, make_batch, reload):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with _ctx(bob):
        services.customer_set_profile_values(customer=customer, values={"occupation": "Baker"})
        services.artifact_reject(artifact=artifact, user=bob)
    assert reload(artifact).status == "rejected"


def test_accepting_one_proposal_makes_a_rival_proposal_stale(customer, bob, make_batch):
    (first,) = make_batch(customer, employer="Initech")
    (second,) = make_batch(customer, employer="Hooli")
    with _ctx(bob):
        services.artifact_accept(artifact=first, user=bob)
        with pytest.raises(services.StaleProposal):
            services.artifact_accept(artifact=second, user=bob)


# --- batches -----------------------------------------------------------------------


def test_batch_accept_applies_every_pending_value_and_skips_decided(
    customer, bob, make_batch, reload
):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect", dependents=3)
    with _ctx(bob):
        services.artifact_reject(artifact=batch[1], user=bob)
        count = services.batch_accept(batch_id=batch[0].batch_id, user=bob)
    assert count == 2
    assert [reload(a).status for a in batch] == ["accepted", "rejected", "accepted"]
    assert reload(batch[1]).decided_at < reload(batch[0]).decided_at
    profile = reload(customer).profile
    assert (profile["email"], profile.get("occupation"), profile["dependents"]) == (
        "jane@new.example",
        None,
        3,
    )
    with _ctx(bob):
        assert services.batch_accept(batch_id=batch[0].batch_id, user=bob) == 0


def test_batch_reject_touches_pending_rows_only(customer, bob, make_batch, reload):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect")
    with _ctx(bob):
        services.artifact_accept(artifact=batch[0], user=bob)
        accepted_at = reload(batch[0]).decided_at
        assert services.batch_reject(batch_id=batch[0].batch_id, user=bob) == 1
        assert services.batch_reject(batch_id=batch[0].batch_id, user=bob) == 0
    assert reload(batch[0]).status == "accepted"
    assert reload(batch[0]).decided_at == accepted_at
    assert reload(batch[1]).status == "rejected"
    with _ctx(bob), pytest.raises(services.NotFound):
        services.batch_reject(batch_id="unknown", user=bob)


def test_batch_accept_refuses_a_stale_batch_whole_unless_confirmed(
    customer, bob, make_batch, reload
):
    batch = make_batch(customer, email="jane@new.example", occupation="Architect")
    with _ctx(bob):
        services.customer_set_profile_values(customer=customer, values={"email": "typed@x.example"})
        with pytest.raises(services.StaleBatch) as error:
            services.batch_accept(batch_id=batch[0].batch_id, user=bob)
    assert [s.artifact_id for s in error.value.stale] == [batch[0].pk]
    assert error.value.stale[0].current == "typed@x.example"
    assert [reload(a).status for a in batch] == ["pending", "pending"]
    with _ctx(bob):
        assert services.batch_accept(batch_id=batch[0].batch_id, user=bob, confirm_stale=True) == 2
    assert reload(customer).profile["email"] == "jane@new.example"


def _batch_of(customer, make_batch, size):
    values = dict(list(ALL_FIELDS.items())[:size])
    return make_batch(customer, **values)


@pytest.mark.parametrize("service", [services.batch_accept, services.batch_reject])
def test_batch_decisions_run_a_constant_number_of_queries(bob, make_batch, reload, service):
    small = _batch_of(CustomerFactory(rm=bob, profile={}), make_batch, 2)
    large = _batch_of(CustomerFactory(rm=bob, profile={}), make_batch, 12)
    with _ctx(bob):
        small_queries, small_count = count_queries(
            lambda: service(batch_id=small[0].batch_id, user=bob)
        )
        large_queries, large_count = count_queries(
            lambda: service(batch_id=large[0].batch_id, user=bob)
        )
    assert (small_count, large_count) == (2, 12)
    assert small_queries == large_queries <= 8
    if service is services.batch_accept:
        assert reload(large[0].customer).profile == ALL_FIELDS
