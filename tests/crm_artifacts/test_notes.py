"""Add meeting notes: one batch, a proposal per field found, nothing on failure."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assistant.base import AssistantError, Extraction, ProposedEdit
from crm_artifacts import services
from crm_artifacts.models import Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.test_extraction import SAMPLES

pytestmark = pytest.mark.django_db


class FakeAssistant:
    name = "Fake assistant"
    offline = False

    def __init__(self, extraction=None, error=None):
        self.extraction, self.error = extraction, error

    def extract_profile_edits(self, notes, fields):
        if self.error:
            raise self.error
        return self.extraction


def test_notes_make_one_batch_with_a_proposal_per_field(customer, bob):
    notes = SAMPLES[0][0]
    with tenant_context(bob.tenant_id):
        outcome = services.notes_propose(
            customer=customer, user=bob, notes=notes, workflow_trigger="follow_up"
        )
        stored = list(Proposal.objects.order_by("id"))
    assert outcome.batch_id
    assert {a.batch_id for a in stored} == {outcome.batch_id}
    assert [a.payload["field_key"] for a in stored] == [
        "email",
        "phone",
        "occupation",
        "employer",
        "incomeBandAnnual",
    ]
    employer = stored[3]
    assert employer.payload["previous_value"] == "Globodyne"  # from the profile
    assert employer.payload["source_text"] in notes
    assert employer.payload["confidence"] == "high"
    assert (employer.created_by_type, employer.created_by_id) == ("agent", "Offline assistant")
    assert employer.workflow_trigger == "follow_up"
    assert outcome.offline


def test_values_already_in_the_profile_are_skipped_and_said(customer, bob):
    with tenant_context(bob.tenant_id):
        outcome = services.notes_propose(
            customer=customer, user=bob, notes="She still works at Globodyne. Email x@y.example."
        )
    assert [a.payload["field_key"] for a in outcome.artifacts] == ["email"]
    assert outcome.skipped == ["Employer is already “Globodyne” in the profile."]


def test_notes_with_nothing_to_propose_create_nothing(customer, bob):
    with tenant_context(bob.tenant_id):
        outcome = services.notes_propose(customer=customer, user=bob, notes="Lovely weather.")
        assert outcome.artifacts == []
        assert outcome.batch_id is None
        assert outcome.nudges  # the RM is asked whether anything should be recorded
        assert not Proposal.objects.exists()


def test_an_assistant_failure_writes_nothing(customer, bob):
    failing = FakeAssistant(error=AssistantError("The assistant could not be reached."))
    with tenant_context(bob.tenant_id):
        with pytest.raises(AssistantError, match="could not be reached"):
            services.notes_propose(customer=customer, user=bob, notes="x", assistant=failing)
        assert not Proposal.objects.exists()


def test_bad_values_from_a_provider_are_left_out_with_a_reason(customer, bob):
    provider = FakeAssistant(
        Extraction(
            edits=[
                ProposedEdit("email", "not an email", "quote", "high"),
                ProposedEdit("dependents", 2, "two kids", "high"),
                ProposedEdit("dependents", 5, "five kids", "low"),  # a second value: ignored
                ProposedEdit("shoeSize", 44, "size 44", "high"),  # not a field: ignored
            ],
            nudges=["Ask about pets?"],
        )
    )
    with tenant_context(bob.tenant_id):
        outcome = services.notes_propose(customer=customer, user=bob, notes="x", assistant=provider)
    assert [(a.payload["field_key"], a.payload["proposed_value"]) for a in outcome.artifacts] == [
        ("dependents", 2)
    ]
    assert outcome.skipped == [
        "Left out Email: “not an email” is not a valid value (Enter a valid email address.)"
    ]
    assert outcome.nudges == ["Ask about pets?"]
    assert outcome.offline is False


@pytest.mark.parametrize(
    ("notes", "workflow", "message"),
    [
        ("", None, services.NOTES_REQUIRED),
        ("   ", None, services.NOTES_REQUIRED),
        ("x" * 10_001, None, "at most 10000 characters"),
        ("Email x@y.example", "nope", "Unknown workflow"),
    ],
)
def test_notes_are_validated_before_the_assistant_runs(customer, bob, notes, workflow, message):
    never = FakeAssistant(error=AssertionError("must not be called"))
    with tenant_context(bob.tenant_id), pytest.raises(ValidationError) as error:
        services.notes_propose(
            customer=customer, user=bob, notes=notes, workflow_trigger=workflow, assistant=never
        )
    assert any(message in m for m in error.value.messages)


def test_only_the_rm_adds_notes(customer, alice, carol):
    with tenant_context(alice.tenant_id), pytest.raises(PermissionDenied):
        services.notes_propose(customer=customer, user=alice, notes="Email x@y.example")
    with tenant_context(carol.tenant_id), pytest.raises(services.NotFound):
        services.notes_propose(customer=customer, user=carol, notes="Email x@y.example")
