"""What generated rows say: texts, names and profile values, checked against the app's rules.

The generator copies these into its SQL as parameters, so every value a page
renders went through the same validation the app applies (`check_samples`):
profile values are what `ProfileField.clean` returns, step artifacts satisfy
their step's JSON Schema.
"""

from __future__ import annotations

from typing import Any

from crm_artifacts.fields import FIELDS_BY_KEY, PROFILE_FIELDS
from portfolio.demo import ARTIFACTS
from workshops.demo import STEPS as DEMO_STEPS

# Work artifacts: the demo's twelve, as (title, category, file name, file type, text, description).
WORK_ARTIFACTS = [
    (title, category, file_name, file_type, text, description)
    for title, category, _day, _hours, file_name, file_type, text, description in ARTIFACTS
]

SKILL_NAMES = [
    "Email drafting",
    "Document summarisation",
    "Spreadsheet automation",
    "Python scripting",
    "Prompt engineering",
    "Template writing",
    "Customer research",
    "Report writing",
    "Data analysis",
    "Meeting notes",
    "Translation",
    "Code review",
]

MESSAGE_TEXTS = [
    "These two belong together: group it under the broader skill?",
    "Most of this work is really the parent skill in practice.",
    "Grouping them would make the catalogue easier to browse.",
    "We teach these together in onboarding; one branch would help.",
]

WORKSHOP_TITLES = [
    "Faster onboarding for new hires",
    "Fewer repeated support tickets",
    "Monthly reporting in a day",
    "Shorter customer review meetings",
]

# Chat turns alternate user / assistant, starting with the user.
USER_LINES = [line for messages, _artifact in DEMO_STEPS.values() for line in messages] or [
    "Let us start with the problem."
]
ASSISTANT_LINES = [
    "Noted. Who else is affected, and what evidence do we have?",
    "That helps. What would success look like in numbers?",
    "Good. Shall I draft the step's artifact from what we have so far?",
]
SUMMARY_TEXT = (
    "The group framed the problem, named who it affects and agreed how to measure "
    "success. Evidence came from surveys and support tickets."
)

# Step artifacts for the steps generated as done (the demo's, valid for their schema).
STEP_ARTIFACTS: dict[str, dict[str, Any]] = {
    step_id: artifact for step_id, (_m, artifact) in DEMO_STEPS.items() if artifact is not None
}

FIRST_NAMES = ["Jane", "Omar", "Li", "Priya", "Greta", "Hans", "Ana", "Kofi", "Mei", "Tom"]
LAST_NAMES = ["Doe", "Haddad", "Wei", "Natarajan", "Schmidt", "Becker", "Silva", "Mensah"]

# Per profile field: candidate values in their normalised form. Index 0 is the
# customer's current value (for PROFILE_KEYS); proposals pick from the rest,
# so a proposal never repeats the value the profile holds.
PROFILE_SAMPLES: dict[str, list[Any]] = {
    "fullName": ["(generated)", "Jane Smith", "Omar Haddad-Lewis", "Li Wei Chen"],
    "email": ["(generated)", "new.address@example.com", "home@example.org", "work@example.net"],
    "phone": ["020 7946 0000", "07700 900123", "+44 161 496 0000", "0117 496 0555"],
    "dateOfBirth": ["1970-01-01", "1971-02-04", "1985-06-30", "1992-11-12"],
    "occupation": ["Analyst", "Product manager", "Teacher", "Surgeon"],
    "employer": ["Globodyne", "Initech", "Haddad Joinery", "St Mary's Hospital"],
    "incomeBandAnnual": ["25k-50k", "50k-100k", "100k-250k", "250k-plus"],
    "maritalStatus": ["single", "married", "divorced", "widowed"],
    "dependents": [0, 1, 2, 3],
    "riskTolerance": ["moderate", "conservative", "aggressive"],
    "preferredContact": ["email", "phone", "text", "post"],
    "address": [
        "1 High Street, Leeds LS1 1AA",
        "14 Canal Street, Manchester M1 3HE",
        "2 Harbour Road, Bristol BS1 4RN",
        "9 Mill Lane, York YO1 7HH",
    ],
}
# Fields every generated customer's profile holds (the others start empty).
PROFILE_KEYS = [
    "phone",
    "occupation",
    "employer",
    "maritalStatus",
    "dependents",
    "riskTolerance",
    "preferredContact",
]
SOURCE_TEXT = "From the meeting notes: the customer mentioned this change."
CONFIDENCES = ["high", "medium", "low"]


def check_samples(step_schemas: dict[str, dict[str, Any]]) -> None:
    """Raise ValueError when a sample would not pass the app's own validation."""
    from workshops.schemas import artifact_errors

    if set(PROFILE_SAMPLES) != set(FIELDS_BY_KEY):
        raise ValueError("PROFILE_SAMPLES must cover every profile field in crm_artifacts.fields")
    for field in PROFILE_FIELDS:
        values = PROFILE_SAMPLES[field.key]
        generated = 1 if field.key in ("fullName", "email") else 0
        for value in values[generated:]:
            if field.clean(value) != value:
                raise ValueError(f"{field.key}: {value!r} is not in its normalised form")
        current = values[0]
        if any(v == current for v in values[1:]) and field.key in PROFILE_KEYS:
            # A proposal equal to the profile's value is refused by the services.
            raise ValueError(f"{field.key}: a proposed value repeats the current one")
    for step_id, schema in step_schemas.items():
        errors = artifact_errors(schema, STEP_ARTIFACTS[step_id])
        if errors:
            raise ValueError(f"step {step_id}: {'; '.join(errors)}")
