"""Fuzzing the skills catalogue and skill messages with what their forms (and the
admin) can hand the services, and worse: succeed, or refuse having written nothing.

Parents and subjects are drawn from real skills: the author's own, a teammate's,
a descendant (a loop), the skill itself, and another tenant's.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given
from hypothesis import strategies as st

from messaging import services as messaging
from messaging.models import MESSAGE_MAX_LENGTH, SkillMessage
from skills import services as skills
from skills.models import DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH, Skill
from tenancy.context import tenant_context
from tests.factories import SkillFactory
from tests.fuzz.harness import RESET_PER_EXAMPLE, check_refusal_writes_nothing, texts

pytestmark = pytest.mark.django_db

TABLES = [Skill, SkillMessage]
names = texts(NAME_MAX_LENGTH) | st.sampled_from(["Prompting", "PROMPTING", " prompting "])
descriptions = texts(DESCRIPTION_MAX_LENGTH) | st.none()
SKILLS = ["alice_root", "alice_child", "bob_skill", "carol_skill"]


@pytest.fixture
def catalogue(alice, bob, carol) -> dict[str, Skill]:
    root = SkillFactory(author=alice, name="Prompting")
    return {
        "alice_root": root,
        "alice_child": SkillFactory(author=alice, name="Few-shot", parent=root),
        "bob_skill": SkillFactory(author=bob, name="Writing"),
        "carol_skill": SkillFactory(author=carol, name="Globex skill"),
    }


def _tenants(alice, carol):
    return [alice.tenant, carol.tenant]


@RESET_PER_EXAMPLE
@given(name=names, description=descriptions, parent=st.sampled_from([None, *SKILLS]))
def test_skill_create(alice, carol, catalogue, name, description, parent):
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            lambda: skills.skill_create(
                author=alice,
                name=name,
                description=description,
                parent=catalogue.get(parent),
            ),
            tables=TABLES,
            tenants=_tenants(alice, carol),
        )


@RESET_PER_EXAMPLE
@given(
    subject=st.sampled_from(SKILLS),
    name=names,
    description=descriptions,
    parent=st.sampled_from([None, *SKILLS]),
)
def test_skill_update(alice, carol, catalogue, subject, name, description, parent):
    with tenant_context(alice.tenant_id):
        check_refusal_writes_nothing(
            lambda: skills.skill_update(
                skill=catalogue[subject],
                user=alice,
                name=name,
                description=description,
                parent=catalogue.get(parent),
            ),
            tables=TABLES,
            tenants=_tenants(alice, carol),
            refusals=(PermissionDenied,),
        )


@RESET_PER_EXAMPLE
@given(
    subject=st.sampled_from(SKILLS),
    parent=st.sampled_from([None, *SKILLS]),
    message=texts(MESSAGE_MAX_LENGTH) | st.none(),
)
def test_send_skill_message(bob, alice, carol, catalogue, subject, parent, message):
    with tenant_context(bob.tenant_id):
        check_refusal_writes_nothing(
            lambda: messaging.send_skill_message(
                sender=bob,
                subject_skill=catalogue[subject],
                proposed_parent_skill=catalogue.get(parent),
                message=message,
            ),
            tables=TABLES,
            tenants=_tenants(alice, carol),
        )
