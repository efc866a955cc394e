"""The skills profile: suggestion reasons, confirming with evidence, level and removal."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portfolio.models import ProfileEvidence, ProfileSkill, WorkArtifact
from portfolio.selectors import profile_entries
from portfolio.services import artifacts_delete_owned
from portfolio.services import profile as services
from tests.factories import SkillFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db

TEXT = "Built the quarterly budget forecast model in a spreadsheet for the finance team."


@pytest.fixture
def forecasting(alice):
    return SkillFactory(
        author=alice, name="Budget forecasting", description="Forecast budgets in spreadsheets"
    )


@pytest.fixture
def artifact(create, alice, forecasting):
    return create(alice, title="Budget model", extracted_text=TEXT)


def test_a_suggestion_stores_its_matched_terms_snippet_and_confidence(artifact, forecasting):
    assert artifact.suggested_skill_ids == [str(forecasting.pk)]
    reason = artifact.suggestion_reasons[str(forecasting.pk)]
    assert {"budget", "forecast", "spreadsheets"} <= set(reason["terms"])
    assert "quarterly budget forecast" in reason["snippet"]
    assert 0.25 <= reason["confidence"] <= 1


def test_the_artifact_page_shows_why_and_old_rows_say_not_recorded(
    alice_client, alice, artifact, forecasting, in_tenant
):
    page = alice_client.get(reverse("portfolio:detail", args=[artifact.pk])).content.decode()
    assert "quarterly budget forecast" in page
    assert "confidence " in page
    with in_tenant(alice):
        WorkArtifact.objects.filter(pk=artifact.pk).update(suggestion_reasons={})
    page = alice_client.get(reverse("portfolio:detail", args=[artifact.pk])).content.decode()
    assert "was not recorded" in page


def test_dismissing_drops_the_reason(alice, artifact, forecasting, in_tenant):
    from portfolio.services import suggestion_dismiss

    with in_tenant(alice):
        suggestion_dismiss(user=alice, artifact_id=artifact.pk, skill_id=str(forecasting.pk))
        artifact.refresh_from_db()
    assert artifact.suggestion_reasons == {}


def test_confirm_puts_the_skill_on_the_profile_with_its_evidence(
    alice_client, alice, artifact, forecasting, in_tenant
):
    url = reverse("portfolio:profile_confirm")
    form = alice_client.get(url, {"skill": forecasting.pk, "artifact": artifact.pk})
    assert "Budget model" in form.content.decode()
    response = alice_client.post(
        f"{url}?skill={forecasting.pk}",
        {"skill": forecasting.pk, "artifacts": [artifact.pk], "level": "expert"},
    )
    assert response.status_code == 302
    page = alice_client.get(reverse("portfolio:profile")).content.decode()
    for text in ("Budget forecasting", "Expert", "Budget model"):
        assert text in page


def test_confirm_again_adds_evidence_and_sets_the_level(
    create, alice, artifact, forecasting, in_tenant
):
    second = create(alice, title="Forecast memo", extracted_text=TEXT)
    with in_tenant(alice):
        services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[artifact.pk], level="working"
        )
        entry = services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[second.pk], level="expert"
        )
        assert ProfileSkill.objects.held_by(alice).count() == 1
        assert entry.level == "expert"
        assert ProfileEvidence.objects.filter(profile_skill=entry).count() == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "guru"}, services.LEVEL_INVALID),
        ({"artifact_ids": []}, services.EVIDENCE_REQUIRED),
        ({"skill_id": 99999999}, services.SKILL_NOT_FOUND),
    ],
)
def test_confirm_refuses_bad_input(alice, artifact, forecasting, in_tenant, kwargs, message):
    args = {"user": alice, "skill_id": forecasting.pk, "artifact_ids": [artifact.pk]}
    args |= {"level": "proficient"} | kwargs
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        services.profile_skill_confirm(**args)
    assert message in error.value.messages
    with in_tenant(alice):
        assert not ProfileSkill.objects.exists()


def test_confirm_refuses_a_teammates_artifact_and_a_foreign_skill(
    create, alice, bob, carol, artifact, forecasting, in_tenant
):
    theirs = create(bob, title="Bob's budget", extracted_text=TEXT)
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[theirs.pk], level="expert"
        )
    assert services.EVIDENCE_NOT_YOURS in error.value.messages
    foreign = SkillFactory(author=carol, name="Globex skill")
    with in_tenant(alice), pytest.raises(ValidationError) as error:
        services.profile_skill_confirm(
            user=alice, skill_id=foreign.pk, artifact_ids=[artifact.pk], level="expert"
        )
    assert services.SKILL_NOT_FOUND in error.value.messages


def test_level_change_and_removal_through_the_page(
    alice_client, alice, artifact, forecasting, in_tenant
):
    with in_tenant(alice):
        entry = services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[artifact.pk], level="working"
        )
    url = reverse("portfolio:profile_skill", args=[entry.pk])
    assert alice_client.get(url).status_code == 405
    alice_client.post(url, {"action": "level", "level": "expert"})
    with in_tenant(alice):
        assert ProfileSkill.objects.get(pk=entry.pk).level == "expert"
    alice_client.post(url, {"action": "remove"})
    with in_tenant(alice):
        assert not ProfileSkill.objects.exists()
        assert not ProfileEvidence.objects.exists()


def test_a_teammate_cannot_change_my_entry(
    client_for, bob, alice, artifact, forecasting, in_tenant
):
    with in_tenant(alice):
        entry = services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[artifact.pk], level="working"
        )
    url = reverse("portfolio:profile_skill", args=[entry.pk])
    assert client_for(bob).post(url, {"action": "remove"}).status_code == 404
    with in_tenant(alice):
        assert ProfileSkill.objects.filter(pk=entry.pk).exists()


def test_deleting_an_artifact_in_one_statement_takes_its_evidence(
    alice, artifact, forecasting, in_tenant
):
    with in_tenant(alice):
        services.profile_skill_confirm(
            user=alice, skill_id=forecasting.pk, artifact_ids=[artifact.pk], level="working"
        )
        artifacts_delete_owned(user=alice, artifact_ids=[artifact.pk])
        assert not ProfileEvidence.objects.exists()
        [entry] = profile_entries(user=alice)
        assert entry.shown == []


def test_the_profile_page_runs_constant_queries(alice_client, alice, artifacts_for, in_tenant):
    def grow(count: int) -> None:
        artifacts = artifacts_for(alice, count)
        with in_tenant(alice):
            for artifact in artifacts:
                skill = SkillFactory(author=alice)
                services.profile_skill_confirm(
                    user=alice, skill_id=skill.pk, artifact_ids=[artifact.pk], level="expert"
                )

    grow(2)
    assert_constant_queries(lambda: alice_client.get(reverse("portfolio:profile")), lambda: grow(8))
