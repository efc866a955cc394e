"""The artifact form generated from the schema, merges, conflicts and history, through
real requests (workshops/edit_views.py)."""

from __future__ import annotations

import json

import pytest
from django.utils.html import escape

from tests.utils import assert_constant_queries
from workshops import services
from workshops.editor import CONFLICT_FIELD
from workshops.models import StepArtifact, StepSummary, StepVersion
from workshops.versioned import merged_message

pytestmark = pytest.mark.django_db

CHALLENGE = {
    "problem_statement": "New hires take six weeks to settle.",
    "who_is_affected": "Hires",
    "evidence": ["Exit surveys", "Ticket volume"],
}


def url(workshop, step_id="challenge", action=""):
    return f"/workshops/{workshop.pk}/steps/{step_id}/{action + '/' if action else ''}"


def challenge_fields(artifact: dict, version: int, **extra) -> dict:
    """The generated form's fields for a challenge artifact, as the browser posts them."""
    data = {"version": version}
    for name in ("problem_statement", "who_is_affected"):
        if name in artifact:
            data[f"f.{name}"] = artifact[name]
    for name in ("evidence", "success_criteria"):
        items = artifact.get(name, [])
        data[f"f.{name}~rows"] = len(items)
        data.update({f"f.{name}.{i}": item for i, item in enumerate(items)})
    return {**data, **extra}


def field_value(html: str, name: str) -> str:
    """The text of the form's textarea for top-level field `name`."""
    return html.split(f'name="f.{name}"')[1].split(">", 1)[1].split("</textarea>")[0]


def save(client, workshop, artifact, version, **extra):
    data = challenge_fields(artifact, version, action="save", **extra)
    return client.post(url(workshop, action="artifact"), data)


def saved(user, in_tenant):
    with in_tenant(user):
        return StepArtifact.objects.get()


# --- the generated form -------------------------------------------------------------------


def test_the_step_page_shows_the_schema_as_labelled_fields(alice_client, workshop):
    text = alice_client.get(url(workshop)).text
    assert '<label for="f-problem-statement">Problem statement' in text
    assert "The problem in one or two sentences." in text  # the schema's description
    assert '<textarea id="f-problem-statement" name="f.problem_statement"' in text  # 1000 chars
    assert "<legend>Evidence" in text
    assert 'value="add:evidence"' in text
    assert "+ Add piece of evidence" in text
    assert "Edit as JSON" in text
    stakeholders = alice_client.get(url(workshop, "stakeholder-mapping")).text
    assert "<legend>Stakeholder 1</legend>" in stakeholders  # minItems 1: one row to start
    assert (
        '<select id="f-stakeholders-0-influence" name="f.stakeholders.0.influence"' in stakeholders
    )
    priorities = alice_client.get(url(workshop, "prioritisation")).text
    assert 'type="number" id="f-priorities-0-impact"' in priorities
    assert 'min="1" max="5"' in priorities


def test_saving_the_form_saves_the_artifact_and_its_first_version(
    alice_client, alice, workshop, in_tenant
):
    response = save(alice_client, workshop, CHALLENGE, 0)
    assert response.status_code == 302
    artifact = saved(alice, in_tenant)
    assert (artifact.artifact, artifact.version) == (CHALLENGE, 1)
    with in_tenant(alice):
        version = StepVersion.objects.get()
    assert (version.kind, version.version, version.content, version.saved_by) == (
        "artifact",
        1,
        CHALLENGE,
        alice,
    )
    assert "Artifact saved (version 1)." in alice_client.get(url(workshop)).text


def test_blank_rows_are_dropped_on_save(alice_client, alice, workshop, in_tenant):
    save(alice_client, workshop, {**CHALLENGE, "evidence": ["Exit surveys", "  ", ""]}, 0)
    assert saved(alice, in_tenant).artifact["evidence"] == ["Exit surveys"]


@pytest.mark.parametrize(
    ("row", "evidence"),
    [
        ("add:evidence", ["Exit surveys", "Ticket volume", ""]),
        ("remove:evidence.0", ["Ticket volume"]),
        ("up:evidence.1", ["Ticket volume", "Exit surveys"]),
        ("down:evidence.0", ["Ticket volume", "Exit surveys"]),
    ],
)
def test_row_buttons_rerender_the_form_without_javascript_and_save_nothing(
    alice_client, alice, workshop, in_tenant, row, evidence
):
    data = challenge_fields({**CHALLENGE, "who_is_affected": "Typed, not saved"}, 0, row=row)
    response = alice_client.post(url(workshop, action="artifact"), data)
    assert response.status_code == 200
    assert "<html" in response.text  # the whole page, for a browser without JavaScript
    text = response.text
    assert f'name="f.evidence~rows" value="{len(evidence)}"' in text
    for i, item in enumerate(evidence):
        assert f'name="f.evidence.{i}" rows="2">{item}</textarea>' in text
    assert "Typed, not saved" in text  # what was typed elsewhere stays
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


def test_a_row_button_with_htmx_answers_the_editor_fragment(alice_client, workshop):
    data = challenge_fields(CHALLENGE, 0, row="add:success_criteria")
    response = alice_client.post(url(workshop, action="artifact"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<form id="artifact-editor"')
    assert 'name="f.success_criteria.0" rows="2"></textarea>' in response.text


def test_a_forged_row_action_changes_nothing(alice_client, workshop):
    data = challenge_fields(CHALLENGE, 0, row="remove:problem_statement.7")
    response = alice_client.post(url(workshop, action="artifact"), data)
    assert response.status_code == 200
    assert 'name="f.evidence~rows" value="2"' in response.text


def test_validation_messages_are_plain_words_next_to_the_field(
    alice_client, alice, workshop, in_tenant
):
    response = save(alice_client, workshop, {**CHALLENGE, "who_is_affected": ""}, 0)
    assert response.status_code == 200
    text = response.text
    field = text.split('id="f-who-is-affected"')[1].split("</div>")[0]
    assert "Who is affected is required." in field
    assert "New hires take six weeks to settle." in text  # the rest of the input is kept
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


def test_list_and_enum_messages_name_the_field_in_words(alice_client, workshop):
    data = {
        "version": 0,
        "action": "save",
        "f.stakeholders~rows": 1,
        "f.stakeholders.0.name": "Managers",
        "f.stakeholders.0.influence": "enormous",
    }
    text = alice_client.post(url(workshop, "stakeholder-mapping", "artifact"), data).text
    assert escape("Influence must be one of: low, medium, high.") in text
    empty = {"version": 0, "action": "save", "f.stakeholders~rows": 0}
    text = alice_client.post(url(workshop, "stakeholder-mapping", "artifact"), empty).text
    assert "Add at least one stakeholder." in text.split('id="f-stakeholders"')[1]


def test_a_number_that_is_not_one_is_kept_and_explained(alice_client, workshop):
    data = {
        "version": 0,
        "action": "save",
        "f.priorities~rows": 1,
        "f.priorities.0.idea": "Buddy",
        "f.priorities.0.impact": "lots",
        "f.priorities.0.effort": "2",
    }
    text = alice_client.post(url(workshop, "prioritisation", "artifact"), data).text
    assert "Impact must be a whole number." in text
    assert 'value="lots"' in text


def test_the_json_editor_goes_through_the_same_service(alice_client, alice, workshop, in_tenant):
    bad = alice_client.post(
        url(workshop, action="artifact"),
        {"artifact": '{"problem_statement": "Long enough text"}', "version": 0, "action": "save"},
    )
    assert '<details class="json-toggle" open>' in bad.text
    assert "who_is_affected: is required." in bad.text
    good = alice_client.post(
        url(workshop, action="artifact"),
        {"artifact": json.dumps(CHALLENGE), "version": 0, "action": "save"},
    )
    assert good.status_code == 302
    assert saved(alice, in_tenant).artifact == CHALLENGE


def test_extract_fills_the_form_for_review_and_saves_nothing(
    alice_client, alice, workshop, in_tenant
):
    alice_client.post(url(workshop, "ideation", "messages"), {"content": "- Buddy system"})
    response = alice_client.post(url(workshop, "ideation", "artifact"), {"action": "extract"})
    assert response.status_code == 200
    assert "Proposed by the offline assistant" in response.text
    assert 'name="f.ideas.0.title" value="Buddy system"' in response.text
    with in_tenant(alice):
        assert not StepArtifact.objects.exists()


# --- stale saves: merged, or resolved field by field ----------------------------------------


def test_a_stale_save_of_other_fields_merges_and_says_so(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=CHALLENGE, expected_version=0
        )
        theirs = {**CHALLENGE, "evidence": [*CHALLENGE["evidence"], "Manager interviews"]}
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=theirs, expected_version=1
        )
    mine = {**CHALLENGE, "who_is_affected": "Hires and managers"}
    response = save(alice_client, challenge.workshop, mine, 1)
    assert response.status_code == 302
    artifact = saved(alice, in_tenant)
    assert artifact.version == 3
    assert artifact.artifact == {**theirs, "who_is_affected": "Hires and managers"}
    page = alice_client.get(url(challenge.workshop)).text
    assert "Artifact saved (version 3). Merged with your change to evidence" in page
    assert "(you, in another tab)" in page


def test_a_same_field_conflict_keeps_both_values_until_i_choose(
    alice_client, alice, step, in_tenant
):
    challenge = step("challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=CHALLENGE, expected_version=0
        )
        theirs = {**CHALLENGE, "who_is_affected": "THEIRS", "evidence": ["Exit surveys"]}
        services.artifact_save(
            workshop_step=challenge, user=alice, artifact=theirs, expected_version=1
        )
    mine = {**CHALLENGE, "who_is_affected": "MINE", "problem_statement": "Mine, merged in."}
    response = save(alice_client, challenge.workshop, mine, 1)
    assert response.status_code == 409
    text = response.text
    panel = text.split('class="field-conflict"')[1]
    assert "<h3>Who is affected</h3>" in panel
    assert ">Hires</pre>" in panel  # base
    assert ">THEIRS</pre>" in panel
    assert ">MINE</pre>" in panel
    assert "Saved meanwhile by you, in another tab (version 2)" in text
    assert 'name="version" value="2"' in text
    # The form holds mine where we disagree, and both sides' other changes merged.
    assert field_value(text, "who_is_affected") == "MINE"
    assert "Mine, merged in." in text
    assert 'name="f.evidence~rows" value="1"' in text
    assert saved(alice, in_tenant).version == 2  # nothing saved yet

    # "Keep theirs" for that field: the form takes their value, the conflict is settled.
    state = text.split(f'name="{CONFLICT_FIELD}" value="')[1].split('"')[0]
    data = challenge_fields({**mine, "evidence": ["Exit surveys"]}, 2)
    data |= {CONFLICT_FIELD: json.loads(f'"{state}"'.replace("&quot;", '\\"'))}
    data["resolve"] = "theirs:who_is_affected"
    chosen = alice_client.post(url(challenge.workshop, action="artifact"), data)
    assert chosen.status_code == 200
    assert field_value(chosen.text, "who_is_affected") == "THEIRS"
    assert 'class="field-conflict"' not in chosen.text

    done = save(
        alice_client, challenge.workshop, {**theirs, **{"problem_statement": "Mine, merged in."}}, 2
    )
    assert done.status_code == 302
    artifact = saved(alice, in_tenant)
    assert artifact.version == 3
    assert artifact.artifact["who_is_affected"] == "THEIRS"
    assert artifact.artifact["problem_statement"] == "Mine, merged in."


def test_merged_message_names_the_other_person(alice, bob):
    message = merged_message(
        others=[bob], user=alice, fields=["evidence"], labels={"evidence": "Evidence"}
    )
    assert message == f"Merged with {bob}'s change to evidence."


# --- history ------------------------------------------------------------------------------


def make_versions(user, step, count: int, in_tenant) -> None:
    with in_tenant(user):
        current = StepArtifact.objects.filter(workshop_step=step).first()
        version = current.version if current else 0
        for i in range(count):
            services.artifact_save(
                workshop_step=step,
                user=user,
                artifact={**CHALLENGE, "who_is_affected": f"Group {version + i}"},
                expected_version=version + i,
            )


def test_history_lists_versions_and_diffs_any_two(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    make_versions(alice, challenge, 3, in_tenant)
    page = alice_client.get(url(challenge.workshop, action="artifact/history"))
    assert page.status_code == 200
    text = page.text
    for version in (1, 2, 3):
        assert f"<strong>Version {version}</strong>" in text
    assert "Version 2 → version 3" in text
    diff = alice_client.get(url(challenge.workshop, action="artifact/history"), {"a": 1, "b": 3})
    row = diff.text.split("Who is affected")[1].split("</tr>")[0]
    assert "(changed)" in row
    assert "Group 0" in row
    assert "Group 2" in row
    unchanged = diff.text.split("Problem statement")[1].split("</tr>")[0]
    assert "(changed)" not in unchanged


def test_restore_saves_an_old_version_as_a_new_one(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    make_versions(alice, challenge, 3, in_tenant)
    response = alice_client.post(
        url(challenge.workshop, action="artifact/history/1/restore"), {"version": 3}
    )
    assert response.status_code == 302
    artifact = saved(alice, in_tenant)
    assert (artifact.version, artifact.artifact["who_is_affected"]) == (4, "Group 0")
    with in_tenant(alice):
        versions = list(StepVersion.objects.order_by("version").values_list("version", "note"))
    assert versions[:3] == [(1, ""), (2, ""), (3, "")]  # history is never rewritten
    assert versions[3] == (4, "Restored version 1")
    assert "Version 1 restored as version 4." in alice_client.get(response["Location"]).text


def test_restoring_a_version_that_does_not_exist_is_404(alice_client, alice, step, in_tenant):
    challenge = step("challenge")
    make_versions(alice, challenge, 1, in_tenant)
    response = alice_client.post(
        url(challenge.workshop, action="artifact/history/9/restore"), {"version": 1}
    )
    assert response.status_code == 404


def test_history_and_step_pages_run_the_same_queries_at_2_and_20_versions(
    alice_client, alice, step, in_tenant
):
    challenge = step("challenge")
    make_versions(alice, challenge, 2, in_tenant)
    for path in (url(challenge.workshop, action="artifact/history"), url(challenge.workshop)):
        assert_constant_queries(
            lambda path=path: alice_client.get(path),
            lambda: make_versions(alice, challenge, 9, in_tenant),
            limit=14,
        )


def test_history_with_nothing_saved_says_so(alice_client, workshop):
    text = alice_client.get(url(workshop, action="summary/history")).text
    assert "Nothing saved yet" in text


# --- summary -------------------------------------------------------------------------------


def test_an_edited_summary_is_saved_and_kept_in_history(alice_client, alice, workshop, in_tenant):
    response = alice_client.post(
        url(workshop, action="summary"), {"action": "save", "summary": "By hand.", "version": 0}
    )
    assert response.status_code == 302
    with in_tenant(alice):
        assert StepSummary.objects.get().summary == "By hand."
        assert StepVersion.objects.get(kind="summary").content == "By hand."
    history = alice_client.get(url(workshop, action="summary/history")).text
    assert "By hand." in history


def test_an_empty_edited_summary_is_a_message_next_to_the_field(alice_client, workshop):
    response = alice_client.post(
        url(workshop, action="summary"), {"action": "save", "summary": "  ", "version": 0}
    )
    assert response.status_code == 200
    assert services.SUMMARY_REQUIRED in response.text.split('id="summary-text"')[1]


def test_a_summary_changed_on_both_sides_is_a_conflict_showing_the_base(
    alice_client, alice, step, in_tenant
):
    challenge = step("challenge")
    with in_tenant(alice):
        services.summary_save(
            workshop_step=challenge, user=alice, summary="BASE", expected_version=0
        )
        services.summary_save(
            workshop_step=challenge, user=alice, summary="THEIRS", expected_version=1
        )
    response = alice_client.post(
        url(challenge.workshop, action="summary"),
        {"action": "save", "summary": "MINE", "version": 1},
    )
    assert response.status_code == 409
    text = response.text
    assert ">BASE</pre>" in text
    assert ">THEIRS</pre>" in text
    assert ">MINE</pre>" in text
    assert "Keep mine" in text
    assert "Keep theirs" in text


def test_the_lazy_editor_context_names_what_editor_context_gives(step, alice, in_tenant):
    """The step page's editor, built only when its panel renders, offers the template
    exactly the names the editor gives (workshops/editor.py)."""
    from workshops.editor import EDITOR_KEYS, editor_context, lazy_editor_context

    challenge = step("challenge")
    with in_tenant(alice):
        eager = editor_context(challenge, None)
        lazy = lazy_editor_context(challenge, None)
    assert tuple(eager) == EDITOR_KEYS
    assert tuple(lazy) == EDITOR_KEYS
    assert str(lazy["editor_url"]) == eager["editor_url"]
    assert [f.name for f in lazy["artifact_fields"]] == [f.name for f in eager["artifact_fields"]]
