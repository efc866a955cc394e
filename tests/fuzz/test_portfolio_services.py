"""Fuzzing portfolio.services with what the artifact form, the admin and
`import_artifacts` can hand them (and worse): succeed, or refuse having written nothing.

No JSON reaches these services, so text fields get text (or None); the fields
the service type-checks itself (category, date, hours) get any JSON value too.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio import services
from portfolio.models import (
    DESCRIPTION_MAX_LENGTH,
    FILE_NAME_MAX_LENGTH,
    FILE_TYPE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
    WorkArtifact,
)
from tenancy.context import tenant_context
from tests.fuzz.harness import (
    RESET_PER_EXAMPLE,
    check_refusal_writes_nothing,
    dates,
    json_values,
    numbers,
    texts,
)
from tests.portfolio.factories import WorkArtifactFactory

pytestmark = pytest.mark.django_db

TABLES = [WorkArtifact]
categories = st.one_of(st.sampled_from(Category.values), texts(20), json_values)
hours = st.one_of(st.none(), numbers, texts(10), json_values)
# What the form's FileField extraction would give, or the import's raw fields.
file_text = texts(1000) | st.integers(99_998, 100_002).map(lambda n: "t" * n)


@pytest.fixture
def artifacts(alice, bob, carol) -> dict[str, str]:
    """alice's own artifact, her teammate's and an outsider's: ids to aim at."""
    return {
        "own": WorkArtifactFactory(user=alice).pk,
        "teammate": WorkArtifactFactory(user=bob).pk,
        "outsider": WorkArtifactFactory(user=carol).pk,
    }


@RESET_PER_EXAMPLE
@given(
    title=texts(TITLE_MAX_LENGTH) | st.none(),
    description=texts(DESCRIPTION_MAX_LENGTH),
    category=categories,
    artifact_date=dates | json_values,
    estimated_hours_saved=hours,
    file_name=texts(FILE_NAME_MAX_LENGTH),
    file_type=texts(FILE_TYPE_MAX_LENGTH),
    extracted_text=file_text,
)
def test_artifact_create(alice, carol, artifacts, **fields):
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            lambda: services.artifact_create(user=alice, **fields),
            tables=TABLES,
            tenants=[alice.tenant, carol.tenant],
        )


@RESET_PER_EXAMPLE
@given(
    target=st.sampled_from(["own", "teammate", "outsider"]) | st.uuids().map(str) | texts(40),
    changes=st.fixed_dictionaries(
        {},
        optional={
            "title": texts(TITLE_MAX_LENGTH),
            "description": texts(DESCRIPTION_MAX_LENGTH),
            "category": categories,
            "artifact_date": dates | json_values,
            "estimated_hours_saved": hours,
            "extracted_text": file_text,
        },
    ),
)
def test_artifact_update(alice, carol, artifacts, target, changes):
    artifact_id = artifacts.get(target, target)
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            lambda: services.artifact_update(user=alice, artifact_id=artifact_id, **changes),
            tables=TABLES,
            tenants=[alice.tenant, carol.tenant],
            refusals=(services.ArtifactNotFound,),
        )


@RESET_PER_EXAMPLE
@given(
    target=st.sampled_from(["own", "teammate", "outsider"]) | texts(40),
    skill_id=st.integers() | texts(25),
)
def test_suggestion_dismiss(alice, carol, artifacts, target, skill_id):
    artifact_id = artifacts.get(target, target)
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            lambda: services.suggestion_dismiss(
                user=alice, artifact_id=artifact_id, skill_id=skill_id
            ),
            tables=TABLES,
            tenants=[alice.tenant, carol.tenant],
            refusals=(services.ArtifactNotFound,),
        )
