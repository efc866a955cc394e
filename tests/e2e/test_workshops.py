from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.workshops.conftest import get_step, make_workshop
from workshops import services
from workshops.models import StepArtifact

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_alice_chats_saves_the_artifact_summarises_and_sees_them_in_the_next_context(
    page, live_server, login, alice
):
    make_workshop(alice, "Faster onboarding")
    login(page, alice)
    page.get_by_role("link", name="Workshops", exact=True).first.click()
    page.get_by_role("link", name="Faster onboarding").click()
    page.get_by_role("link", name="Challenge").click()
    step_url = page.url
    expect(page.get_by_text("come from the offline assistant")).to_be_visible()

    # Chat: htmx appends both messages without reloading the page.
    page.get_by_label("Your message").fill(
        "New hires take six weeks to become productive.\nwho is affected: new hires and managers"
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log .msg-assistant")).to_have_count(1)
    expect(page.locator("#chat-log .msg-user")).to_contain_text("six weeks")
    expect(page.get_by_label("Your message")).to_have_value("")
    assert page.url == step_url  # no full-page POST/redirect happened

    # Extract a proposal, review it in the form, save it.
    page.get_by_role("button", name="Extract artifact").click()
    expect(page.get_by_text("Proposed by the offline assistant")).to_be_visible()
    expect(page.get_by_label("Who is affected")).to_have_value(re.compile("new hires and managers"))
    page.get_by_role("button", name="Save artifact").click()
    expect(page.get_by_text("Artifact saved (version 1).")).to_be_visible()

    page.get_by_role("button", name="Generate summary").click()
    expect(page.get_by_text(re.compile(r"Summary saved \(version 1, \d+ tokens\)"))).to_be_visible()
    page.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Challenge marked done.")).to_be_visible()

    # The next step's context preview carries both into its tiers.
    page.get_by_role("link", name="its context preview").click()
    expect(page.get_by_role("heading", name="Context preview: Stakeholder mapping")).to_be_visible()
    expect(page.locator("section.tier-persistent")).to_contain_text(
        "problem statement: New hires take six weeks to become productive."
    )
    expect(page.locator("section.tier-long-term")).to_contain_text(
        "The participant covered (1 message): New hires take six weeks"
    )
    expect(page.locator("section.tier-short-term")).to_contain_text("Nothing in this tier.")


def test_workshop_pages_fit_a_375px_screen(page, live_server, login, alice):
    workshop = make_workshop(alice, "Narrow screens")
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, alice)
    base = f"{live_server.url}/workshops/{workshop.pk}"
    for path in [
        "/workshops/",
        f"{base}/",
        f"{base}/steps/ideation/",
        f"{base}/steps/ideation/context/",
    ]:
        page.goto(path if path.startswith("http") else f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"


CHALLENGE = {
    "problem_statement": "New hires take six weeks to settle.",
    "who_is_affected": "Hires",
    "evidence": ["Exit surveys"],
}


def box(page, name: str):
    """The form's text box labelled exactly `name` (row buttons are named after it too)."""
    return page.get_by_role("textbox", name=name, exact=True)


def open_step(context, live_server, url: str):
    page = context.new_page()
    page.goto(url)
    return page


def test_two_pages_editing_different_fields_both_end_up_saved(
    page, live_server, login, alice, in_tenant
):
    workshop = make_workshop(alice, "Shared editing")
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
    login(page, alice)
    url = f"{live_server.url}/workshops/{workshop.pk}/steps/challenge/"
    page.goto(url)
    other = open_step(page.context, live_server, url)  # a second tab, same session

    # Tab 1 adds an evidence row in place (htmx) and saves.
    page.get_by_role("button", name="+ Add piece of evidence").click()
    box(page, "Piece of evidence 2").fill("Ticket volume doubles")
    assert page.url == url  # the row came without a reload
    page.get_by_role("button", name="Save artifact").click()
    expect(page.get_by_text("Artifact saved (version 2).")).to_be_visible()

    # Tab 2, opened at version 1, changes who is affected: merged, not refused.
    box(other, "Who is affected").fill("Hires and their managers")
    other.get_by_role("button", name="Save artifact").click()
    expect(
        other.get_by_text("Artifact saved (version 3). Merged with your change to evidence")
    ).to_be_visible()
    expect(box(other, "Piece of evidence 2")).to_have_value("Ticket volume doubles")
    expect(box(other, "Who is affected")).to_have_value("Hires and their managers")
    with in_tenant(alice):
        saved = StepArtifact.objects.get(workshop_step=step).artifact
    assert saved["evidence"] == ["Exit surveys", "Ticket volume doubles"]
    assert saved["who_is_affected"] == "Hires and their managers"


def test_a_same_field_conflict_is_resolved_field_by_field(
    page, live_server, login, alice, in_tenant
):
    workshop = make_workshop(alice, "Conflicting edits")
    step = get_step(workshop, "challenge")
    with in_tenant(alice):
        services.artifact_save(
            workshop_step=step, user=alice, artifact=CHALLENGE, expected_version=0
        )
    login(page, alice)
    url = f"{live_server.url}/workshops/{workshop.pk}/steps/challenge/"
    page.goto(url)
    other = open_step(page.context, live_server, url)

    box(page, "Who is affected").fill("THEIR WORDS")
    box(page, "Problem statement").fill("New hires take six weeks, say the managers.")
    page.get_by_role("button", name="Save artifact").click()
    expect(page.get_by_text("Artifact saved (version 2).")).to_be_visible()

    box(other, "Who is affected").fill("MY WORDS")
    box(other, "Problem statement").fill("New hires take six weeks, I say.")
    box(other, "Piece of evidence 1").fill("Exit surveys, Q3")
    other.get_by_role("button", name="Save artifact").click()
    conflict = other.locator(".conflict")
    expect(conflict).to_contain_text("Saved meanwhile by you, in another tab (version 2)")
    expect(conflict.locator(".field-conflict")).to_have_count(2)
    expect(conflict).to_contain_text("THEIR WORDS")
    expect(conflict).to_contain_text("MY WORDS")
    # Nothing typed is lost: my values are in the form, my evidence edit merged in.
    expect(box(other, "Who is affected")).to_have_value("MY WORDS")
    expect(box(other, "Piece of evidence 1")).to_have_value("Exit surveys, Q3")

    other.get_by_role("button", name="Keep theirs for who is affected").click()
    expect(box(other, "Who is affected")).to_have_value("THEIR WORDS")
    expect(conflict.locator(".field-conflict")).to_have_count(1)
    other.get_by_role("button", name="Keep mine for problem statement").click()
    expect(other.locator(".field-conflict")).to_have_count(0)
    other.get_by_role("button", name="Save artifact").click()
    expect(other.get_by_text("Artifact saved (version 3).")).to_be_visible()
    with in_tenant(alice):
        saved = StepArtifact.objects.get(workshop_step=step).artifact
    assert saved == {
        "problem_statement": "New hires take six weeks, I say.",
        "who_is_affected": "THEIR WORDS",
        "evidence": ["Exit surveys, Q3"],
    }
