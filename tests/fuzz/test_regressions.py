"""One test per bug the fuzzing found, so each stays fixed whatever the fuzzer draws.

Before the fixes, text with a NUL character (or, through JSON, a lone
surrogate) reached PostgreSQL, which refuses both: a DataError, so a 500 on
the JSON API and the workshop artifact form, and a crash on every other path
that skipped the form (admin, commands, agents). The services now refuse it
with UNSTORABLE_TEXT. And the API read `?offset=` / `?status=` as absent,
where its description promises an integer and a status.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError

from crm_artifacts import services as crm
from crm_artifacts.models import CreatorType, Proposal
from messaging import services as messaging
from portfolio import services as portfolio
from portfolio.models import WorkArtifact
from skills import services as skills
from tenancy.context import tenant_context
from tenancy.text import UNSTORABLE_TEXT
from tests.crm_artifacts.factories import CustomerFactory
from tests.factories import SkillFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.workshops.conftest import get_step, make_workshop
from workshops import services as workshops
from workshops.models import StepArtifact

pytestmark = pytest.mark.django_db

NUL = "Plain \x00 text"
SURROGATE = "Plain \ud800 text"


@pytest.fixture
def customer(bob):
    return CustomerFactory(rm=bob, profile={"fullName": "Jane Doe"})


@pytest.fixture
def pending(customer) -> Proposal:
    edit = crm.ProfileEditInput(field_key="occupation", proposed_value="Pilot")
    with tenant_context(customer.tenant_id):
        return crm.artifact_create(customer=customer, edit=edit, created_by_type=CreatorType.AGENT)


# --- the JSON API ----------------------------------------------------------------------


@pytest.mark.parametrize("raw_value", [r'"Chef \u0000 de cuisine"', r'"Chef \ud800"', r'"\udfff"'])
def test_api_refuses_an_edited_value_postgresql_cannot_store(client_for, bob, pending, raw_value):
    body = '{"status": "edited", "editedValue": ' + raw_value + "}"
    response = client_for(bob).patch(
        f"/api/artifacts/{pending.pk}", body, content_type="application/json"
    )
    assert (response.status_code, response.json()) == (400, {"error": UNSTORABLE_TEXT})
    with tenant_context(bob.tenant_id):
        assert Proposal.objects.get(pk=pending.pk).status == "pending"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("offset=", "offset must be a whole number"),
        ("limit=", "limit must be a whole number"),
        ("status=", "Invalid status"),
    ],
)
def test_api_refuses_an_empty_parameter_as_its_description_says(
    client_for, bob, customer, pending, query, message
):
    response = client_for(bob).get(f"/api/customers/{customer.pk}/artifacts?{query}")
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


# --- crm_artifacts services --------------------------------------------------------------


@pytest.mark.parametrize("value", [NUL, SURROGATE])
def test_a_profile_value_postgresql_cannot_store_is_refused(bob, customer, pending, value):
    with tenant_context(bob.tenant_id):
        with pytest.raises(ValidationError, match="cannot be saved"):
            crm.artifact_accept_with_edits(artifact=pending, user=bob, edited_value=value)
        with pytest.raises(ValidationError, match="cannot be saved"):
            crm.customer_create(tenant_id=bob.tenant_id, rm=bob, profile={"employer": value})
        assert Proposal.objects.get(pk=pending.pk).status == "pending"


def test_meeting_notes_with_a_nul_are_refused_before_the_assistant_runs(bob, customer):
    with tenant_context(bob.tenant_id), pytest.raises(ValidationError) as refusal:
        crm.notes_propose(customer=customer, user=bob, notes="She now works at " + NUL)
    assert refusal.value.message_dict == {"notes": [UNSTORABLE_TEXT]}


@pytest.mark.parametrize(
    ("edit", "created_by_id"),
    [
        (crm.ProfileEditInput("occupation", "Chef", source_text=NUL), None),
        (crm.ProfileEditInput("occupation", "Chef", source_text=SURROGATE), None),
        (crm.ProfileEditInput("occupation", "Chef"), "agent\x00"),
    ],
)
def test_an_agents_proposal_postgresql_cannot_store_is_refused(bob, customer, edit, created_by_id):
    with tenant_context(bob.tenant_id):
        with pytest.raises(ValidationError, match="cannot be saved"):
            crm.artifact_create(
                customer=customer,
                edit=edit,
                created_by_type=CreatorType.AGENT,
                created_by_id=created_by_id,
            )
        assert not Proposal.objects.exists()


# --- portfolio, skills, messaging ---------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "description", "extracted_text", "file_name"])
def test_portfolio_refuses_text_with_a_nul(alice, field):
    fields = {"title": "Report", "category": "document", "artifact_date": dt.date(2022, 1, 1)}
    with tenant_context(alice.tenant_id):
        with pytest.raises(ValidationError, match="cannot be saved"):
            portfolio.artifact_create(user=alice, **{**fields, field: NUL})
        assert not WorkArtifact.objects.exists()


def test_portfolio_update_of_an_id_with_a_nul_is_not_found(alice):
    WorkArtifactFactory(user=alice)
    with tenant_context(alice.tenant_id), pytest.raises(portfolio.ArtifactNotFound):
        portfolio.artifact_update(user=alice, artifact_id="\x00", title="New title")


def test_skills_refuse_a_name_or_description_with_a_nul(alice):
    with tenant_context(alice.tenant_id):
        with pytest.raises(ValidationError, match="cannot be saved"):
            skills.skill_create(author=alice, name=NUL)
        with pytest.raises(ValidationError, match="cannot be saved"):
            skills.skill_create(author=alice, name="Prompting", description=NUL)


def test_a_skill_message_with_a_nul_is_refused(alice, bob):
    subject, parent = SkillFactory(author=alice), SkillFactory(author=alice)
    with tenant_context(bob.tenant_id), pytest.raises(ValidationError) as refusal:
        messaging.send_skill_message(
            sender=bob, subject_skill=subject, proposed_parent_skill=parent, message=NUL
        )
    assert refusal.value.message_dict == {"message": [UNSTORABLE_TEXT]}


# --- workshops ----------------------------------------------------------------------------


def test_workshop_texts_with_a_nul_are_refused(alice):
    step = get_step(make_workshop(alice), "challenge")
    with tenant_context(alice.tenant_id):
        for save in (
            lambda: workshops.workshop_create(owner=alice, title=NUL),
            lambda: workshops.message_post(workshop_step=step, user=alice, content=NUL),
            lambda: workshops.summary_save(
                workshop_step=step, user=alice, summary=NUL, expected_version=0
            ),
        ):
            with pytest.raises(ValidationError, match="cannot be saved"):
                save()


@pytest.mark.parametrize(
    "artifact_json",
    [
        r'{"problem_statement": "Onboarding \u0000 takes weeks", "who_is_affected": "Hires"}',
        r'{"problem_statement": "Onboarding \ud800 takes weeks", "who_is_affected": "Hires"}',
        r'{"problem_statement": "Onboarding takes weeks", "who_is_affected": "Hires",'
        r' "evidence": ["ok", "\u0000"]}',
    ],
)
def test_the_artifact_form_refuses_json_postgresql_cannot_store(alice, client_for, artifact_json):
    workshop = make_workshop(alice)
    response = client_for(alice).post(
        f"/workshops/{workshop.pk}/steps/challenge/artifact/",
        {"artifact": artifact_json, "version": 0},
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "cannot be saved" in response.text
    with tenant_context(alice.tenant_id):
        assert not StepArtifact.objects.exists()
    assert json.loads(artifact_json)  # valid JSON: the form let it through to the service
