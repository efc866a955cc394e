from __future__ import annotations

import pytest
from django.core.management import call_command

from messaging.models import SkillMessage
from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.models import User

pytestmark = pytest.mark.django_db


def snapshot(tenant_id: int) -> list[tuple]:
    with tenant_context(tenant_id):
        return list(
            SkillMessage.objects.order_by("pk").values_list(
                "pk", "from_user__email", "to_user__email", "status", "read_at"
            )
        )


def test_seed_demo_leaves_alice_and_bob_pending_and_answered_messages(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    alice, bob = User.objects.get(email="alice@acme.test"), User.objects.get(email="bob@acme.test")
    with tenant_context(alice.tenant_id):
        for user in (alice, bob):
            inbox = SkillMessage.objects.received_by(user)
            assert inbox.pending().exists(), user
            assert inbox.exclude(status="pending").exists(), user
            assert inbox.unread().exists(), user
            assert SkillMessage.objects.sent_by(user).exists(), user
        accepted = SkillMessage.objects.get(status="accepted")
        subject = Skill.objects.get(pk=accepted.subject_skill_id)
        assert subject.parent_id == accepted.proposed_parent_skill_id  # moved by the service

    before = snapshot(alice.tenant_id)
    call_command("seed_demo")
    assert snapshot(alice.tenant_id) == before
