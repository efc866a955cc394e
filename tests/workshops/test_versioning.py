"""Versioned saves in the services (workshops/versioned.py): history rows, merges, conflicts."""

from __future__ import annotations

import pytest

from tests.workshops.conftest import get_step
from workshops import services
from workshops.merge import MISSING
from workshops.models import StepArtifact, StepSummary, StepVersion

pytestmark = pytest.mark.django_db

CHALLENGE = {
    "problem_statement": "New hires take six weeks to settle.",
    "who_is_affected": "Hires",
    "evidence": ["Exit surveys"],
}


def save(step, user, artifact, version):
    return services.artifact_save(
        workshop_step=step, user=user, artifact=artifact, expected_version=version
    )


def test_each_save_is_one_version_row_with_who_and_what(alice, workshop, in_tenant):
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        save(step, alice, CHALLENGE, 0)
        save(step, alice, {**CHALLENGE, "who_is_affected": "Managers"}, 1)
        services.summary_save(workshop_step=step, user=alice, summary="Short.", expected_version=0)
        rows = list(
            StepVersion.objects.order_by("kind", "version").values_list(
                "kind", "version", "saved_by", "content"
            )
        )
    assert rows == [
        ("artifact", 1, alice.pk, CHALLENGE),
        ("artifact", 2, alice.pk, {**CHALLENGE, "who_is_affected": "Managers"}),
        ("summary", 1, alice.pk, "Short."),
    ]


def test_a_stale_save_that_adds_nothing_saves_no_new_version(alice, workshop, in_tenant):
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        save(step, alice, CHALLENGE, 0)
        save(step, alice, {**CHALLENGE, "who_is_affected": "Managers"}, 1)
        again = save(step, alice, CHALLENGE, 1)  # my copy of version 1, unchanged
        assert again.version == 2
        assert "Nothing new to save" in again.merge_message
        assert StepVersion.objects.count() == 2


def test_sides_valid_alone_but_not_together_are_a_conflict(alice, workshop, in_tenant):
    step = get_step(workshop, "challenge")
    full = [f"Fact {i}" for i in range(19)]  # evidence holds at most 20
    with in_tenant(alice):
        save(step, alice, {**CHALLENGE, "evidence": full}, 0)
        save(step, alice, {**CHALLENGE, "evidence": [*full, "Theirs"]}, 1)
        with pytest.raises(services.VersionConflict) as raised:
            save(step, alice, {**CHALLENGE, "evidence": [*full, "Mine"]}, 1)
        assert StepArtifact.objects.get().version == 2
    (conflict,) = raised.value.conflicts
    assert conflict.field == "evidence"
    assert conflict.theirs[-1] == "Theirs"
    assert conflict.mine[-1] == "Mine"


def test_a_summary_changed_on_one_side_merges_and_on_both_conflicts(alice, workshop, in_tenant):
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        services.summary_save(workshop_step=step, user=alice, summary="Base.", expected_version=0)
        services.summary_save(workshop_step=step, user=alice, summary="Theirs.", expected_version=1)
        with pytest.raises(services.VersionConflict) as raised:
            services.summary_save(
                workshop_step=step, user=alice, summary="Mine.", expected_version=1
            )
        assert StepSummary.objects.get().summary == "Theirs."
    (conflict,) = raised.value.conflicts
    assert (conflict.base, conflict.theirs, conflict.mine) == ("Base.", "Theirs.", "Mine.")
    assert raised.value.base_value == "Base."


def test_a_first_save_racing_another_merges_against_nothing(alice, workshop, in_tenant):
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        save(step, alice, CHALLENGE, 0)
        with pytest.raises(services.VersionConflict) as raised:
            save(step, alice, {**CHALLENGE, "who_is_affected": "Others"}, 0)
    (conflict,) = raised.value.conflicts
    assert (conflict.field, conflict.base) == ("who_is_affected", MISSING)
