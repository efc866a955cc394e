"""Several people in one workshop (issue 12 section 3): the facilitator (owner), the
participants she adds from her own tenant, and everyone else, who gets 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.html import escape

from tenancy.context import tenant_context
from tests.factories import UserFactory
from tests.utils import assert_constant_queries
from tests.workshops.conftest import get_step, make_workshop
from tests.workshops.factories import ChatMessageFactory
from workshops import services
from workshops.models import ChatMessage, StepArtifact, WorkshopParticipant
from workshops.selectors import dashboard_card, workshop_list

pytestmark = pytest.mark.django_db

CHALLENGE = {"problem_statement": "New hires take six weeks to settle.", "who_is_affected": "Hires"}


def url(workshop, step_id="challenge", action=""):
    return f"/workshops/{workshop.pk}/steps/{step_id}/{action + '/' if action else ''}"


@pytest.fixture
def dan(acme):
    """Another of Acme's people, who does not take part."""
    return UserFactory(tenant=acme, display_name="Dan Other")


@pytest.fixture
def shared(workshop, alice, bob, in_tenant):
    """alice's workshop with bob taking part."""
    with in_tenant(alice):
        services.participant_add(workshop=workshop, user=alice, participant=bob)
    return workshop


# --- the rules in services ------------------------------------------------------------


def test_only_the_facilitator_adds_people_and_only_from_her_tenant(
    workshop, alice, bob, carol, dan, in_tenant
):
    with in_tenant(alice):
        with pytest.raises(ValidationError) as other_tenant:
            services.participant_add(workshop=workshop, user=alice, participant=carol)
        assert other_tenant.value.messages == [services.PARTICIPANT_NOT_IN_TENANT]
        with pytest.raises(ValidationError) as herself:
            services.participant_add(workshop=workshop, user=alice, participant=alice)
        assert herself.value.messages == [services.PARTICIPANT_IS_FACILITATOR]
        services.participant_add(workshop=workshop, user=alice, participant=bob)
        with pytest.raises(ValidationError) as twice:
            services.participant_add(workshop=workshop, user=alice, participant=bob)
        assert twice.value.messages == [services.PARTICIPANT_ALREADY]
        # A participant may not choose the people, nor may anyone else.
        with pytest.raises(PermissionDenied, match=services.FACILITATOR_ONLY):
            services.participant_add(workshop=workshop, user=bob, participant=dan)
        with pytest.raises(PermissionDenied, match=services.NOT_YOUR_WORKSHOP):
            services.participant_add(workshop=workshop, user=dan, participant=dan)
        assert list(WorkshopParticipant.objects.values_list("user", flat=True)) == [bob.pk]


def test_participants_chat_and_edit_but_only_the_facilitator_runs_the_workshop(
    shared, alice, bob, in_tenant
):
    step = get_step(shared, "challenge")
    with in_tenant(alice):
        services.message_post(workshop_step=step, user=bob, content="From bob")
        saved = services.artifact_save(
            workshop_step=step, user=bob, artifact=CHALLENGE, expected_version=0
        )
        assert saved.saved_by == bob
        services.summary_save(workshop_step=step, user=bob, summary="Bob's", expected_version=0)
        for forbidden in (
            lambda: services.step_mark_done(workshop_step=step, user=bob),
            lambda: services.step_reopen(workshop_step=step, user=bob),
            lambda: services.workshop_rename(workshop=shared, user=bob, title="Mine now"),
            lambda: services.workshop_delete(workshop=shared, user=bob),
        ):
            with pytest.raises(PermissionDenied, match=services.FACILITATOR_ONLY):
                forbidden()
        services.step_mark_done(workshop_step=step, user=alice)
        assert ChatMessage.objects.get().author == bob


# --- pages ------------------------------------------------------------------------------


def test_a_participant_opens_every_step_and_chats_under_her_name(
    shared, alice, bob, client_for, in_tenant
):
    bobs = client_for(bob)
    assert bobs.get(f"/workshops/{shared.pk}/").status_code == 200
    for step_id in ("challenge", "ideation", "action-plan"):
        assert bobs.get(url(shared, step_id)).status_code == 200
    bobs.post(url(shared, action="messages"), {"content": "Bob was here"})
    alices = client_for(alice).get(url(shared))
    # alice sees bob's name on his message; bob sees "You".
    assert f">{escape(str(bob))}</span>" in alices.text
    assert ">You</span>" in bobs.get(url(shared)).text
    with in_tenant(alice):
        assert ChatMessage.objects.filter(author=bob).count() == 1


def test_a_participant_sees_no_facilitator_controls_and_is_refused_them(
    shared, bob, client_for, in_tenant, alice
):
    bobs = client_for(bob)
    page = bobs.get(url(shared))
    assert 'value="done"' not in page.text
    detail = bobs.get(f"/workshops/{shared.pk}/")
    assert "Add participant" not in detail.text
    assert 'value="remove"' not in detail.text
    assert bobs.post(url(shared, action="status"), {"action": "done"}).status_code == 403
    assert (
        bobs.post(f"/workshops/{shared.pk}/participants/", {"action": "remove", "user": bob.pk})
    ).status_code == 403
    with in_tenant(alice):
        assert WorkshopParticipant.objects.filter(user=bob).exists()


def test_everyone_else_gets_404_and_a_removed_participant_at_once(
    shared, alice, bob, carol, dan, client_for
):
    pages = [
        f"/workshops/{shared.pk}/",
        f"/workshops/{shared.pk}/export.md",
        url(shared),
        url(shared, action="changes"),
        url(shared, action="context"),
    ]
    for outsider in (dan, carol):
        client = client_for(outsider)
        for page in pages:
            assert client.get(page).status_code == 404, (outsider, page)
        assert client.post(url(shared, action="messages"), {"content": "hi"}).status_code == 404

    bobs = client_for(bob)
    assert bobs.get(url(shared)).status_code == 200
    removed = client_for(alice).post(
        f"/workshops/{shared.pk}/participants/", {"action": "remove", "user": bob.pk}
    )
    assert removed.status_code == 302
    for page in pages:
        assert bobs.get(page).status_code == 404, page
    assert bobs.post(url(shared, action="messages"), {"content": "still?"}).status_code == 404


def test_a_removed_participant_cannot_write_with_a_step_loaded_before(
    shared, alice, bob, in_tenant
):
    step = get_step(shared, "challenge")
    with in_tenant(alice):
        services.participant_remove(workshop=shared, user=alice, participant_id=bob.pk)
        with pytest.raises(PermissionDenied):
            services.message_post(workshop_step=step, user=bob, content="late")
        with pytest.raises(PermissionDenied):
            services.artifact_save(
                workshop_step=step, user=bob, artifact=CHALLENGE, expected_version=0
            )
        assert not ChatMessage.objects.exists()
        assert not StepArtifact.objects.exists()


def test_the_facilitator_adds_and_removes_from_the_detail_page(
    workshop, alice, bob, carol, client_for, in_tenant
):
    alices = client_for(alice)
    page = alices.get(f"/workshops/{workshop.pk}/")
    assert f'<option value="{bob.pk}">' in page.text
    assert str(carol) not in page.text  # only her own tenant's people are offered
    added = alices.post(
        f"/workshops/{workshop.pk}/participants/", {"action": "add", "user": bob.pk}, follow=True
    )
    assert escape(f"{bob} takes part now.") in added.text
    refused = alices.post(
        f"/workshops/{workshop.pk}/participants/", {"action": "add", "user": carol.pk}
    )
    assert refused.status_code == 400
    assert "Choose someone of your organisation." in refused.text
    with in_tenant(alice):
        assert list(WorkshopParticipant.objects.values_list("user", flat=True)) == [bob.pk]


def test_list_and_dashboard_show_what_i_facilitate_and_where_i_take_part(
    shared, alice, bob, client_for, in_tenant
):
    make_workshop(bob, "Bob's own")
    with in_tenant(bob):
        rows = {w.title: w.facilitating for w in workshop_list(user=bob)}
        assert rows == {"Bob's own": True, shared.title: False}
        card = dashboard_card(bob)
    assert card["value"] == 2
    assert card["detail"].startswith("1 facilitated, 1 joined")
    listing = client_for(bob).get("/workshops/")
    assert shared.title in listing.text
    assert "Participant (facilitated by" in listing.text


def test_list_queries_do_not_grow_with_participations(alice, bob, client_for):
    bobs = client_for(bob)

    def grow():
        for n in range(3):
            workshop = make_workshop(alice, f"More {n}")
            with tenant_context(alice.tenant_id):
                services.participant_add(workshop=workshop, user=alice, participant=bob)

    grow()
    assert_constant_queries(lambda: bobs.get("/workshops/"), grow)
    assert_constant_queries(lambda: bobs.get("/"), grow)


def test_detail_queries_do_not_grow_with_people_or_messages(shared, alice, acme, client_for):
    alices = client_for(alice)
    step = get_step(shared, "challenge")

    def grow():
        with tenant_context(acme):
            for _ in range(3):
                person = UserFactory(tenant=acme)
                services.participant_add(workshop=shared, user=alice, participant=person)
            ChatMessageFactory.create_batch(20, workshop_step=step)
            services.artifact_save(
                workshop_step=step,
                user=alice,
                artifact=CHALLENGE,
                expected_version=StepArtifact.objects.filter(workshop_step=step)
                .values_list("version", flat=True)
                .first()
                or 0,
            )

    grow()
    assert_constant_queries(lambda: alices.get(f"/workshops/{shared.pk}/"), grow)
    assert_constant_queries(lambda: alices.get(f"/workshops/{shared.pk}/export.md"), grow)
