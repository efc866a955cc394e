"""The People page: a tenant admin sees her tenant's people and invitations,
deactivates someone (their sessions end at once) and changes roles, through the
services the admin's actions use too; nobody else can, and no other tenant shows."""

from __future__ import annotations

from html import unescape

import pytest

from tenancy.demo import TENANT_ADMIN_GROUP
from tenancy.models import User
from tenancy.services import NOT_TENANT_ADMIN, NOT_YOURSELF, RELATIONSHIP_MANAGER_GROUP
from tests.factories import UserFactory
from tests.utils import assert_constant_queries

pytestmark = pytest.mark.django_db


def test_the_page_lists_people_invitations_and_last_sign_in(
    admin_client, acme, bob, carol, mailbox, client
):
    UserFactory(tenant=acme, email="dora@acme.test", password=None)  # never signed in
    client.post("/accounts/login/", {"username": "bob@acme.test", "password": "demo-password"})
    admin_client.post("/people/", {"email": "newcomer@example.test", "role": "member"})
    page = admin_client.get("/people/")
    assert page.status_code == 200
    for text in ["alice@acme.test", "bob@acme.test", "dora@acme.test", "newcomer@example.test"]:
        assert text in page.text
    assert "carol" not in page.text.lower()
    bob.refresh_from_db()
    assert bob.last_login.strftime("%-d %b %Y, %H:%M") in page.text
    assert "Never" in page.text


def test_the_list_costs_the_same_queries_at_two_sizes(admin_client, acme):
    def add(n: int) -> None:
        for _ in range(n):
            UserFactory(tenant=acme, password=None)

    add(5)
    assert_constant_queries(lambda: admin_client.get("/people/"), lambda: add(45), limit=15)


def test_members_cannot_open_the_page(client_for, bob):
    response = client_for(bob).get("/people/")
    assert response.status_code == 403
    assert NOT_TENANT_ADMIN in unescape(response.text)


def test_deactivating_ends_the_persons_sessions_at_once(admin_client, client_for, bob):
    bobs = client_for(bob)
    assert bobs.get("/").status_code == 200
    response = admin_client.post(f"/people/{bob.pk}/deactivate/")
    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert bobs.get("/").status_code == 302
    signed_in = bobs.post(
        "/accounts/login/", {"username": "bob@acme.test", "password": "demo-password"}
    )
    assert signed_in.status_code == 200  # refused


def test_reactivating_does_not_revive_old_sessions(admin_client, client_for, bob):
    bobs = client_for(bob)
    admin_client.post(f"/people/{bob.pk}/deactivate/")
    admin_client.post(f"/people/{bob.pk}/reactivate/")
    bob.refresh_from_db()
    assert bob.is_active
    assert bobs.get("/").status_code == 302


def test_roles_change_through_the_page(admin_client, bob):
    admin_client.post(f"/people/{bob.pk}/role/", {"role": "relationship_manager"})
    assert list(bob.groups.values_list("name", flat=True)) == [RELATIONSHIP_MANAGER_GROUP]
    admin_client.post(f"/people/{bob.pk}/role/", {"role": "tenant_admin"})
    bob.refresh_from_db()
    assert bob.is_staff
    assert list(bob.groups.values_list("name", flat=True)) == [TENANT_ADMIN_GROUP]
    admin_client.post(f"/people/{bob.pk}/role/", {"role": "member"})
    bob.refresh_from_db()
    assert not bob.is_staff
    assert not bob.groups.exists()


def test_an_admin_cannot_change_or_deactivate_herself(admin_client, tenant_admin):
    response = admin_client.post(f"/people/{tenant_admin.pk}/deactivate/", follow=True)
    assert NOT_YOURSELF in response.text
    admin_client.post(f"/people/{tenant_admin.pk}/role/", {"role": "member"})
    tenant_admin.refresh_from_db()
    assert tenant_admin.is_active
    assert tenant_admin.is_staff


def test_a_member_gets_403_and_another_tenant_404(client_for, acme, bob, carol, tenant_admin):
    colleague = UserFactory(tenant=acme, password=None)
    assert client_for(bob).post(f"/people/{colleague.pk}/deactivate/").status_code == 403
    # Above bob (more permissions): not even found, as in the admin.
    assert client_for(bob).post(f"/people/{tenant_admin.pk}/deactivate/").status_code == 404
    assert client_for(carol).post(f"/people/{bob.pk}/deactivate/").status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_an_operator_is_out_of_reach(admin_client, acme):
    operator = User.objects.create_superuser("ops@platform.test", "x-password-1", tenant=acme)
    assert admin_client.post(f"/people/{operator.pk}/deactivate/").status_code == 404
    assert "ops@platform.test" not in admin_client.get("/people/").text


@pytest.mark.parametrize(
    "url", ["/people/{pk}/deactivate/", "/people/{pk}/reactivate/", "/people/{pk}/role/"]
)
def test_actions_are_post_only(admin_client, bob, url):
    assert admin_client.get(url.format(pk=bob.pk)).status_code == 405


def test_the_admin_actions_use_the_same_services(admin_client, client_for, bob, tenant_admin):
    bobs = client_for(bob)
    response = admin_client.post(
        "/admin/tenancy/user/",
        {"action": "deactivate", "_selected_action": [bob.pk, tenant_admin.pk]},
        follow=True,
    )
    assert NOT_YOURSELF in response.text
    bob.refresh_from_db()
    tenant_admin.refresh_from_db()
    assert (bob.is_active, tenant_admin.is_active) == (False, True)
    assert bobs.get("/").status_code == 302
    admin_client.post(
        "/admin/tenancy/user/", {"action": "make_tenant_admin", "_selected_action": [bob.pk]}
    )
    bob.refresh_from_db()
    assert bob.is_staff


HTMX = {"HX-Request": "true"}


def test_an_htmx_action_answers_the_persons_row(admin_client, client_for, bob):
    bobs = client_for(bob)
    response = admin_client.post(f"/people/{bob.pk}/deactivate/", headers=HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="person-{bob.pk}">')
    assert "<html" not in response.text
    assert "Deactivated" in response.text
    assert f"/people/{bob.pk}/reactivate/" in response.text
    assert "HX-Request" in response["Vary"]
    assert bobs.get("/").status_code == 302

    response = admin_client.post(f"/people/{bob.pk}/role/", {"role": "tenant_admin"}, headers=HTMX)
    assert "Role changed." in response.text
    assert '<option value="tenant_admin" selected>' in response.text


def test_an_htmx_refusal_is_said_in_the_row(admin_client, tenant_admin):
    response = admin_client.post(f"/people/{tenant_admin.pk}/deactivate/", headers=HTMX)
    assert response.status_code == 200
    assert NOT_YOURSELF in unescape(response.text)
    assert 'class="error"' in response.text
