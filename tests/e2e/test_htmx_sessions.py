"""Browser: htmx after the session has ended, and Back after an htmx search.

What is typed when the session ends is kept in the tab and put back after
signing in (config/htmx.py, static/js/app.js).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.crm_artifacts.factories import CustomerFactory
from tests.portfolio.factories import WorkArtifactFactory
from tests.workshops.conftest import make_workshop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _send_after_the_session_ended(page, live_server, user, *, url, field, text, button) -> None:
    """Type into `field` on `url`, lose the session, press `button`, sign in again."""
    page.goto(url)
    page.get_by_label(field).fill(text)
    # As signing out in another tab does: the session cookie goes, the CSRF cookie stays.
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name=button).click()

    page.wait_for_url(f"{live_server.url}/accounts/login/?next=*")
    expect(page.get_by_text("Your session has ended.")).to_be_visible()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url)


def test_a_chat_message_typed_when_the_session_ended_is_back_after_signing_in(
    page, live_server, login, alice
):
    workshop = make_workshop(alice, "Expiring sessions")
    login(page, alice)
    text = "New hires wait two weeks for a laptop."
    _send_after_the_session_ended(
        page,
        live_server,
        alice,
        url=f"{live_server.url}/workshops/{workshop.pk}/steps/challenge/",
        field="Your message",
        text=text,
        button="Send",
    )
    expect(page.get_by_label("Your message")).to_have_value(text)
    expect(page.get_by_label("Your message")).to_be_focused()
    expect(page.locator("#chat-form").get_by_text("It has not been sent yet.")).to_be_visible()
    expect(page.locator("#announcer")).to_contain_text("It has not been sent yet.")
    expect(page.locator("#chat-log .msg")).to_have_count(0)
    # Sending it now works, and a later visit does not bring it back.
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log .msg-user")).to_contain_text("two weeks for a laptop")
    page.reload()
    expect(page.get_by_label("Your message")).to_have_value("")


def test_crm_meeting_notes_typed_when_the_session_ended_are_back_after_signing_in(
    page, live_server, login, bob
):
    customer = CustomerFactory(rm=bob, profile={"fullName": "Jane Doe", "email": "j@old.example"})
    login(page, bob)
    text = "Her new email is jane@new.example."
    _send_after_the_session_ended(
        page,
        live_server,
        bob,
        url=f"{live_server.url}/crm/customers/{customer.pk}/",
        field="Meeting notes",
        text=text,
        button="Propose changes",
    )
    expect(page.get_by_label("Meeting notes")).to_have_value(text)
    expect(page.locator(".proposal")).to_have_count(0)  # nothing was sent


def test_back_after_an_htmx_search_shows_the_whole_page(page, live_server, login, alice):
    WorkArtifactFactory(user=alice, title="Quarterly ledger")
    WorkArtifactFactory(user=alice, title="Hiring plan")
    login(page, alice)
    page.goto(f"{live_server.url}/portfolio/")
    page.get_by_role("searchbox").fill("ledger")
    page.wait_for_url("**/portfolio/?q=ledger")
    expect(page.locator("#announcer")).to_have_text("1 artifact matches “ledger”")  # read out
    page.get_by_role("link", name="Quarterly ledger").click()
    expect(page.get_by_role("heading", name="Quarterly ledger")).to_be_visible()

    page.go_back()
    page.wait_for_url("**/portfolio/?q=ledger")
    expect(page.get_by_role("navigation", name="Main")).to_be_attached()
    expect(page.get_by_role("link", name="Quarterly ledger")).to_be_visible()


def test_signing_in_again_in_another_tab_does_not_lose_a_chat_message(
    page, live_server, login, alice
):
    """Signing in again rotates the CSRF token, so the first tab's form is out of date."""
    workshop = make_workshop(alice, "Two tabs")
    login(page, alice)
    url = f"{live_server.url}/workshops/{workshop.pk}/steps/challenge/"
    page.goto(url)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/")
    other.get_by_role("button", name="Log out").click()
    login(other, alice)

    page.get_by_label("Your message").fill("Typed in the first tab.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-form").get_by_text("It has not been sent yet.")).to_be_visible()
    expect(page.locator("#announcer")).to_contain_text("It has not been sent yet.")
    expect(page.get_by_label("Your message")).to_have_value("Typed in the first tab.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#chat-log .msg-user")).to_contain_text("Typed in the first tab.")
