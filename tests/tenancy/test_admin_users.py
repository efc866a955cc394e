"""People in the admin: a tenant admin manages her tenant's people, never the
platform's operators or anyone above her, and learns nothing of other tenants.

Every admin action on users is tried as alice (Acme's tenant admin) against the
operator, a superuser whose tenant is Acme, through real requests.
"""

from __future__ import annotations

import builtins
import getpass

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from tenancy.demo import tenant_admin_group
from tenancy.models import User
from tenancy.services import EMAIL_UNAVAILABLE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-42"


@pytest.fixture
def operator(acme) -> User:
    return User.objects.create_superuser(
        "ops@platform.test", "operator-password-1", tenant=acme, display_name="Olga Operator"
    )


def url(user: User, action: str = "change") -> str:
    return f"/admin/tenancy/user/{user.pk}/{action}/"


def test_the_operator_is_not_listed(admin_client, operator, bob):
    page = admin_client.get("/admin/tenancy/user/").text
    assert "bob@acme.test" in page
    assert "ops@platform.test" not in page


@pytest.mark.parametrize("action", ["change", "password", "delete", "history"])
def test_every_page_of_the_operator_answers_404(admin_client, operator, action):
    assert admin_client.get(url(operator, action)).status_code == 404


def test_the_operators_password_cannot_be_changed(admin_client, operator):
    response = admin_client.post(
        url(operator, "password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert not Client().login(username="ops@platform.test", password=NEW_PASSWORD)
    assert Client().login(username="ops@platform.test", password="operator-password-1")


def test_the_operator_cannot_be_deactivated_or_changed(admin_client, operator):
    response = admin_client.post(
        url(operator), {"email": "ops@platform.test", "display_name": "Hacked", "is_active": ""}
    )
    assert response.status_code == 404
    operator.refresh_from_db()
    assert (operator.is_active, operator.display_name) == (True, "Olga Operator")


def test_the_operator_cannot_be_deleted(admin_client, operator):
    assert admin_client.post(url(operator, "delete"), {"post": "yes"}).status_code == 404
    assert User.objects.filter(pk=operator.pk).exists()


def test_bulk_delete_leaves_the_operator_alone(admin_client, operator, bob):
    response = admin_client.post(
        "/admin/tenancy/user/",
        {"action": "delete_selected", "_selected_action": [operator.pk, bob.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert User.objects.filter(pk=operator.pk).exists()
    assert not User.objects.filter(pk=bob.pk).exists()


def test_a_staff_member_with_more_permissions_is_out_of_reach(admin_client, acme):
    stronger = UserFactory(email="stronger@acme.test", tenant=acme, is_staff=True)
    stronger.user_permissions.add(Permission.objects.get(codename="change_tenant"))
    assert "stronger@acme.test" not in admin_client.get("/admin/tenancy/user/").text
    assert admin_client.get(url(stronger, "password")).status_code == 404


def test_adding_a_user_with_elevated_flags_grants_none(admin_client, acme):
    response = admin_client.post(
        "/admin/tenancy/user/add/",
        {
            "email": "new@acme.test",
            "display_name": "New Person",
            "tenant": acme.pk,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [tenant_admin_group().pk],
            "user_permissions": [Permission.objects.get(codename="change_tenant").pk],
        },
    )
    assert response.status_code == 302, response.text
    created = User.objects.get(email="new@acme.test")
    assert (created.is_superuser, created.is_staff) == (False, False)
    assert not created.groups.exists()
    assert not created.user_permissions.exists()


def test_changing_a_colleague_cannot_grant_powers(admin_client, bob):
    response = admin_client.post(
        url(bob),
        {
            "email": "bob@acme.test",
            "display_name": "Bob Baker",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [tenant_admin_group().pk],
            "user_permissions": [Permission.objects.get(codename="change_tenant").pk],
        },
    )
    assert response.status_code == 302, response.text
    bob.refresh_from_db()
    assert (bob.is_superuser, bob.is_staff, bob.display_name) == (False, False, "Bob Baker")
    assert not bob.groups.exists()
    assert not bob.user_permissions.exists()


def test_a_colleagues_password_can_still_be_reset(admin_client, bob):
    response = admin_client.post(
        url(bob, "password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert Client().login(username="bob@acme.test", password=NEW_PASSWORD)


def test_the_operator_is_not_offered_as_a_relationship_manager(admin_client, operator, bob):
    page = admin_client.get("/admin/crm_artifacts/customer/add/").text
    assert "Bob Baker" in page
    assert "Olga Operator" not in page


def test_a_superuser_still_manages_the_operator(client_for, operator, carol):
    root = UserFactory(email="root@platform.test", tenant=carol.tenant, is_staff=True)
    root.is_superuser = True
    root.save()
    client = client_for(root)
    assert client.get(url(operator)).status_code == 200
    response = client.post(
        url(operator, "password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302


# --- an address taken elsewhere is not revealed (issue 11, point 9) ---------------------


def add_user(client: Client, email: str, tenant_id: int):
    return client.post(
        "/admin/tenancy/user/add/",
        {
            "email": email,
            "display_name": "Someone",
            "tenant": tenant_id,
            "password1": "short",
            "password2": "short",
        },
    )


def errors_of(response) -> list[str]:
    return sorted(
        str(error)
        for errors in response.context["adminform"].form.errors.values()
        for error in errors
    )


def test_an_address_of_another_tenant_gets_the_same_answer_as_one_of_ours(
    admin_client, acme, bob, carol
):
    elsewhere = add_user(admin_client, "Carol@Globex.test", acme.pk)
    ours = add_user(admin_client, "bob@acme.test", acme.pk)
    assert elsewhere.status_code == ours.status_code == 200
    assert errors_of(elsewhere) == errors_of(ours)
    assert EMAIL_UNAVAILABLE in errors_of(elsewhere)
    assert "Constraint" not in elsewhere.text
    assert "tenancy_user_email_ci_unique" not in elsewhere.text


def test_changing_an_email_to_another_tenants_address_is_refused_neutrally(
    admin_client, bob, carol
):
    response = admin_client.post(
        url(bob),
        {
            "email": "carol@globex.test",
            "display_name": "Bob",
            "is_active": "on",
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 200
    assert errors_of(response) == [EMAIL_UNAVAILABLE]
    bob.refresh_from_db()
    assert bob.email == "bob@acme.test"


# --- the platform operator from the command line (issue 11, point 10) -----------------


def test_createsuperuser_without_input(acme, monkeypatch, capsys):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "operator-password-1")
    call_command("createsuperuser", interactive=False, email="ops@platform.test", tenant=acme.pk)
    operator = User.objects.get(email="ops@platform.test")
    assert (operator.is_superuser, operator.is_staff, operator.tenant) == (True, True, acme)
    assert Client().login(username="ops@platform.test", password="operator-password-1")


def test_createsuperuser_refuses_an_unknown_tenant(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "operator-password-1")
    with pytest.raises(Exception, match="not a valid choice"):
        call_command("createsuperuser", interactive=False, email="ops@platform.test", tenant=999999)
    assert not User.objects.filter(email="ops@platform.test").exists()


class TTY:
    def isatty(self) -> bool:
        return True


def test_createsuperuser_interactively(acme, monkeypatch):
    answers = iter(["ops@platform.test", str(acme.pk)])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "operator-password-1")
    call_command("createsuperuser", interactive=True, stdin=TTY())
    operator = User.objects.get(email="ops@platform.test")
    assert (operator.is_superuser, operator.tenant) == (True, acme)
