"""Creating proposals: validation on the way in, batches all or none, tenant fence."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from crm_artifacts import services
from crm_artifacts.models import CreatorType, ProfileEditStatus, Proposal
from tests.crm_artifacts.factories import CustomerFactory
from tests.utils import count_queries

pytestmark = pytest.mark.django_db

Edit = services.ProfileEditInput


def create(customer, *edits, **kwargs):
    kwargs.setdefault("created_by_type", CreatorType.AGENT)
    return services.artifact_create_batch(customer=customer, edits=list(edits), **kwargs)


def test_create_batch_records_every_column_and_the_previous_value(customer, bob, in_tenant):
    with in_tenant(bob):
        artifacts = create(
            customer,
            Edit("email", " Jane@NEW.example ", "Her email is Jane@NEW.example", "high"),
            Edit("occupation", "Architect", "She is an architect", "medium"),
            created_by_id="profile-agent",
            workflow_trigger="follow_up",
            requested_by=bob,
        )
        stored = list(Proposal.objects.order_by("id"))
    assert [a.pk for a in artifacts] == [a.pk for a in stored]
    email = stored[0]
    assert email.tenant_id == customer.tenant_id
    assert (email.customer_id, email.rm_id) == (customer.pk, bob.pk)
    assert email.batch_id == stored[1].batch_id
    assert (email.version, email.artifact_type, email.status) == (1, "profile_edit", "pending")
    assert (email.created_by_type, email.created_by_id) == ("agent", "profile-agent")
    assert email.workflow_trigger == "follow_up"
    assert (email.decided_by, email.decided_at) == (None, None)
    assert email.payload == {
        "field_key": "email",
        "field_display_name": "Email",
        "proposed_value": "jane@new.example",
        "previous_value": "jane@old.example",
        "source_text": "Her email is Jane@NEW.example",
        "confidence": "high",
    }
    assert stored[1].payload["previous_value"] is None


def test_create_one_is_a_batch_of_one(customer, in_tenant):
    with in_tenant(customer.tenant):
        artifact = services.artifact_create(
            customer=customer,
            edit=Edit("dependents", "3"),
            created_by_type=CreatorType.SYSTEM,
        )
        assert artifact.payload["proposed_value"] == 3
        assert "confidence" not in artifact.payload
        assert Proposal.objects.filter(batch_id=artifact.batch_id).count() == 1


def test_create_one_can_join_the_customers_batch(customer, in_tenant, make_batch):
    (first,) = make_batch(customer, email="a@b.example")
    with in_tenant(customer.tenant):
        second = services.artifact_create(
            customer=customer,
            edit=Edit("phone", "+44 20 7946 0958"),
            created_by_type=CreatorType.ADMIN,
            batch_id=first.batch_id,
        )
        assert second.batch_id == first.batch_id
        with pytest.raises(ValidationError, match="Email is proposed twice"):
            services.artifact_create(
                customer=customer,
                edit=Edit("email", "c@d.example"),
                created_by_type=CreatorType.ADMIN,
                batch_id=first.batch_id,
            )


def test_a_batch_cannot_span_customers(customer, bob, in_tenant, make_batch):
    other = CustomerFactory(rm=bob)
    (first,) = make_batch(customer, email="a@b.example")
    with in_tenant(bob), pytest.raises(ValidationError, match=services.BATCH_OF_ANOTHER_CUSTOMER):
        create(other, Edit("email", "x@y.example"), batch_id=first.batch_id)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (Edit("favouriteColour", "blue"), "Unknown profile field"),
        (Edit("email", "not-an-email"), "Email: Enter a valid email address."),
        (Edit("email", ""), "Email: Give a value."),
        (Edit("email", 42), "Email: Must be text."),
        (Edit("phone", "call me"), "Phone: Enter a phone number"),
        (Edit("dateOfBirth", "12/05/1984"), "Date of birth: Enter a date as YYYY-MM-DD."),
        (Edit("dateOfBirth", "2999-01-01"), "Date of birth: A date of birth lies between"),
        (Edit("dependents", 99), "Dependents: Enter a number from 0 to 20."),
        (Edit("dependents", True), "Dependents: Enter a whole number."),
        (Edit("riskTolerance", "yolo"), "Risk tolerance: Choose one of"),
        (Edit("fullName", "x" * 151), "Full name: At most 150 characters."),
        (Edit("occupation", "Pilot", confidence="certain"), services.INVALID_CONFIDENCE),
        (Edit("occupation", "Pilot", source_text=["list"]), services.SOURCE_TEXT_NOT_TEXT),
        (Edit("occupation", "Pilot", source_text="x" * 1001), "at most 1000 characters"),
        (Edit("employer", "Globodyne"), "Employer already has this value."),
    ],
)
def test_payload_is_validated_on_the_way_in(customer, in_tenant, edit, message):
    with in_tenant(customer.tenant), pytest.raises(ValidationError) as error:
        create(customer, edit)
    assert any(message in m for m in error.value.messages), error.value.messages
    with in_tenant(customer.tenant):
        assert not Proposal.objects.exists()


def test_choice_values_are_normalised(customer, in_tenant):
    with in_tenant(customer.tenant):
        (artifact,) = create(customer, Edit("maritalStatus", "Civil partnership"))
    assert artifact.payload["proposed_value"] == "civil-partnership"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"created_by_type": "robot"}, services.UNKNOWN_CREATOR_TYPE),
        ({"created_by_id": "x" * 101}, services.CREATOR_ID_TOO_LONG),
        ({"workflow_trigger": "launch_rockets"}, "Unknown workflow “launch_rockets”"),
        ({"batch_id": "no spaces/slashes"}, services.INVALID_BATCH_ID),
        ({"batch_id": "x" * 65}, services.INVALID_BATCH_ID),
    ],
)
def test_creation_refuses_bad_metadata(customer, in_tenant, kwargs, message):
    with in_tenant(customer.tenant), pytest.raises(ValidationError) as error:
        create(customer, Edit("occupation", "Pilot"), **kwargs)
    assert any(message in m for m in error.value.messages)


def test_batch_creation_is_all_or_none(customer, in_tenant):
    edits = [Edit("occupation", "Pilot"), Edit("phone", "07700 900123"), Edit("email", "broken")]
    with in_tenant(customer.tenant), pytest.raises(ValidationError) as error:
        create(customer, *edits)
    assert error.value.messages == ["Email: Enter a valid email address."]
    with in_tenant(customer.tenant):
        assert not Proposal.objects.exists()


@pytest.mark.django_db(transaction=True)  # the owner's ALTER must not wait on our locks
def test_batch_creation_rolls_back_when_the_database_refuses(customer, in_tenant, owner_connection):
    """A failure inside the INSERT (here a trigger-free CHECK) leaves nothing behind."""
    owner_connection.execute(
        "ALTER TABLE crm_artifacts_artifact ADD CONSTRAINT test_no_pilots "
        "CHECK (payload->>'proposed_value' <> 'Pilot')"
    )
    try:
        edits = [Edit("phone", "07700 900123"), Edit("occupation", "Pilot")]
        with in_tenant(customer.tenant):
            with pytest.raises(IntegrityError), transaction.atomic():
                create(customer, *edits)
            assert not Proposal.objects.exists()
    finally:
        owner_connection.execute(
            "ALTER TABLE crm_artifacts_artifact DROP CONSTRAINT test_no_pilots"
        )


def test_a_batch_is_one_insert_whatever_its_size(customer, in_tenant):
    with in_tenant(customer.tenant):
        small, _ = count_queries(lambda: create(customer, Edit("occupation", "Pilot")))
        large, _ = count_queries(
            lambda: create(
                customer,
                Edit("phone", "07700 900123"),
                Edit("address", "1 Main St"),
                Edit("maritalStatus", "single"),
                Edit("dateOfBirth", "1980-01-01"),
            )
        )
    assert small == large


def test_empty_and_oversized_batches_are_refused(customer, in_tenant):
    with in_tenant(customer.tenant):
        with pytest.raises(ValidationError, match=services.EMPTY_BATCH):
            create(customer)
        with pytest.raises(ValidationError, match="at most 50 proposals"):
            create(customer, *[Edit("occupation", f"Job {i}") for i in range(51)])


def test_requested_by_must_be_the_customers_rm(customer, alice, in_tenant):
    with in_tenant(alice), pytest.raises(PermissionDenied):
        create(customer, Edit("occupation", "Pilot"), requested_by=alice)


def test_a_foreign_tenants_customer_is_refused(globex_customer, bob, in_tenant):
    """The fence: from Acme, a Globex customer object is not found (RLS and the check)."""
    with in_tenant(bob):
        with pytest.raises(services.NotFound, match=services.CUSTOMER_NOT_FOUND):
            create(globex_customer, Edit("occupation", "Spy"))
        with pytest.raises(services.NotFound):
            create(globex_customer, Edit("occupation", "Spy"), requested_by=bob)
    with in_tenant(globex_customer.tenant):
        assert not Proposal.objects.exists()


def test_status_check_constraint_holds_in_the_database(customer, in_tenant, make_batch):
    (artifact,) = make_batch(customer, occupation="Pilot")
    with in_tenant(customer.tenant):
        with pytest.raises(IntegrityError), transaction.atomic():
            Proposal.objects.filter(pk=artifact.pk).update(status="maybe")
        with pytest.raises(IntegrityError), transaction.atomic():
            # A decision without a time breaks the audit trail.
            Proposal.objects.filter(pk=artifact.pk).update(status=ProfileEditStatus.ACCEPTED)
