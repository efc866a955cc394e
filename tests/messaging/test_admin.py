from __future__ import annotations

import pytest

from messaging import services
from messaging.models import SkillMessage
from skills.models import Skill
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory

pytestmark = pytest.mark.django_db

URL = "/admin/messaging/skillmessage/"


@pytest.fixture
def admin_client(client_for, alice):
    alice.is_staff = True
    alice.is_superuser = True  # a superuser's admin still sees only their tenant's rows
    alice.save()
    return client_for(alice)


@pytest.fixture
def proposal(alice, bobs_skill, alices_parent) -> SkillMessage:
    return SkillMessageFactory(
        subject_skill=bobs_skill,
        from_user=alice,
        proposed_parent_skill=alices_parent,
        message="Scripts are automation.",
    )


def test_changelist_lists_my_tenants_messages_only(admin_client, proposal, carol):
    SkillMessageFactory(subject_skill=SkillFactory(author=carol, name="Globex secret"))
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert "Python scripting" in response.text
    assert "Globex secret" not in response.text


def test_changelist_filters_by_status_and_read_and_searches(
    admin_client, alice, bob, proposal, in_tenant
):
    other = SkillMessageFactory(
        subject_skill=SkillFactory(author=bob, name="Template writing"), from_user=alice
    )
    with in_tenant(bob):
        services.decline(message=other, user=bob)

    def listed(query: str) -> set[int]:
        return {m.pk for m in admin_client.get(f"{URL}?{query}").context["cl"].result_list}

    assert listed("status__exact=pending") == {proposal.pk}
    assert listed("status__exact=declined") == {other.pk}
    assert listed("read=unread") == {proposal.pk}
    assert listed("read=read") == {other.pk}
    assert listed("q=automation") == {proposal.pk}
    assert listed("q=template") == {other.pk}


def test_accept_action_goes_through_the_service(
    admin_client, bob, proposal, bobs_skill, alices_parent, in_tenant
):
    data = {"action": "accept_selected", "_selected_action": [proposal.pk]}
    response = admin_client.post(URL, data, follow=True)
    assert "Accepted 1 proposal(s)." in response.text
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).status == "accepted"
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk

    again = admin_client.post(URL, {**data, "action": "decline_selected"}, follow=True)
    assert services.ALREADY_ANSWERED.format(status="accepted") in again.text
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).status == "accepted"


def test_decline_action_leaves_the_tree(admin_client, bob, proposal, bobs_skill, in_tenant):
    data = {"action": "decline_selected", "_selected_action": [proposal.pk]}
    assert "Declined 1 proposal(s)." in admin_client.post(URL, data, follow=True).text
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).status == "declined"
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id is None


def test_status_cannot_be_edited_or_messages_added_directly(admin_client, bob, proposal, in_tenant):
    page = admin_client.get(f"{URL}{proposal.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.text
    response = admin_client.post(f"{URL}{proposal.pk}/change/", {"status": "accepted"})
    assert response.status_code == 403
    assert admin_client.get(f"{URL}add/").status_code == 403
    with in_tenant(bob):
        assert SkillMessage.objects.get(pk=proposal.pk).status == "pending"


def test_another_tenants_message_is_404_in_the_admin(admin_client, carol):
    foreign = SkillMessageFactory(subject_skill=SkillFactory(author=carol))
    response = admin_client.get(f"{URL}{foreign.pk}/change/")
    # Not Django's redirect with "Skill message with ID … doesn't exist": a 404,
    # the same as for an id nobody has.
    assert response.status_code == 404
    assert foreign.message not in response.text
