from __future__ import annotations

import factory

from tests.factories import TenantScopedFactory
from workshops.models import ChatMessage


class ChatMessageFactory(TenantScopedFactory):
    class Meta:
        model = ChatMessage

    tenant_id = factory.SelfAttribute("workshop_step.tenant_id")
    step_id = factory.SelfAttribute("workshop_step.step_definition_id")
    role = factory.Iterator([ChatMessage.Role.USER, ChatMessage.Role.ASSISTANT])
    content = factory.Sequence(lambda n: f"Message number {n} about the workshop.")
