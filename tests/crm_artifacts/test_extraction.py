"""The offline assistant reads meeting notes; "Add meeting notes" makes one batch."""

from __future__ import annotations

import pytest

from assistant.offline import OfflineAssistant
from assistant.offline_profile import extract_profile_edits
from crm_artifacts.fields import field_specs

SAMPLES = [
    (
        "Met Jane at the branch. Her new email is Jane.Doe@Example.com and her mobile is "
        "07700 900123.\nShe now works as a senior software engineer at Initech Ltd. "
        "She earns about £85k a year.",
        {
            "email": "jane.doe@example.com",
            "phone": "07700 900123",
            "occupation": "Senior software engineer",
            "employer": "Initech Ltd",
            "incomeBandAnnual": "50k-100k",
        },
    ),
    (
        "Tom got married in June and they have two children. Born on 12 May 1984. "
        "He is fairly cautious about investment risk and prefers to be contacted by phone.",
        {
            "maritalStatus": "married",
            "dependents": 2,
            "dateOfBirth": "1984-05-12",
            "riskTolerance": "conservative",
            "preferredContact": "phone",
        },
    ),
    (
        "- Priya is divorced since last year, no children.\n"
        "- DOB: 1979-11-02\n"
        "- Salary of $240,000 plus bonus\n"
        "- Happy with a high-risk portfolio; she is a nurse at St Mary's Hospital.",
        {
            "maritalStatus": "divorced",
            "dependents": 0,
            "dateOfBirth": "1979-11-02",
            "incomeBandAnnual": "100k-250k",
            "riskTolerance": "aggressive",
            "occupation": "Nurse",
            "employer": "St Mary's Hospital",
        },
    ),
    (
        "Call with Mr Okafor. Income band is between 25k and 50k. He lost his wife in 2021. "
        "Contact number +44 20 7946 0958. New address: 4 Mill Lane, Leeds LS1 2AB. "
        "Balanced attitude to risk. Dependents: 3",
        {
            "incomeBandAnnual": "25k-50k",
            "maritalStatus": "widowed",
            "phone": "+44 20 7946 0958",
            "address": "4 Mill Lane, Leeds LS1 2AB",
            "riskTolerance": "moderate",
            "dependents": 3,
        },
    ),
    (
        "Her full name is Maria Lopez Garcia. She was born 03/04/1990 in Seville. "
        "She joined Hooli in March as a product designer. Makes 30,000 per year.",
        {
            "fullName": "Maria Lopez Garcia",
            "dateOfBirth": "1990-04-03",
            "employer": "Hooli",
            "occupation": "Product designer",
            "incomeBandAnnual": "25k-50k",
        },
    ),
    (
        "Sam has retired from teaching and lives at 9 Elm Road, York. Single, never married. "
        "Best reached by email at sam@home.example.",
        {
            "occupation": "Retired",
            "address": "9 Elm Road, York",
            "maritalStatus": "single",
            "email": "sam@home.example",
            "preferredContact": "email",
        },
    ),
    ("Weather was nice. We talked about football and the 2026 season.", {}),
]


@pytest.mark.parametrize(("notes", "expected"), SAMPLES)
def test_offline_extractor_finds_the_expected_fields(notes, expected):
    extraction = extract_profile_edits(notes, field_specs())
    found = {edit.field_key: edit.proposed_value for edit in extraction.edits}
    assert found == expected
    for edit in extraction.edits:
        assert edit.source_text in notes  # quoted verbatim
        assert edit.confidence in ("high", "medium", "low")


def test_every_extracted_value_is_valid_for_the_registry():
    from crm_artifacts.fields import get_field

    for notes, _ in SAMPLES:
        for edit in extract_profile_edits(notes, field_specs()).edits:
            assert get_field(edit.field_key).clean(edit.proposed_value) == edit.proposed_value


def test_later_mentions_win_and_lower_the_confidence():
    notes = "Old email was a@old.example. Her email is now b@new.example."
    (edit,) = [
        e for e in extract_profile_edits(notes, field_specs()).edits if e.field_key == "email"
    ]
    assert (edit.proposed_value, edit.confidence) == ("b@new.example", "medium")


def test_dates_and_numbers_that_are_not_birthdays_or_phones_are_ignored():
    notes = "Next review on 2025-09-01. Reference 2024-118. Account 1234."
    assert extract_profile_edits(notes, field_specs()).edits == []


def test_future_weddings_are_a_nudge_not_an_edit():
    extraction = extract_profile_edits("They are engaged; wedding next spring.", field_specs())
    assert extraction.edits == []
    assert any("wedding" in n.lower() for n in extraction.nudges)


def test_nudges_follow_cues_in_the_notes():
    extraction = extract_profile_edits(
        "She is expecting a baby and moved to Manchester. Got a big inheritance.", field_specs()
    )
    assert extraction.edits == []
    assert extraction.nudges == [
        "A baby is on the way: update the number of dependents after the birth.",
        "A move is mentioned without a full address: ask for the new address.",
        "A windfall was mentioned: does the income band or risk tolerance need a review?",
        "Nothing in these notes maps to a profile field. Anything to record?",
    ]


def test_the_offline_provider_delegates_here():
    extraction = OfflineAssistant().extract_profile_edits("Email x@y.example", field_specs())
    assert extraction.edits[0].proposed_value == "x@y.example"
