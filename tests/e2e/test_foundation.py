from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_alice_logs_in_creates_a_skill_and_logs_out(page, live_server, login, alice):
    login(page, alice)
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()

    page.get_by_role("link", name="Skills", exact=True).first.click()
    page.get_by_role("link", name="New skill").click()
    page.get_by_label("Name").fill("Meeting summaries")
    page.get_by_label("Description").fill("Condensing meeting notes.")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Meeting summaries")).to_be_visible()
    expect(page.get_by_text("Skill “Meeting summaries” created.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_pages_fit_a_375px_screen(page, live_server, login, alice):
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, alice)
    for path in ["/", "/skills/", "/skills/new/"]:
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
