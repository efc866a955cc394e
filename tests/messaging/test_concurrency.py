"""Two people (or two tabs) acting at once: real threads, real connections."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError

from messaging import services
from messaging.models import SkillMessage
from skills.models import Skill
from tenancy.context import tenant_context
from tests.messaging.factories import SkillMessageFactory
from tests.utils import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_accepts_make_one_transition(alice, bob, bobs_skill, alices_parent):
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )

    def accept() -> SkillMessage:
        return services.accept(message=SkillMessage.objects.get(pk=message.pk), user=bob)

    results = run_concurrently([accept, accept], tenant_id=bob.tenant_id)

    accepted = [r for r in results if isinstance(r, SkillMessage)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(accepted) == 1, results
    assert len(refused) == 1, results
    assert refused[0].messages == [services.ALREADY_ANSWERED.format(status="accepted")]
    with tenant_context(bob.tenant_id):
        assert SkillMessage.objects.get(pk=message.pk).status == "accepted"
        assert Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk


def test_accept_and_decline_at_once_leave_one_answer(alice, bob, bobs_skill, alices_parent):
    message = SkillMessageFactory(
        subject_skill=bobs_skill, from_user=alice, proposed_parent_skill=alices_parent
    )

    def answer(action) -> Callable[[], SkillMessage]:
        return lambda: action(message=SkillMessage.objects.get(pk=message.pk), user=bob)

    results = run_concurrently(
        [answer(services.accept), answer(services.decline)], tenant_id=bob.tenant_id
    )

    winners = [r for r in results if isinstance(r, SkillMessage)]
    assert len(winners) == 1, results
    assert isinstance(next(r for r in results if r not in winners), ValidationError)
    with tenant_context(bob.tenant_id):
        final = SkillMessage.objects.get(pk=message.pk).status
        moved = Skill.objects.get(pk=bobs_skill.pk).parent_id == alices_parent.pk
    assert final == winners[0].status
    assert moved == (final == "accepted")


def test_two_concurrent_sends_of_the_same_pair_make_one_message(
    alice, acme, bobs_skill, alices_parent
):
    from tests.factories import UserFactory

    dave = UserFactory(tenant=acme)

    def send(sender) -> Callable[[], SkillMessage]:
        return lambda: services.send_skill_message(
            sender=sender,
            subject_skill=bobs_skill,
            proposed_parent_skill=alices_parent,
            message="Group these.",
        )

    results = run_concurrently([send(alice), send(dave)], tenant_id=alice.tenant_id)

    sent = [r for r in results if isinstance(r, SkillMessage)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(sent) == 1, results
    assert refused[0].messages == [services.DUPLICATE_PENDING]
    with tenant_context(alice.tenant_id):
        assert SkillMessage.objects.count() == 1
