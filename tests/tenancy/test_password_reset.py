"""Password reset and change through real requests, with mail read from a real
SMTP server: one answer whatever the address, links single-use and expiring, the
reset form under the sign-in throttle, other sessions ended by a new password."""

from __future__ import annotations

import pytest
from django.test import Client

from tenancy.forms import RESETS_LOCKED_OUT
from tests.mail import link_in

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-password-42"


def ask(client: Client, email: str):
    return client.post("/accounts/password/reset/", {"email": email})


def choose(client: Client, link: str, password: str = NEW):
    page = client.get(link)  # Django moves the token into the session and redirects
    url = page["Location"] if page.status_code == 302 else link
    return client.post(url, {"new_password1": password, "new_password2": password})


def test_the_same_answer_whether_or_not_the_address_has_an_account(client, alice, mailbox):
    known, unknown = ask(client, "alice@acme.test"), ask(client, "nobody@acme.test")
    assert (known.status_code, unknown.status_code) == (302, 302)
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert mailbox.wait_for("alice@acme.test")
    assert mailbox.wait_for("nobody@acme.test", timeout=0.3) == []
    page = client.get("/accounts/password/reset/sent/")
    assert "If that address has an account" in page.text


def test_a_reset_link_sets_a_new_password_once(client, alice, mailbox):
    ask(client, "ALICE@acme.test")
    [message] = mailbox.wait_for("alice@acme.test")
    assert message["Subject"] == "Reset your AI Skills password"
    link = link_in(message)
    response = choose(Client(), link)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW)

    again = Client().get(link, follow=True)
    assert "This link can no longer be used" in again.text
    response = choose(Client(), link, password="yet-another-password-44")
    alice.refresh_from_db()
    assert alice.check_password(NEW)


def test_a_reset_link_expires(client, alice, mailbox, settings):
    ask(client, "alice@acme.test")
    link = link_in(mailbox.wait_for("alice@acme.test")[0])
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = Client().get(link, follow=True)
    assert "This link can no longer be used" in response.text


def test_a_reset_ends_the_other_sessions(client, client_for, alice, mailbox):
    elsewhere = client_for(alice)
    assert elsewhere.get("/").status_code == 200
    ask(client, "alice@acme.test")
    choose(Client(), link_in(mailbox.wait_for("alice@acme.test")[0]))
    assert elsewhere.get("/").status_code == 302


def test_the_reset_form_is_throttled_without_telling_who_has_an_account(
    client, alice, mailbox, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    answers = [ask(client, "alice@acme.test").status_code for _ in range(4)]
    assert answers == [302, 302, 429, 429]
    unknown = [ask(client, "nobody@acme.test").status_code for _ in range(4)]
    assert unknown == answers
    refusal = RESETS_LOCKED_OUT.split("{")[0]
    assert refusal in ask(client, "alice@acme.test").text
    assert refusal in ask(client, "nobody@acme.test").text
    assert len(mailbox.wait_for("alice@acme.test", count=2)) == 2


def test_asking_for_resets_does_not_lock_the_sign_in(client, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(3):
        ask(client, "alice@acme.test")
    response = client.post(
        "/accounts/login/", {"username": "alice@acme.test", "password": "demo-password"}
    )
    assert response.status_code == 302


def test_a_signed_in_person_is_told_to_sign_out(client, alice_client, alice, mailbox):
    ask(client, "alice@acme.test")
    response = alice_client.get(link_in(mailbox.wait_for("alice@acme.test")[0]))
    assert response.status_code == 404
    assert "Sign out to use this link" in response.text


def test_changing_the_password_keeps_this_session_and_ends_the_others(client_for, alice):
    here, elsewhere = client_for(alice), client_for(alice)
    response = here.post(
        "/accounts/password/change/",
        {"old_password": "demo-password", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_the_change_form_needs_the_old_password(alice_client):
    response = alice_client.post(
        "/accounts/password/change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.text


def test_the_sign_in_page_links_to_the_reset(client):
    assert 'href="/accounts/password/reset/"' in client.get("/accounts/login/").text
