"""The step page's poll (a conditional GET, 304 when nothing changed) and the
Markdown export of a workshop (issue 12 sections 3 and 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from tests.factories import UserFactory
from tests.workshops.conftest import get_step
from tests.workshops.factories import ChatMessageFactory
from workshops import services

pytestmark = pytest.mark.django_db

CHALLENGE = {
    "problem_statement": "New hires take six weeks to settle.",
    "who_is_affected": "Hires and their managers",
    "evidence": ["Exit surveys", "Support tickets double"],
    "success_criteria": ["Productive in three weeks"],
}


@pytest.fixture
def shared(workshop, alice, bob, in_tenant):
    with in_tenant(alice):
        services.participant_add(workshop=workshop, user=alice, participant=bob)
    return workshop


def changes_url(workshop, after=0, artifact=0, step_id="challenge"):
    return f"/workshops/{workshop.pk}/steps/{step_id}/changes/?after={after}&artifact={artifact}"


def test_the_poll_answers_304_until_something_changes(shared, alice, bob, client_for, in_tenant):
    alices = client_for(alice)
    first = alices.get(changes_url(shared))
    assert first.status_code == 200
    etag = first["ETag"]
    assert "no-cache" in first["Cache-Control"]
    assert "private" in first["Cache-Control"]
    same = alices.get(changes_url(shared), HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304
    assert same.content == b""

    step = get_step(shared, "challenge")
    with in_tenant(alice):
        message = services.message_post(workshop_step=step, user=bob, content="Bob's news")
    changed = alices.get(changes_url(shared), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert "Bob&#x27;s news" in changed.text
    assert f'id="msg-{message.pk}"' in changed.text
    assert escape(str(bob)) in changed.text  # the author's name on the message
    # Asked again after that message: nothing new to append.
    later = alices.get(changes_url(shared, after=message.pk))
    assert "Bob&#x27;s news" not in later.text


def test_the_poll_says_who_changed_the_artifact_since_the_page_opened(
    shared, alice, bob, client_for, in_tenant
):
    step = get_step(shared, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
    alices, bobs = client_for(alice), client_for(bob)
    # bob opened the page at version 1; alice saved it, nothing new for him.
    assert "The artifact changed" not in bobs.get(changes_url(shared, artifact=1)).text
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step,
            user=bob,
            artifact={**CHALLENGE, "who_is_affected": "Everyone"},
            expected_version=1,
        )
    told = alices.get(changes_url(shared, artifact=1)).text
    assert "The artifact changed (version 2, by" in told
    assert escape(str(bob)) in told
    # bob's own save is no news to bob.
    assert "The artifact changed" not in bobs.get(changes_url(shared, artifact=1)).text


def test_a_not_modified_poll_is_one_query_besides_the_session(shared, alice, client_for):
    alices = client_for(alice)
    etag = alices.get(changes_url(shared))["ETag"]
    # Session, user, then the step with its changes: as many queries at any chat size.
    counts = []
    for grow in (5, 50):
        ChatMessageFactory.create_batch(grow, workshop_step=get_step(shared, "challenge"))
        etag = alices.get(changes_url(shared))["ETag"]
        with CaptureQueriesContext(connection) as queries:
            assert alices.get(changes_url(shared), HTTP_IF_NONE_MATCH=etag).status_code == 304
        counts.append(len(queries))
        step_queries = [q for q in queries if "workshops_" in q["sql"]]
        assert len(step_queries) == 1, [q["sql"] for q in step_queries]
    assert counts[0] == counts[1]


def test_poll_queries_stay_constant_when_messages_arrive(shared, alice, client_for):
    alices = client_for(alice)
    step = get_step(shared, "challenge")
    counts = []
    for grow in (5, 50):
        ChatMessageFactory.create_batch(grow, workshop_step=step)
        with CaptureQueriesContext(connection) as queries:
            response = alices.get(changes_url(shared))
        assert response.text.count('class="msg ') >= grow
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_stranger_s_poll_is_404(shared, carol, client_for, acme):
    assert client_for(carol).get(changes_url(shared)).status_code == 404
    assert client_for(UserFactory(tenant=acme)).get(changes_url(shared)).status_code == 404


# --- export -------------------------------------------------------------------------------


def test_the_markdown_export_has_every_step_the_people_and_the_dates(
    shared, alice, bob, client_for, in_tenant
):
    step = get_step(shared, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
        services.summary_save(
            workshop_step=step, user=bob, summary="We agreed *buddies* help.", expected_version=0
        )
        services.step_mark_done(workshop_step=step, user=alice)
    response = client_for(bob).get(f"/workshops/{shared.pk}/export.md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="faster-onboarding.md"'
    text = response.content.decode()
    assert text.startswith("# Faster onboarding\n")
    assert f"- **Facilitator:** {alice}" in text
    assert f"- **Participants:** {bob}" in text
    assert "- **Created:** " in text
    assert "- **Steps done:** 1 of 5" in text
    for heading in ("## 1. Challenge", "## 2. Stakeholder mapping", "## 5. Action plan"):
        assert heading in text
    # The artifact as readable sections, not JSON.
    assert "New hires take six weeks to settle." in text
    assert "- Exit surveys\n- Support tickets double" in text
    assert "{" not in text
    # Markup the participants typed is escaped, not interpreted.
    assert "We agreed \\*buddies\\* help." in text
    assert text.count("No artifact saved.") == 4


def test_the_workshop_page_shows_the_artifacts_for_printing(shared, alice, client_for, in_tenant):
    step = get_step(shared, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
    page = client_for(alice).get(f"/workshops/{shared.pk}/")
    assert "<li>Support tickets double</li>" in page.text
    assert "Export as Markdown" in page.text
    css = Path(settings.BASE_DIR, "static/workshops/workshops.css").read_text()
    assert "@media print" in css
