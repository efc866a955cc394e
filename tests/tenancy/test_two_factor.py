"""Two-factor sign-in through real requests: setting it up, signing in to the site
and the admin with a code or a recovery code, wrong codes under the sign-in
throttle, and a tenant that requires it."""

from __future__ import annotations

import time
from html import unescape

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenancy import two_factor
from tenancy.models import User
from tenancy.two_factor import CODE_WRONG, ENROL_YOURSELF_FIRST, REQUIRED_BY_TENANT

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_otp_delay(settings) -> None:
    """django-otp also makes each device wait 1 s, 2 s, 4 s… after a wrong code; a test
    that types a right code right after a wrong one skips that wait (our own sign-in
    lock is tested below)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def code(user: User, steps: int = 0) -> str:
    """The authenticator's code `steps` periods from now (a code works once)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():06d}"


def enrol(client: Client, user: User) -> list[str]:
    client.post("/accounts/two-factor/", {"action": "start"})
    response = client.post("/accounts/two-factor/", {"action": "confirm", "code": code(user)})
    assert response.status_code == 200
    return response.context["codes"]


def sign_in(client: Client, email: str, url: str = "/accounts/login/", **extra):
    return client.post(url, {"username": email, "password": "demo-password", **extra})


def test_setting_up_shows_a_qr_code_then_recovery_codes(alice_client, alice, no_otp_delay):
    page = alice_client.post("/accounts/two-factor/", {"action": "start"})
    assert 'src="data:image/svg+xml;charset=utf-8,%3Csvg%20xmlns' in page.text
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert two_factor.secret_for_typing(device) in page.text
    wrong = alice_client.post("/accounts/two-factor/", {"action": "confirm", "code": "000000"})
    assert CODE_WRONG in unescape(wrong.text)
    codes = enrol(alice_client, alice)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=alice).confirmed
    assert "10 recovery codes left" in alice_client.get("/accounts/two-factor/").text


def test_setting_up_ends_the_other_sessions(client_for, alice):
    here, elsewhere = client_for(alice), client_for(alice)
    enrol(here, alice)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_signing_in_asks_for_the_code(client, client_for, alice, no_otp_delay):
    enrol(client_for(alice), alice)
    response = sign_in(client, "alice@acme.test")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/verify/?next=%2F"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/two-factor/verify/", {"code": "123456", "next": "/"})
    assert wrong.status_code == 200
    assert CODE_WRONG in unescape(wrong.text)
    right = client.post("/accounts/two-factor/verify/", {"code": code(alice, 1), "next": "/"})
    assert right.status_code == 302
    assert right["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once(client, client_for, alice):
    codes = enrol(client_for(alice), alice)
    sign_in(client, "alice@acme.test")
    assert client.post("/accounts/two-factor/verify/", {"code": codes[0]}).status_code == 302
    other = Client()
    sign_in(other, "alice@acme.test")
    again = other.post("/accounts/two-factor/verify/", {"code": codes[0]})
    assert again.status_code == 200
    assert "9 recovery codes left" in client.get("/accounts/two-factor/").text


def test_the_admin_sign_in_asks_for_the_code_too(client, client_for, tenant_admin):
    enrol(client_for(tenant_admin), tenant_admin)
    response = sign_in(client, "alice@acme.test", url="/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    assert client.get("/admin/").status_code == 302
    response = client.post(response["Location"], {"code": code(tenant_admin, 1)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_wrong_codes_count_towards_the_sign_in_lock(client, client_for, alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    enrol(client_for(alice), alice)
    sign_in(client, "alice@acme.test")
    answers = [
        client.post("/accounts/two-factor/verify/", {"code": "000000"}).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 429, 429]
    right = client.post("/accounts/two-factor/verify/", {"code": code(alice, 1)})
    assert right.status_code == 429  # locked: the right code waits too


def test_the_code_step_expires(client, client_for, alice, monkeypatch):
    enrol(client_for(alice), alice)
    sign_in(client, "alice@acme.test")
    monkeypatch.setattr(two_factor, "PENDING_SECONDS", -1)
    response = client.post("/accounts/two-factor/verify/", {"code": code(alice, 1)})
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_the_code_page_needs_a_password_first(client):
    assert client.get("/accounts/two-factor/verify/")["Location"] == "/accounts/login/"


def test_turning_off_needs_a_code(alice_client, alice, no_otp_delay):
    enrol(alice_client, alice)
    refused = alice_client.post("/accounts/two-factor/", {"action": "disable", "code": "1"})
    assert CODE_WRONG in unescape(refused.text)
    alice_client.post("/accounts/two-factor/", {"action": "disable", "code": code(alice, 1)})
    assert not two_factor.is_enabled(alice)


def test_a_tenant_admin_requires_it_for_everyone(admin_client, client_for, tenant_admin, bob):
    refused = admin_client.post("/people/two-factor/", {"required": "on"}, follow=True)
    assert ENROL_YOURSELF_FIRST in unescape(refused.text)
    bobs = client_for(bob)
    enrol(admin_client, tenant_admin)
    admin_client.post("/people/two-factor/", {"required": "on"})
    tenant_admin.tenant.refresh_from_db()
    assert tenant_admin.tenant.two_factor_required
    assert admin_client.get("/people/").status_code == 200  # she has it: stays signed in
    assert bobs.get("/").status_code == 302  # bob's session ended

    bob_client = Client()
    response = sign_in(bob_client, "bob@acme.test")
    assert response["Location"] == "/accounts/two-factor/?next=%2F"
    assert bob_client.get("/skills/")["Location"] == "/accounts/two-factor/"
    htmx = bob_client.get("/skills/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/accounts/two-factor/"
    enrol(bob_client, bob)
    assert bob_client.get("/skills/").status_code == 200

    refused = bob_client.post("/accounts/two-factor/", {"action": "disable", "code": code(bob, 1)})
    assert refused.status_code == 403
    assert REQUIRED_BY_TENANT in unescape(refused.text)


def test_a_member_cannot_set_the_tenant_rule(client_for, bob):
    assert client_for(bob).post("/people/two-factor/", {"required": "on"}).status_code == 403
    assert client_for(bob).get("/people/two-factor/").status_code == 405


def test_a_tenant_admin_can_turn_off_a_colleagues_lost_two_factor(admin_client, client_for, bob):
    bobs = client_for(bob)
    enrol(bobs, bob)
    admin_client.post(
        "/admin/tenancy/user/", {"action": "reset_two_factor", "_selected_action": [bob.pk]}
    )
    assert not two_factor.is_enabled(bob)
    assert bobs.get("/").status_code == 302
    response = sign_in(Client(), "bob@acme.test")
    assert response["Location"] == "/"


def test_django_otps_device_admin_is_not_exposed(admin_client):
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_the_admin_sign_in_without_two_factor_goes_straight_in(client, tenant_admin):
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert "AI Skills administration" in page.text
    response = sign_in(client, "alice@acme.test", url="/admin/login/?next=/admin/", next="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get("/admin/login/")["Location"] == "/admin/"


def test_the_admin_sign_in_refuses_a_member(client, bob):
    response = sign_in(client, "bob@acme.test", url="/admin/login/")
    assert response.status_code == 200
    assert client.get("/admin/").status_code == 302
