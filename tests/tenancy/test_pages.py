"""Login, logout, health, error pages and the dashboard: clear answers, nothing changed."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_login_with_the_right_password_lands_on_the_dashboard(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "ALICE@acme.test", "password": "demo-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "Welcome, Alice" in client.get("/").text


def test_wrong_password_is_a_form_error(client, alice):
    response = client.post("/accounts/login/", {"username": "alice@acme.test", "password": "wrong"})
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.text
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert alice_client.get("/").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(alice, in_tenant):
    from skills.models import Skill

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/skills/new/", {"name": "No token"})
    assert response.status_code == 403
    assert "security token" in response.text
    with in_tenant(alice):
        assert not Skill.objects.filter(name="No token").exists()


def test_unknown_url_is_a_404_page(alice_client):
    response = alice_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_dashboard_shows_a_card_per_area(alice_client):
    response = alice_client.get("/")
    for title in ["Portfolio", "Skills", "Messages", "Workshops", "CRM"]:
        assert title in response.text


def test_htmx_requests_carry_the_csrf_token(alice_client):
    response = alice_client.get("/")
    assert 'hx-headers=\'{"X-CSRFToken": "' in response.text
    assert "htmx" in response.text  # the vendored script tag


def test_responses_carry_a_content_security_policy(alice_client):
    policy = alice_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_admin_is_scoped_to_the_tenant_admins_own_tenant(client_for, alice, carol):
    from tests.factories import SkillFactory

    alice.is_staff = True
    alice.is_superuser = True  # even a superuser's admin sees only their tenant's rows
    alice.save()
    SkillFactory(author=alice, name="Acme admin skill")
    SkillFactory(author=carol, name="Globex admin skill")
    response = client_for(alice).get("/admin/skills/skill/")
    assert response.status_code == 200
    assert "Acme admin skill" in response.text
    assert "Globex admin skill" not in response.text


def test_tenant_admin_sees_only_their_tenants_users(client_for, alice, bob, carol):
    from tenancy.demo import tenant_admin_group

    alice.is_staff = True
    alice.save()
    alice.groups.add(tenant_admin_group())
    response = client_for(alice).get("/admin/tenancy/user/")
    assert response.status_code == 200
    assert "bob@acme.test" in response.text
    assert "carol@globex.test" not in response.text
    assert "Globex" not in response.text  # not even as a filter choice
    assert client_for(alice).get(f"/admin/tenancy/user/{carol.pk}/change/").status_code == 404


def test_tenant_admin_can_manage_skills_in_the_admin(client_for, alice, in_tenant):
    from skills.models import Skill
    from tenancy.demo import tenant_admin_group

    alice.is_staff = True
    alice.save()
    alice.groups.add(tenant_admin_group())
    client = client_for(alice)
    response = client.post(
        "/admin/skills/skill/add/", {"name": "Admin-made", "description": "", "author": alice.pk}
    )
    assert response.status_code == 302
    with in_tenant(alice):
        assert Skill.objects.get(name="Admin-made").tenant_id == alice.tenant_id
    # The services' rules hold in the admin too: a duplicate name is a form error.
    response = client.post(
        "/admin/skills/skill/add/", {"name": "admin-made", "description": "", "author": alice.pk}
    )
    assert response.status_code == 200
    assert "already has a skill with this name" in response.text


def test_an_admin_form_does_not_name_another_tenants_user_from_an_id(client_for, alice, carol):
    from tenancy.demo import tenant_admin_group

    alice.is_staff = True
    alice.save()
    alice.groups.add(tenant_admin_group())
    client = client_for(alice)
    # Users are a global table: Django's raw-id widget would label any user's id.
    for url, field in [
        ("/admin/skills/skill/add/", "author"),
        ("/admin/workshops/workshop/add/", "owner"),
    ]:
        assert "Alice Archer" in client.get(url, {field: alice.pk}).text
        response = client.get(url, {field: carol.pk})
        assert response.status_code == 200
        assert "Carol Chen" not in response.text


def test_the_customers_rm_filter_lists_only_the_tenants_rms(client_for, alice, bob, carol):
    from tenancy.demo import tenant_admin_group
    from tests.crm_artifacts.factories import CustomerFactory

    alice.is_staff = True
    alice.save()
    alice.groups.add(tenant_admin_group())
    CustomerFactory(rm=bob)
    CustomerFactory(rm=carol)
    response = client_for(alice).get("/admin/crm_artifacts/customer/")
    assert "Bob Baker" in response.text
    assert "Carol Chen" not in response.text
