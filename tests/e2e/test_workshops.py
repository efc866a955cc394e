from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.workshops.conftest import make_workshop

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

    # Extract a proposal, review it in the editor, save it.
    page.get_by_role("button", name="Extract artifact").click()
    expect(page.get_by_text("Proposed by the offline assistant")).to_be_visible()
    expect(page.get_by_label("Artifact (JSON)")).to_have_value(re.compile("new hires and managers"))
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
