from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from portfolio import services
from portfolio.extraction.extract import ExtractedFile
from portfolio.models import WorkArtifact
from portfolio.selectors import user_artifacts
from tenancy.models import TenantContextMissing
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_create_records_every_field_with_a_uuid_id(alice, create, in_tenant):
    artifact = create(
        alice,
        title="  Board report  ",
        description="Monthly board pack.",
        category="email",
        estimated_hours_saved=3.5,
        file_name="report.txt",
        file_type="text/plain",
        extracted_text="Revenue grew.",
    )
    with in_tenant(alice):
        stored = WorkArtifact.objects.get(pk=artifact.pk)
    assert len(stored.pk) == 36
    assert stored.pk.count("-") == 4
    assert (stored.title, stored.category, stored.estimated_hours_saved) == (
        "Board report",
        "email",
        3.5,
    )
    assert (stored.tenant_id, stored.user_id) == (alice.tenant_id, alice.pk)
    assert stored.suggested_skill_ids == []
    assert stored.created_at is not None
    assert stored.updated_at is not None


@pytest.mark.parametrize(("length", "ok"), [(1, True), (200, True), (201, False), (0, False)])
def test_title_is_1_to_200_characters(alice, create, length, ok):
    if ok:
        assert len(create(alice, title="t" * length).title) == length
    else:
        with pytest.raises(ValidationError) as excinfo:
            create(alice, title="t" * length)
        assert "title" in _errors(excinfo)


@pytest.mark.parametrize(("length", "ok"), [(2000, True), (2001, False)])
def test_description_is_at_most_2000_characters(alice, create, length, ok):
    if ok:
        create(alice, description="d" * length)
    else:
        with pytest.raises(ValidationError) as excinfo:
            create(alice, description="d" * length)
        assert _errors(excinfo)["description"] == [services.DESCRIPTION_TOO_LONG]


@pytest.mark.parametrize(("length", "ok"), [(100_000, True), (100_001, False)])
def test_extracted_text_is_at_most_100000_characters(alice, create, length, ok, in_tenant):
    if ok:
        artifact = create(alice, extracted_text="x" * length)
        with in_tenant(alice):
            assert len(WorkArtifact.objects.get(pk=artifact.pk).extracted_text) == length
    else:
        with pytest.raises(ValidationError) as excinfo:
            create(alice, extracted_text="x" * length)
        assert _errors(excinfo)["extracted_text"] == [services.TEXT_TOO_LONG]
        with in_tenant(alice):
            assert not WorkArtifact.objects.exists()


@pytest.mark.parametrize(
    ("hours", "ok"),
    [(-1, False), (0, True), (10_000, True), (10_001, False), (float("nan"), False), (None, True)],
)
def test_hours_saved_is_0_to_10000_or_empty(alice, create, hours, ok):
    if ok:
        assert create(alice, estimated_hours_saved=hours).estimated_hours_saved == hours
    else:
        with pytest.raises(ValidationError) as excinfo:
            create(alice, estimated_hours_saved=hours)
        assert _errors(excinfo)["estimated_hours_saved"] == [services.HOURS_OUT_OF_RANGE]


@pytest.mark.parametrize("category", ["document", "email", "template", "script", "other"])
def test_every_source_category_is_accepted(alice, create, category):
    assert create(alice, category=category).category == category


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("category", "video", services.CATEGORY_INVALID),
        ("artifact_date", None, services.DATE_REQUIRED),
        ("artifact_date", "2022-01-01", services.DATE_REQUIRED),
        ("file_name", "f" * 501, services.FILE_NAME_TOO_LONG),
        ("file_type", "t" * 101, services.FILE_TYPE_TOO_LONG),
    ],
)
def test_other_fields_are_checked(alice, create, field, value, message):
    with pytest.raises(ValidationError) as excinfo:
        create(alice, **{field: value})
    assert any(message in messages for messages in _errors(excinfo).values())


def test_file_name_and_type_at_their_limits_are_accepted(alice, create):
    artifact = create(alice, file_name="f" * 500, file_type="t" * 100)
    assert (len(artifact.file_name), len(artifact.file_type)) == (500, 100)


def test_an_extracted_file_fills_the_file_fields(alice, create):
    file = ExtractedFile(file_name="notes.md", file_type="text/markdown", text="Hi", truncated=True)
    artifact = create(alice, file=file)
    assert (artifact.file_name, artifact.file_type, artifact.extracted_text) == (
        "notes.md",
        "text/markdown",
        "Hi",
    )
    assert artifact.text_truncated


def test_the_51st_artifact_is_refused(alice, bob, create, artifacts_for, in_tenant):
    artifacts_for(alice, 49)
    create(alice)
    with pytest.raises(ValidationError, match="Maximum 50 artifacts allowed"):
        create(alice)
    assert services.LIMIT_REACHED == "Maximum 50 artifacts allowed"
    with in_tenant(alice):
        assert WorkArtifact.objects.owned_by(alice).count() == 50
    create(bob)  # the limit is per user


def test_update_changes_only_the_fields_given(alice, create, in_tenant):
    artifact = create(alice, title="Old", description="Keep me", estimated_hours_saved=2)
    with in_tenant(alice):
        services.artifact_update(user=alice, artifact_id=artifact.pk, estimated_hours_saved=7.5)
        stored = WorkArtifact.objects.get(pk=artifact.pk)
    assert (stored.title, stored.description, stored.estimated_hours_saved) == (
        "Old",
        "Keep me",
        7.5,
    )
    assert stored.updated_at > artifact.created_at


def test_update_can_clear_hours_and_validates_what_it_changes(alice, create, in_tenant):
    artifact = create(alice, estimated_hours_saved=2)
    with in_tenant(alice):
        services.artifact_update(user=alice, artifact_id=artifact.pk, estimated_hours_saved=None)
        assert WorkArtifact.objects.get(pk=artifact.pk).estimated_hours_saved is None
        with pytest.raises(ValidationError):
            services.artifact_update(user=alice, artifact_id=artifact.pk, title="x" * 201)
        assert WorkArtifact.objects.get(pk=artifact.pk).title == "Quarterly report"


@pytest.mark.parametrize("who", ["bob", "carol"])
def test_only_the_owner_updates_or_deletes(alice, bob, carol, create, in_tenant, who):
    intruder = {"bob": bob, "carol": carol}[who]
    artifact = create(alice, title="Mine")
    with in_tenant(intruder):
        with pytest.raises(services.ArtifactNotFound):
            services.artifact_update(user=intruder, artifact_id=artifact.pk, title="Theirs")
        with pytest.raises(services.ArtifactNotFound):
            services.artifact_delete(user=intruder, artifact_id=artifact.pk)
    with in_tenant(alice):
        assert WorkArtifact.objects.get(pk=artifact.pk).title == "Mine"


def test_delete_removes_the_artifact(alice, create, in_tenant):
    artifact = create(alice)
    with in_tenant(alice):
        services.artifact_delete(user=alice, artifact_id=artifact.pk)
        assert not WorkArtifact.objects.exists()
        with pytest.raises(services.ArtifactNotFound):
            services.artifact_delete(user=alice, artifact_id=artifact.pk)


def test_user_artifacts_is_newest_first_with_iso_dates(alice, bob, create, in_tenant):
    create(alice, title="Old", artifact_date=datetime.date(2019, 5, 1))
    create(alice, title="New", artifact_date=datetime.date(2023, 2, 1))
    create(bob, title="Bob's")
    with in_tenant(alice):
        rows = user_artifacts(user=alice)
    assert [row["title"] for row in rows] == ["New", "Old"]
    assert rows[0]["artifactDate"] == "2023-02-01"
    assert isinstance(rows[0]["createdAt"], str)
    assert rows[0]["suggestedSkillIds"] == []


# --- skill suggestions ---------------------------------------------------------


def test_suggestions_rank_the_tenants_skills_against_the_text(alice, create):
    email = SkillFactory(author=alice, name="Email drafting", description="Customer emails.")
    sheets = SkillFactory(
        author=alice, name="Spreadsheet automation", description="Formulas and macros."
    )
    SkillFactory(author=alice, name="Translation", description="German documents.")
    artifact = create(
        alice,
        title="Customer emails",
        description="Tracked in a spreadsheet with formulas.",
        extracted_text="Drafted follow-up emails to every customer.",
    )
    assert artifact.suggested_skill_ids == [str(email.pk), str(sheets.pk)]


def test_a_skill_sharing_one_common_word_is_left_out(alice, create):
    summaries = SkillFactory(author=alice, name="Document summarisation", description="Reports.")
    SkillFactory(author=alice, name="Python scripting", description="Automate reporting work.")
    artifact = create(
        alice,
        title="Board report summaries",
        extracted_text="Summarised documents and reports for the board.",
    )
    assert artifact.suggested_skill_ids == [str(summaries.pk)]


def test_suggestions_never_cross_tenants(alice, carol, create):
    SkillFactory(author=carol, name="Email drafting", description="Customer emails.")
    artifact = create(alice, title="Customer emails", extracted_text="Email drafting all day.")
    assert artifact.suggested_skill_ids == []


def test_at_most_five_suggestions(alice, create):
    for i in range(7):
        SkillFactory(author=alice, name=f"Report writing {i}", description="Reports.")
    artifact = create(alice, title="Report", extracted_text="A report.")
    assert len(artifact.suggested_skill_ids) == 5


def test_suggestions_are_recomputed_when_the_text_changes(alice, create, in_tenant):
    email = SkillFactory(author=alice, name="Email drafting", description="")
    python = SkillFactory(author=alice, name="Python scripting", description="")
    artifact = create(alice, title="Weekly email")
    assert artifact.suggested_skill_ids == [str(email.pk)]
    with in_tenant(alice):
        updated = services.artifact_update(
            user=alice, artifact_id=artifact.pk, title="Weekly python script"
        )
        assert updated.suggested_skill_ids == [str(python.pk)]
        assert WorkArtifact.objects.get(pk=artifact.pk).suggested_skill_ids == [str(python.pk)]


def test_dismissed_suggestion_stays_dismissed(alice, create, in_tenant):
    email = SkillFactory(author=alice, name="Email drafting", description="")
    artifact = create(alice, title="Weekly email")
    with in_tenant(alice):
        services.suggestion_dismiss(user=alice, artifact_id=artifact.pk, skill_id=str(email.pk))
        assert WorkArtifact.objects.get(pk=artifact.pk).suggested_skill_ids == []
        services.artifact_update(user=alice, artifact_id=artifact.pk, title="Weekly emails")
        assert WorkArtifact.objects.get(pk=artifact.pk).suggested_skill_ids == []


def test_dismissing_a_skill_that_is_not_suggested_is_refused(alice, carol, create, in_tenant):
    SkillFactory(author=alice, name="Email drafting", description="")
    foreign = SkillFactory(author=carol, name="Email drafting", description="")
    artifact = create(alice, title="Weekly email")
    with in_tenant(alice), pytest.raises(ValidationError, match="not among"):
        services.suggestion_dismiss(user=alice, artifact_id=artifact.pk, skill_id=str(foreign.pk))
    with in_tenant(alice):
        assert len(WorkArtifact.objects.get(pk=artifact.pk).suggested_skill_ids) == 1


def test_only_the_owner_dismisses(alice, bob, create, in_tenant):
    email = SkillFactory(author=alice, name="Email drafting", description="")
    artifact = create(alice, title="Weekly email")
    with in_tenant(bob), pytest.raises(services.ArtifactNotFound):
        services.suggestion_dismiss(user=bob, artifact_id=artifact.pk, skill_id=str(email.pk))


def test_artifacts_are_fenced_by_row_level_security(alice, carol, create, in_tenant):
    from django.db import DatabaseError, transaction

    artifact = create(alice, title="Acme only")
    with in_tenant(carol):
        assert not WorkArtifact.objects.filter(pk=artifact.pk).exists()
    # No tenant at all: in development and tests a clear error naming the model;
    # in production (not strict) nothing, as the database's fence answers.
    with pytest.raises(TenantContextMissing, match=r"portfolio\.WorkArtifact"):
        WorkArtifact.objects.filter(pk=artifact.pk).exists()
    with override_settings(TENANCY_STRICT=False):
        assert not WorkArtifact.objects.filter(pk=artifact.pk).exists()
    with (
        in_tenant(carol),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        WorkArtifact.objects.create(
            tenant_id=alice.tenant_id,
            user=alice,
            title="Smuggled",
            artifact_date=datetime.date(2022, 1, 1),
        )
