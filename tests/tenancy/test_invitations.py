"""Invitations through real requests and a real SMTP server: a tenant admin invites,
the invitee follows the mailed link, chooses a password and lands signed in, in
the right tenant, with the role; links are single-use, expiring, revocable and
replaced on resend; an address with an account anywhere gets the neutral answer."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.test import Client
from django.utils import timezone

from tenancy import invitations
from tenancy.context import tenant_context
from tenancy.demo import TENANT_ADMIN_GROUP
from tenancy.invitations import INVITATION_OPEN, INVITATION_UNUSABLE
from tenancy.models import Invitation, User
from tenancy.services import EMAIL_UNAVAILABLE, NOT_TENANT_ADMIN
from tests.mail import body, link_in

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-new-password-42"


def invite(admin_client, email: str = "newcomer@example.test", role: str = "member"):
    return admin_client.post("/people/", {"email": email, "role": role})


def invited(admin_client, mailbox, tenant) -> tuple[str, Invitation]:
    """Invite newcomer@example.test as a member: the mailed link and the invitation."""
    invite(admin_client)
    link = link_in(mailbox.wait_for("newcomer@example.test")[0])
    with tenant_context(tenant):
        return link, Invitation.objects.get(email="newcomer@example.test")


def accept(link: str, client: Client | None = None, password: str = PASSWORD):
    client = client or Client()
    data = {"display_name": "Nina Newcomer", "new_password1": password, "new_password2": password}
    return client, client.post(link, data)


def test_an_invitation_is_mailed_and_accepting_it_signs_in_to_the_right_tenant(
    admin_client, acme, mailbox
):
    response = invite(admin_client, role="relationship_manager")
    assert response.status_code == 302
    [message] = mailbox.wait_for("newcomer@example.test")
    assert message["Subject"] == "You are invited to Acme on AI Skills"
    assert "Alice Archer invited you to join Acme" in body(message)
    link = link_in(message)

    page = Client().get(link)
    assert page.status_code == 200
    assert "Join Acme" in page.text
    assert "newcomer@example.test" in page.text

    client, response = accept(link)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="newcomer@example.test")
    assert (user.tenant_id, user.display_name, user.is_staff) == (acme.pk, "Nina Newcomer", False)
    assert list(user.groups.values_list("name", flat=True)) == ["Relationship managers"]
    assert client.get("/").context["user"] == user
    with tenant_context(acme):
        assert Invitation.objects.get(email="newcomer@example.test").state == "accepted"


def test_an_invited_tenant_admin_gets_the_admin_role(admin_client, mailbox):
    invite(admin_client, role="tenant_admin")
    accept(link_in(mailbox.wait_for("newcomer@example.test")[0]))
    user = User.objects.get(email="newcomer@example.test")
    assert user.is_staff
    assert user.groups.filter(name=TENANT_ADMIN_GROUP).exists()


def test_a_link_works_once(admin_client, mailbox):
    invite(admin_client)
    link = link_in(mailbox.wait_for("newcomer@example.test")[0])
    accept(link)
    again = Client().get(link)
    assert again.status_code == 410
    assert INVITATION_UNUSABLE in unescape(again.text)
    _, response = accept(link, password="another-password-43")
    assert response.status_code == 410
    assert User.objects.filter(email="newcomer@example.test").count() == 1


def test_an_expired_link_is_refused(admin_client, acme, mailbox):
    link, _ = invited(admin_client, mailbox, acme)
    with tenant_context(acme):
        Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _, response = accept(link)
    assert response.status_code == 410
    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_a_revoked_link_is_refused(admin_client, acme, mailbox):
    link, invitation = invited(admin_client, mailbox, acme)
    assert admin_client.post(f"/people/invitations/{invitation.pk}/revoke/").status_code == 302
    _, response = accept(link)
    assert response.status_code == 410
    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_resending_mails_a_new_link_and_the_old_one_stops_working(admin_client, acme, mailbox):
    old, invitation = invited(admin_client, mailbox, acme)
    assert admin_client.post(f"/people/invitations/{invitation.pk}/resend/").status_code == 302
    new = link_in(mailbox.wait_for("newcomer@example.test", count=2)[1])
    assert new != old
    assert Client().get(old).status_code == 404
    _, response = accept(new)
    assert response.status_code == 302


@pytest.mark.parametrize("email", ["bob@acme.test", "CAROL@globex.test"])
def test_an_address_with_an_account_anywhere_gets_the_same_neutral_answer(
    admin_client, bob, carol, mailbox, email
):
    response = invite(admin_client, email=email)
    assert response.status_code == 400
    assert EMAIL_UNAVAILABLE in response.text
    assert "globex" not in response.text.lower().replace(email.lower(), "")
    assert mailbox.wait_for(email, timeout=0.3) == []


def test_an_address_already_invited_is_told_to_resend(admin_client, mailbox):
    invite(admin_client)
    response = invite(admin_client, email="Newcomer@example.test")
    assert response.status_code == 400
    assert INVITATION_OPEN in response.text


def test_a_forged_or_foreign_token_finds_nothing(admin_client, acme, globex, mailbox):
    invite(admin_client)
    link = link_in(mailbox.wait_for("newcomer@example.test")[0])
    tenant_id, invitation_id, secret = link.rstrip("/").split("/")[-1].split(".")
    for token in [
        f"{tenant_id}.{invitation_id}.{secret[:-1]}x",  # a wrong secret
        f"{globex.pk}.{invitation_id}.{secret}",  # the right secret, another tenant
        f"{tenant_id}.{invitation_id}",
        "not-a-token",
        "99999999999999999999.1.x",
    ]:
        response = Client().get(f"/accounts/invitation/{token}/")
        assert response.status_code == 404, token
        assert "Acme" not in response.text


def test_a_signed_in_visitor_is_told_to_sign_out_and_shown_nothing(
    admin_client, client_for, carol, mailbox
):
    invite(admin_client)
    link = link_in(mailbox.wait_for("newcomer@example.test")[0])
    response = client_for(carol).get(link)
    assert response.status_code == 404
    assert "Sign out to use this link" in response.text
    assert "Acme" not in response.text
    assert "newcomer" not in response.text


def test_the_link_asks_for_a_good_password(admin_client, mailbox):
    invite(admin_client)
    _, response = accept(link_in(mailbox.wait_for("newcomer@example.test")[0]), password="123")
    assert response.status_code == 200
    assert "too short" in response.text
    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_a_member_cannot_invite(client_for, bob, mailbox):
    response = client_for(bob).post("/people/", {"email": "x@example.test", "role": "member"})
    assert response.status_code == 403
    assert NOT_TENANT_ADMIN in unescape(response.text)


def test_a_mail_server_that_refuses_leaves_no_invitation(admin_client, acme, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = invite(admin_client)
    assert response.status_code == 400
    assert invitations.INVITATION_NOT_SENT in response.text
    with tenant_context(acme):
        assert not Invitation.objects.exists()


def test_the_admin_invites_through_the_same_service(admin_client, acme, bob, mailbox):
    response = admin_client.post(
        "/admin/tenancy/invitation/add/", {"email": "viaadmin@example.test", "role": "member"}
    )
    assert response.status_code == 302, response.text
    assert mailbox.wait_for("viaadmin@example.test")
    refused = admin_client.post(
        "/admin/tenancy/invitation/add/", {"email": "bob@acme.test", "role": "member"}
    )
    assert refused.status_code == 200
    assert EMAIL_UNAVAILABLE in refused.text
    with tenant_context(acme):
        invitation = Invitation.objects.get()
    response = admin_client.post(
        "/admin/tenancy/invitation/",
        {"action": "revoke", "_selected_action": [invitation.pk]},
    )
    assert response.status_code == 302
    with tenant_context(acme):
        assert Invitation.objects.get().state == "revoked"
