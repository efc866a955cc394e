"""The five workshop steps and their artifact JSON Schemas (Draft 2020-12).

Reference data shipped with the code: a global table, loaded here and removed
again on the way back. The data is written out in this file (not imported from
the app) so the migration keeps meaning what it meant when it ran.
"""

from django.db import migrations

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"


def _text(description, max_length, min_length=1):
    return {
        "type": "string",
        "minLength": min_length,
        "maxLength": max_length,
        "description": description,
    }


def _list_of_text(description, max_items=20):
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 500},
        "maxItems": max_items,
        "description": description,
    }


def _object(title, properties, required):
    return {
        "$schema": SCHEMA_URI,
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _list_of_objects(description, properties, required, max_items):
    return {
        "type": "array",
        "minItems": 1,
        "maxItems": max_items,
        "description": description,
        "items": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


SCORE = {"type": "integer", "minimum": 1, "maximum": 5}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}

STEPS = [
    {
        "id": "challenge",
        "order": 1,
        "name": "Challenge",
        "description": "Frame the problem: what hurts, for whom, and how you will know it is solved.",
        "schema": _object(
            "Challenge",
            {
                "problem_statement": _text("The problem in one or two sentences.", 1000, 10),
                "who_is_affected": _text("Who feels the problem.", 500),
                "evidence": _list_of_text("Facts or observations that show the problem."),
                "success_criteria": _list_of_text("How you will know the problem is solved."),
            },
            ["problem_statement", "who_is_affected"],
        ),
    },
    {
        "id": "stakeholder-mapping",
        "order": 2,
        "name": "Stakeholder mapping",
        "description": "List the people and groups the challenge touches, and how much sway each has.",
        "schema": _object(
            "Stakeholder map",
            {
                "stakeholders": _list_of_objects(
                    "The people and groups involved.",
                    {
                        "name": _text("Who the stakeholder is.", 200),
                        "interest": _text("What they care about here.", 500, 0),
                        "influence": {
                            "enum": ["low", "medium", "high"],
                            "description": "How much they can shape the outcome.",
                        },
                    },
                    ["name", "influence"],
                    30,
                ),
            },
            ["stakeholders"],
        ),
    },
    {
        "id": "ideation",
        "order": 3,
        "name": "Ideation",
        "description": "Generate ideas that could address the challenge, without judging them yet.",
        "schema": _object(
            "Ideas",
            {
                "ideas": _list_of_objects(
                    "Candidate ideas.",
                    {
                        "title": _text("A short name for the idea.", 200),
                        "description": _text("What the idea is.", 1000, 0),
                    },
                    ["title"],
                    50,
                ),
            },
            ["ideas"],
        ),
    },
    {
        "id": "prioritisation",
        "order": 4,
        "name": "Prioritisation",
        "description": "Score the ideas by impact and effort and pick the ones worth doing first.",
        "schema": _object(
            "Priorities",
            {
                "priorities": _list_of_objects(
                    "Ideas scored from 1 (low) to 5 (high).",
                    {
                        "idea": _text("The idea being scored.", 200),
                        "impact": {**SCORE, "description": "Impact, 1 to 5."},
                        "effort": {**SCORE, "description": "Effort, 1 to 5."},
                        "rationale": _text("Why this score.", 1000, 0),
                    },
                    ["idea", "impact", "effort"],
                    20,
                ),
            },
            ["priorities"],
        ),
    },
    {
        "id": "action-plan",
        "order": 5,
        "name": "Action plan",
        "description": "Turn the chosen ideas into actions with owners and dates.",
        "schema": _object(
            "Action plan",
            {
                "actions": _list_of_objects(
                    "Concrete next actions.",
                    {
                        "action": _text("What will be done.", 500),
                        "owner": _text("Who does it.", 200),
                        "due": {**DATE, "description": "Due date, YYYY-MM-DD."},
                    },
                    ["action", "owner"],
                    30,
                ),
                "next_review": {**DATE, "description": "When the plan is reviewed, YYYY-MM-DD."},
            },
            ["actions"],
        ),
    },
]


def load_steps(apps, schema_editor):
    StepDefinition = apps.get_model("workshops", "StepDefinition")
    for step in STEPS:
        StepDefinition.objects.update_or_create(
            id=step["id"],
            defaults={
                "order": step["order"],
                "name": step["name"],
                "description": step["description"],
                "schema": step["schema"],
                "schema_version": "1.0",
            },
        )


def unload_steps(apps, schema_editor):
    StepDefinition = apps.get_model("workshops", "StepDefinition")
    StepDefinition.objects.filter(id__in=[step["id"] for step in STEPS]).delete()


class Migration(migrations.Migration):
    dependencies = [("workshops", "0001_initial")]

    operations = [migrations.RunPython(load_steps, unload_steps)]
