"""Sign-in rate limit: a few wrong passwords lock that email (from that address)
for a while, on the site's login and the admin's; the right password then waits too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tenancy import login_throttle
from tenancy.models import LoginThrottle
from tests.factories import PASSWORD
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 20
    settings.LOGIN_LOCKOUT_SECONDS = 15 * 60


def sign_in(email: str, password: str, *, address: str = "203.0.113.7", url: str = LOGIN):
    client = Client(REMOTE_ADDR=address)
    response = client.post(url, {"username": email, "password": password})
    return client, response


def fail(times: int, email: str = "alice@acme.test", **kwargs) -> None:
    for _ in range(times):
        _, response = sign_in(email, "wrong", **kwargs)
        assert response.status_code in (200, 429)


def test_wrong_passwords_below_the_limit_only_say_the_password_is_wrong(alice):
    fail(2)
    client, response = sign_in("alice@acme.test", PASSWORD)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_reaching_the_limit_refuses_even_the_right_password_with_429(alice):
    fail(2)
    _, third = sign_in("alice@acme.test", "wrong")
    assert third.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in third.text

    client, response = sign_in("ALICE@acme.test", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_the_lock_is_per_address_so_the_owner_can_still_sign_in_elsewhere(alice):
    fail(3)
    client, response = sign_in("alice@acme.test", PASSWORD, address="198.51.100.20")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_lock_lifts_after_its_time_and_success_clears_the_count(alice):
    fail(3)
    past = timezone.now() - dt.timedelta(seconds=1)
    LoginThrottle.objects.update(locked_until=past, window_started_at=past - dt.timedelta(hours=1))

    _, response = sign_in("alice@acme.test", PASSWORD)
    assert response.status_code == 302
    assert not LoginThrottle.objects.filter(scope__startswith="email:").exists()
    fail(2)  # a fresh count: two more failures do not lock
    assert sign_in("alice@acme.test", PASSWORD)[1].status_code == 302


def test_one_address_trying_many_accounts_is_refused_its_wrong_guesses(alice, bob):
    for number in range(6):
        fail(1, email=f"guess{number}@acme.test")
    # The address is locked: a wrong guess is refused with the lock, for any account.
    assert sign_in("guess-next@acme.test", "wrong")[1].status_code == 429
    assert sign_in("bob@acme.test", "wrong")[1].status_code == 429
    # Another address is not affected.
    assert sign_in("bob@acme.test", PASSWORD, address="198.51.100.20")[1].status_code == 302


def test_fifty_made_up_emails_from_one_address_do_not_lock_out_a_colleague(alice, settings):
    """Issue 11, point 4, at the production limits: 49 failures answer 200, the 50th
    429; alice, at the same address (an office, a proxy), still signs in."""
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 50
    answers = [sign_in(f"made-up-{n}@acme.test", "wrong")[1].status_code for n in range(50)]
    assert answers == [200] * 49 + [429]

    client, response = sign_in("alice@acme.test", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" in client.session
    # The guesser's next wrong guess is still refused, and is not let through later.
    _, guess = sign_in("made-up-50@acme.test", "wrong")
    assert guess.status_code == 429
    assert "Too many failed sign-ins" in guess.text


def test_a_wrong_guess_from_a_locked_address_locks_that_account_there(alice):
    for number in range(6):
        fail(1, email=f"guess{number}@acme.test")
    # One guess per account once the address is locked: the next, right or wrong, waits.
    assert sign_in("alice@acme.test", "wrong")[1].status_code == 429
    client, response = sign_in("alice@acme.test", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert sign_in("alice@acme.test", PASSWORD, address="198.51.100.20")[1].status_code == 302


def test_guessing_one_account_from_many_addresses_is_limited(alice, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 4
    # alice signed in from her office before the guessing started.
    assert sign_in("alice@acme.test", PASSWORD, address="198.51.100.20")[1].status_code == 302
    answers = [
        sign_in("alice@acme.test", "wrong", address=f"192.0.2.{n}")[1].status_code for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    # The account is locked for addresses it never signed in from: even the right
    # password is refused there, so the guessers' next address learns nothing ...
    assert sign_in("alice@acme.test", PASSWORD, address="192.0.2.99")[1].status_code == 429
    # ... while alice still signs in where she signed in before.
    client, response = sign_in("alice@acme.test", PASSWORD, address="198.51.100.20")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_admin_login_is_limited_too(alice):
    alice.is_staff = True
    alice.save()
    fail(3, url="/admin/login/")
    client, response = sign_in("alice@acme.test", PASSWORD, url="/admin/login/")
    # 429 like the site's sign-in (issue 11, point 13), not a 200 page.
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    assert "_auth_user_id" not in client.session


def test_the_proxy_address_is_only_trusted_when_configured(alice, settings):
    # Without a configured proxy a forged X-Forwarded-For changes nothing.
    for number in range(3):
        Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}").post(
            LOGIN, {"username": "alice@acme.test", "password": "wrong"}
        )
    assert sign_in("alice@acme.test", PASSWORD)[1].status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    behind_proxy = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    response = behind_proxy.post(LOGIN, {"username": "alice@acme.test", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("forwarded", ["x" * 500, "198.51.100.9\x00", "not-an-address"])
def test_a_forwarded_address_that_is_no_address_is_not_trusted(alice, settings, forwarded):
    """A client that reaches the app past the proxy writes X-Forwarded-For itself:
    text that is no IP address (too long for the scope, a NUL) was a 500."""
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    response = client.post(LOGIN, {"username": "alice@acme.test", "password": "wrong"})
    assert response.status_code == 200
    assert LoginThrottle.objects.filter(scope="address:10.0.0.1").exists()


def test_a_forwarded_header_without_a_trusted_proxy_is_reported_in_production(
    alice, settings, caplog, monkeypatch
):
    monkeypatch.setattr(login_throttle, "_proxy_warning_logged", False)
    settings.PRODUCTION = True
    settings.TRUSTED_PROXY_COUNT = 0
    for _ in range(2):
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9").post(
            LOGIN, {"username": "alice@acme.test", "password": "wrong"}
        )
    errors = [r for r in caplog.records if r.name == "tenancy.login_throttle"]
    assert len(errors) == 1  # once per process, not once per request
    assert errors[0].levelname == "ERROR"
    assert "TRUSTED_PROXY_COUNT" in errors[0].getMessage()


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_are_each_counted(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 100
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 100
    settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT = 100
    results = run_concurrently([lambda: fail(1) for _ in range(8)])
    assert results == [None] * 8
    assert LoginThrottle.objects.get(scope__startswith="email:").failures == 8
