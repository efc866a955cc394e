from __future__ import annotations

import factory

from messaging.models import SkillMessage
from tests.factories import SkillFactory, TenantScopedFactory, UserFactory


class SkillMessageFactory(TenantScopedFactory):
    """A pending proposal written straight to the table (services are tested separately)."""

    class Meta:
        model = SkillMessage

    subject_skill = factory.SubFactory(SkillFactory)
    tenant = factory.SelfAttribute("subject_skill.tenant")
    to_user = factory.SelfAttribute("subject_skill.author")
    from_user = factory.SubFactory(UserFactory, tenant=factory.SelfAttribute("..tenant"))
    proposed_parent_skill = factory.SubFactory(
        SkillFactory, author=factory.SelfAttribute("..from_user")
    )
    message = "These belong together."
