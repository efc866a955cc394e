"""Fuzzing crm_artifacts.services with what the notes and edit-value forms, the
admin's customer form, the JSON API and the assistant can hand them, and worse:
succeed, or refuse (ValidationError, or the CRM's NotFound/Conflict and
PermissionDenied, which answer 404/409/403) having written nothing.

bob is the relationship manager; alice's customer answers him 403 and carol's
(another tenant) 404. The JSON API passes any JSON value, so decisions get
those, lone surrogates included.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from crm_artifacts import services
from crm_artifacts.fields import FIELD_KEYS
from crm_artifacts.models import Confidence, CreatorType, Customer, FollowUp, Proposal
from crm_artifacts.workflows import WORKFLOWS
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory
from tests.fuzz.harness import (
    RESET_PER_EXAMPLE,
    check_refusal_writes_nothing,
    dates,
    json_texts,
    json_values,
    numbers,
    propose,
    texts,
)

pytestmark = pytest.mark.django_db

TABLES = [Customer, Proposal, FollowUp]
REFUSALS = (PermissionDenied, services.CrmError)
CUSTOMERS = ["mine", "teammate", "outsider"]
field_keys = st.sampled_from(FIELD_KEYS) | texts(20)
# What a profile form field hands over (text, a number, a date) or a JSON client sends.
profile_values = st.one_of(texts(300), numbers, dates, st.none(), json_values)
workflows = st.none() | st.sampled_from(["", *WORKFLOWS]) | texts(30)


@pytest.fixture
def crm(alice, bob, carol) -> dict:
    """bob's customer with pending and decided proposals, alice's, and carol's at Globex."""
    mine = CustomerFactory(rm=bob, profile={"fullName": "Jane Doe", "dependents": 1})
    pending = propose(
        mine,
        email="jane@new.example",
        occupation="Pilot",
        address="1 Main St",
        dateOfBirth="1980-02-29",
        dependents=3,
    )
    decided = propose(mine, employer="Initech")[0]
    with tenant_context(bob.tenant_id):
        services.artifact_reject(artifact=decided, user=bob)
    teammate = CustomerFactory(rm=alice, profile={"fullName": "Alice's customer"})
    outsider = CustomerFactory(rm=carol, profile={"fullName": "Greta Globex"})
    return {
        "customers": {"mine": mine, "teammate": teammate, "outsider": outsider},
        "pending": pending,
        "artifacts": {
            "decided": decided,
            "teammate": propose(teammate, occupation="Chef")[0],
            "outsider": propose(outsider, occupation="Baker")[0],
        },
    }


def _check(bob, carol, call):
    with tenant_context(bob.tenant_id):
        return check_refusal_writes_nothing(
            call, tables=TABLES, tenants=[bob.tenant, carol.tenant], refusals=REFUSALS
        )


@RESET_PER_EXAMPLE
@given(
    notes=texts(services.NOTES_MAX_LENGTH)
    | st.sampled_from(
        ["Her new email is jane@example.org and she works at Initech as a pilot."]
    ).flatmap(lambda s: texts(50).map(lambda t: f"{s} Her employer is {t}.")),
    workflow=workflows,
    target=st.sampled_from(CUSTOMERS),
)
def test_notes_propose(bob, carol, crm, notes, workflow, target):
    customer = crm["customers"][target]
    _check(
        bob,
        carol,
        lambda: services.notes_propose(
            customer=customer, user=bob, notes=notes, workflow_trigger=workflow
        ),
    )


@RESET_PER_EXAMPLE
@given(edited_value=json_texts(300), index=st.integers(0, 4), confirm_stale=st.booleans())
def test_accept_with_edited_text(bob, carol, crm, edited_value, index, confirm_stale):
    """The edit form's text, or the API's editedValue, for each pending proposal."""
    artifact = crm["pending"][index]
    _check(
        bob,
        carol,
        lambda: services.artifact_accept_with_edits(
            artifact=artifact, user=bob, edited_value=edited_value, confirm_stale=confirm_stale
        ),
    )


@RESET_PER_EXAMPLE
@given(
    status=st.sampled_from(["accepted", "rejected", "edited", "pending"]) | json_values,
    edited_value=st.just(services.UNSET) | profile_values,
    index=st.integers(0, 4),
    confirm_stale=st.booleans(),
)
def test_update_status_with_any_json(bob, carol, crm, status, edited_value, index, confirm_stale):
    """PATCH /api/artifacts/<id>: any JSON value the body can carry, on a pending proposal."""
    artifact = crm["pending"][index]
    _check(
        bob,
        carol,
        lambda: services.artifact_update_status(
            artifact=artifact,
            user=bob,
            status=status,
            edited_value=edited_value,
            confirm_stale=confirm_stale,
        ),
    )


@RESET_PER_EXAMPLE
@given(
    target=st.sampled_from(["decided", "teammate", "outsider"]),
    status=st.sampled_from(["accepted", "rejected", "edited"]),
    edited_value=st.just(services.UNSET) | st.just("Chef") | profile_values,
)
def test_decisions_on_proposals_that_are_not_bobs_to_decide(
    bob, carol, crm, target, status, edited_value
):
    """A decided proposal (409), a teammate's customer's (403), another tenant's (404)."""
    artifact = crm["artifacts"][target]
    _check(
        bob,
        carol,
        lambda: services.artifact_update_status(
            artifact=artifact, user=bob, status=status, edited_value=edited_value
        ),
    )


@RESET_PER_EXAMPLE
@given(
    profile=st.dictionaries(field_keys, profile_values, max_size=5),
    rm=st.sampled_from(["bob", "alice", "carol", None]),
    update=st.booleans(),
)
def test_customer_create_and_update(alice, bob, carol, crm, profile, rm, update):
    """The admin's customer form: an RM and a whole profile."""
    rm_user = {"bob": bob, "alice": alice, "carol": carol, None: None}[rm]
    mine = crm["customers"]["mine"]
    if update:
        call = lambda: services.customer_update(customer=mine, rm=rm_user, profile=profile)  # noqa: E731
    else:
        call = lambda: services.customer_create(  # noqa: E731
            tenant_id=bob.tenant_id, rm=rm_user, profile=profile
        )
    _check(bob, carol, call)


edits = st.builds(
    services.ProfileEditInput,
    field_key=field_keys | json_values,
    proposed_value=profile_values | json_texts(300),
    source_text=json_texts(1000) | json_values,
    confidence=st.none() | st.sampled_from(Confidence.ALL) | json_values,
)


@RESET_PER_EXAMPLE
@given(
    edit_list=st.lists(edits, max_size=4) | st.just([]),
    created_by_type=st.sampled_from(CreatorType.ALL) | json_values,
    created_by_id=st.none() | json_texts(100) | json_values,
    workflow=workflows,
    batch_id=st.none() | st.from_regex(r"[A-Za-z0-9_-]{0,70}", fullmatch=True) | json_values,
    target=st.sampled_from(CUSTOMERS),
)
def test_artifact_create_batch(
    bob, carol, crm, edit_list, created_by_type, created_by_id, workflow, batch_id, target
):
    """What an agent (the assistant, an import) proposes for a customer."""
    _check(
        bob,
        carol,
        lambda: services.artifact_create_batch(
            customer=crm["customers"][target],
            edits=edit_list,
            created_by_type=created_by_type,
            created_by_id=created_by_id,
            workflow_trigger=workflow,
            batch_id=batch_id,
            requested_by=bob,
        ),
    )


@RESET_PER_EXAMPLE
@given(
    which=st.sampled_from(["mine", "teammate", "outsider"])
    | st.from_regex(r"[-\w]{1,80}", fullmatch=True),
    accept=st.booleans(),
    confirm_stale=st.booleans(),
)
def test_batch_decisions(bob, carol, crm, which, accept, confirm_stale):
    """/crm/batches/<slug>/accept|reject/: a real batch id (bob's, alice's, carol's) or any slug."""
    batches = {
        "mine": crm["pending"][0].batch_id,
        "teammate": crm["artifacts"]["teammate"].batch_id,
        "outsider": crm["artifacts"]["outsider"].batch_id,
    }
    batch_id = batches.get(which, which)
    if accept:
        call = lambda: services.batch_accept(  # noqa: E731
            batch_id=batch_id, user=bob, confirm_stale=confirm_stale
        )
    else:
        call = lambda: services.batch_reject(batch_id=batch_id, user=bob)  # noqa: E731
    _check(bob, carol, call)
