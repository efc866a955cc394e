"""Accounts in Chromium: a tenant admin invites a colleague who accepts in another
browser, and two-factor sign-in is set up and used; mail goes through a real SMTP
server on 127.0.0.1."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tenancy.demo import tenant_admin_group
from tests.mail import link_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tenant_admin(alice):
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    return alice


def test_an_invited_colleague_joins_from_the_mailed_link(
    page, browser, live_server, login, tenant_admin, mailbox
):
    login(page, tenant_admin)
    page.get_by_role("link", name="People").click()
    page.get_by_label("Email").fill("nina@acme.test")
    page.get_by_label("Role").select_option("relationship_manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to nina@acme.test.")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0

    [message] = mailbox.wait_for("nina@acme.test")
    other = browser.new_context().new_page()  # the invitee's own browser
    other.goto(live_server.url + link_in(message))
    expect(other.get_by_role("heading", name="Join Acme")).to_be_visible()
    other.get_by_label("Your name").fill("Nina Novak")
    other.locator("#id_new_password1").fill("a-long-new-password-42")
    other.get_by_label("Password again").fill("a-long-new-password-42")
    other.get_by_role("button", name="Create my account").click()
    expect(other.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    expect(other.get_by_text("Welcome to Acme.")).to_be_visible()

    page.reload()
    expect(page.get_by_text("nina@acme.test", exact=True)).to_be_visible()
    expect(page.get_by_label("Role of nina@acme.test")).to_have_value("relationship_manager")

    # Row actions swap the row in place (htmx), no page load.
    row = page.locator("tr", has_text="nina@acme.test")
    row.get_by_role("button", name="Deactivate").click()
    expect(row.get_by_text("Deactivated", exact=True)).to_be_visible()
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
    other.reload()
    expect(other.get_by_role("heading", name="Sign in")).to_be_visible()


def _code(secret: str, steps: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps
    return f"{totp.token():06d}"


def test_two_factor_sign_in_is_set_up_and_asked_for(page, live_server, login, alice):
    login(page, alice)
    page.get_by_role("link", name="Alice Archer").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(
        page.get_by_role("img", name="QR code to scan with your authenticator app")
    ).to_be_visible()
    secret = page.locator(".secret").inner_text()
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code").fill(_code(secret, steps=1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()


def test_a_forgotten_password_is_reset_from_the_mailed_link(page, live_server, bob, mailbox):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("bob@acme.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = mailbox.wait_for("bob@acme.test")
    page.goto(live_server.url + link_in(message))
    page.get_by_label("New password", exact=False).first.fill("a-long-new-password-42")
    page.get_by_label("New password confirmation").fill("a-long-new-password-42")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("bob@acme.test")
    page.get_by_label("Password").fill("a-long-new-password-42")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Welcome, Bob")).to_be_visible()
