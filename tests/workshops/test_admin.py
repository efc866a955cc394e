from __future__ import annotations

import json

import pytest
from django.contrib.admin.utils import quote
from django.utils.html import escape

from tests.workshops.conftest import make_workshop
from workshops import services
from workshops.models import StepArtifact, StepSummary, Workshop

pytestmark = pytest.mark.django_db

CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": "Hires"}


@pytest.fixture
def admin_client(client_for, alice):
    alice.is_staff = alice.is_superuser = True  # scoped to her tenant all the same
    alice.save()
    return client_for(alice)


def saved_artifact(user, step, artifact=CHALLENGE, version=0):
    return services.artifact_save(
        workshop_step=step, user=user, artifact=artifact, expected_version=version
    )


def test_every_workshops_model_has_an_admin_page(admin_client, workshop):
    for model in [
        "stepdefinition",
        "workshop",
        "workshopstep",
        "chatmessage",
        "stepartifact",
        "stepsummary",
    ]:
        assert admin_client.get(f"/admin/workshops/{model}/").status_code == 200


def test_creating_a_workshop_in_the_admin_creates_its_steps(admin_client, alice, in_tenant):
    response = admin_client.post(
        "/admin/workshops/workshop/add/", {"title": "From the admin", "owner": alice.pk}
    )
    assert response.status_code == 302
    with in_tenant(alice):
        assert Workshop.objects.get().steps.count() == 5


def test_the_admin_lists_only_my_tenants_workshops(admin_client, alice, carol):
    make_workshop(alice, "Acme workshop")
    make_workshop(carol, "Globex workshop")
    response = admin_client.get("/admin/workshops/workshop/")
    assert "Acme workshop" in response.text
    assert "Globex workshop" not in response.text


def test_editing_an_artifact_goes_through_the_versioned_save(admin_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        artifact = saved_artifact(alice, challenge)
    url = f"/admin/workshops/stepartifact/{quote(artifact.pk)}/change/"
    form = admin_client.get(url)
    assert 'name="expected_version" value="1"' in form.text
    changed = {**CHALLENGE, "who_is_affected": "Edited in the admin"}
    response = admin_client.post(url, {"artifact_json": json.dumps(changed), "expected_version": 1})
    assert response.status_code == 302
    with in_tenant(alice):
        saved = StepArtifact.objects.get()
    assert (saved.artifact, saved.version) == (changed, 2)


def test_a_stale_admin_edit_is_refused_with_their_value(admin_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        artifact = saved_artifact(alice, challenge)
        theirs = {**CHALLENGE, "who_is_affected": "THEIRS"}
        saved_artifact(alice, challenge, theirs, version=1)
    response = admin_client.post(
        f"/admin/workshops/stepartifact/{quote(artifact.pk)}/change/",
        # The same field as theirs, changed differently: a conflict, not a merge.
        {
            "artifact_json": json.dumps({**CHALLENGE, "who_is_affected": "MINE"}),
            "expected_version": 1,
        },
    )
    assert response.status_code == 200
    assert escape(services.VERSION_CONFLICT) in response.text
    assert "THEIRS" in response.text
    with in_tenant(alice):
        assert StepArtifact.objects.get().artifact == theirs


def test_an_admin_artifact_must_satisfy_the_schema(admin_client, alice, step, in_tenant):
    challenge = step("challenge")
    response = admin_client.post(
        "/admin/workshops/stepartifact/add/",
        {
            "workshop_step": challenge.pk,
            "artifact_json": '{"problem_statement": "Long enough problem."}',
            "expected_version": 0,
        },
    )
    assert response.status_code == 200
    assert "who_is_affected: is required." in response.text
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


def test_adding_and_editing_a_summary_in_the_admin(admin_client, alice, step, in_tenant):
    challenge = step("challenge")
    response = admin_client.post(
        "/admin/workshops/stepsummary/add/",
        {"workshop_step": challenge.pk, "summary_text": "Written by hand.", "expected_version": 0},
    )
    assert response.status_code == 302
    with in_tenant(alice):
        summary = StepSummary.objects.get()
    assert (summary.summary, summary.version, summary.token_count) == ("Written by hand.", 1, 4)
    stale = admin_client.post(
        f"/admin/workshops/stepsummary/{quote(summary.pk)}/change/",
        {"summary_text": "Again", "expected_version": 0},
    )
    assert stale.status_code == 200
    assert "Written by hand." in stale.text


def test_step_definitions_are_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/workshops/stepdefinition/add/").status_code == 403
    page = admin_client.get("/admin/workshops/stepdefinition/challenge/change/")
    assert page.status_code == 200
    assert "problem_statement" in page.text
    assert 'name="_save"' not in page.text


def test_a_stale_admin_edit_of_another_field_merges(admin_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        artifact = saved_artifact(alice, challenge)
        saved_artifact(alice, challenge, {**CHALLENGE, "who_is_affected": "THEIRS"}, version=1)
    response = admin_client.post(
        f"/admin/workshops/stepartifact/{quote(artifact.pk)}/change/",
        {
            "artifact_json": json.dumps({**CHALLENGE, "evidence": ["Admin"]}),
            "expected_version": 1,
        },
    )
    assert response.status_code == 302
    with in_tenant(alice):
        saved = StepArtifact.objects.get()
    assert saved.version == 3
    assert saved.artifact == {
        **CHALLENGE,
        "who_is_affected": "THEIRS",
        "evidence": ["Admin"],
    }
