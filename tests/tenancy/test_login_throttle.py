"""Sign-in rate limit: a few wrong passwords lock that email (from that address)
for a while, on the site's login and the admin's; the right password then waits too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tenancy.models import LoginThrottle
from tests.factories import PASSWORD
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 6
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


def test_one_address_trying_many_accounts_is_locked_as_a_whole(alice, bob):
    for number in range(6):
        fail(1, email=f"guess{number}@acme.test")
    _, response = sign_in("bob@acme.test", PASSWORD)
    assert response.status_code == 429
    # Another address is not affected.
    assert sign_in("bob@acme.test", PASSWORD, address="198.51.100.20")[1].status_code == 302


def test_the_admin_login_is_limited_too(alice):
    alice.is_staff = True
    alice.save()
    fail(3, url="/admin/login/")
    client, response = sign_in("alice@acme.test", PASSWORD, url="/admin/login/")
    assert response.status_code == 200
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


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_are_each_counted(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 100
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 100
    results = run_concurrently([lambda: fail(1) for _ in range(8)])
    assert results == [None] * 8
    assert LoginThrottle.objects.get(scope__startswith="email:").failures == 8
