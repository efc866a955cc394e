from __future__ import annotations

import pytest
from django.core.management import call_command

from tenancy.context import tenant_context
from tenancy.models import User
from workshops.models import ChatMessage, StepArtifact, StepSummary, Workshop

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_alice_a_half_done_workshop_once():
    call_command("seed_demo", force=True)
    call_command("seed_demo", force=True)  # idempotent
    alice = User.objects.get(email="alice@acme.test")
    with tenant_context(alice.tenant_id):
        workshop = Workshop.objects.get(owner=alice)
        statuses = list(
            workshop.steps.order_by("step_definition__order").values_list("status", flat=True)
        )
        assert statuses == ["done", "done", "in_progress", "not_started", "not_started"]
        assert set(StepArtifact.objects.values_list("step_id", flat=True)) == {
            "challenge",
            "stakeholder-mapping",
        }
        assert StepSummary.objects.filter(token_count__gt=0).count() == 2
        # alice's two messages and bob's, the second participant, each answered once.
        assert ChatMessage.objects.filter(step_id="ideation", role="assistant").count() == 3
        bob = User.objects.get(email="bob@acme.test")
        assert list(workshop.participants.values_list("user", flat=True)) == [bob.pk]
        assert ChatMessage.objects.filter(step_id="ideation", author=bob).count() == 1
