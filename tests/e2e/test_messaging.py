from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from messaging.services import send_skill_message
from tests.e2e.pages import shown
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sideways_overflow(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_alice_proposes_a_grouping_bob_sees_the_badge_accepts_and_the_tree_shows_it(
    page, live_server, login, alice, bob
):
    skill = SkillFactory(author=bob, name="Python scripting")
    SkillFactory(author=alice, name="Automation")
    SkillFactory(author=alice, name="Zebra")  # sorts after the skill: moving is visible

    login(page, alice)
    page.goto(f"{live_server.url}/skills/{skill.pk}/")
    proposal = page.locator("#propose-grouping")
    proposal.get_by_label("Group under").select_option(label="Automation")
    proposal.get_by_label("Message").fill("Scripts are automation.")
    proposal.get_by_role("button", name="Send proposal").click()
    expect(shown(page, "Proposal sent to Bob Baker.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    login(page, bob)
    nav = page.get_by_role("navigation", name="Main")
    badge = nav.locator(".badge")
    expect(badge).to_have_text("1")  # loaded lazily by htmx
    nav.get_by_role("link", name=re.compile("^Messages")).click()
    row = page.locator(".message-row", has_text="Python scripting")
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    expect(row).to_contain_text("Scripts are automation.")

    row.get_by_role("button", name="Accept").click()
    expect(row.locator(".status")).to_have_text("Accepted")  # swapped in place
    expect(row.get_by_role("button", name="Accept")).to_have_count(0)
    expect(badge).to_have_count(0)  # the badge heard messages-changed and refreshed
    expect(page.get_by_text("Accepted: the skill")).to_have_count(0)  # no full reload

    nav.get_by_role("link", name="Skills").click()
    rows = page.locator(".tree-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Automation")
    expect(rows.nth(1)).to_contain_text("Python scripting")
    expect(rows.nth(1)).to_have_attribute("data-depth", "1")


def test_the_inbox_works_without_javascript(browser, live_server, login, alice, bob, in_tenant):
    skill = SkillFactory(author=bob, name="Python scripting")
    parent = SkillFactory(author=alice, name="Automation")
    with in_tenant(alice):
        send_skill_message(
            sender=alice, subject_skill=skill, proposed_parent_skill=parent, message="Group?"
        )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, bob)
    page.goto(f"{live_server.url}/messages/")
    page.get_by_role("button", name="Decline").click()
    expect(shown(page, "Declined: the skill stays where it was.")).to_be_visible()
    expect(page.locator(".message-row .status")).to_have_text("Declined")
    context.close()


def test_messages_and_the_propose_form_fit_a_375px_screen(page, live_server, login, alice, bob):
    skill = SkillFactory(author=bob, name="A skill with a rather long name for a small screen")
    SkillMessageFactory(subject_skill=skill, from_user=alice, message="word " * 200)
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, bob)
    for path in ["/messages/", "/messages/?box=sent"]:
        page.goto(f"{live_server.url}{path}")
        overflow = sideways_overflow(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
    page.get_by_text("Menu", exact=True).click()  # at 375px, sign-out is in the folded menu
    page.get_by_role("button", name="Log out").click()
    login(page, alice)
    page.goto(f"{live_server.url}/skills/{skill.pk}/")
    expect(page.get_by_role("heading", name="Propose grouping")).to_be_visible()
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"the skill page scrolls sideways by {overflow}px at 375px"
