"""only_names_of: list rows load the names of the people they show, not the rest of
their accounts, and the page still shows the same names."""

from __future__ import annotations

import pytest

from messaging.models import SkillMessage
from tenancy.shortcuts import only_names_of
from tests.factories import SkillFactory
from tests.messaging.factories import SkillMessageFactory

pytestmark = pytest.mark.django_db


def test_a_row_loads_its_own_columns_and_only_the_names_of_whom_it_names(
    alice, bob, in_tenant, django_assert_num_queries
):
    SkillMessageFactory(subject_skill=SkillFactory(author=alice), from_user=bob, to_user=alice)
    with in_tenant(alice):
        (message,) = only_names_of(
            SkillMessage.objects.select_related("from_user", "subject_skill"),
            "from_user",
            subject_skill=("name",),
        )
        with django_assert_num_queries(0):
            assert str(message.from_user) == str(bob)
            assert message.subject_skill.name
            assert message.status == SkillMessage.Status.PENDING  # its own columns, all
            assert message.message
        assert {"password", "last_login", "date_joined"} <= message.from_user.get_deferred_fields()
        assert message.get_deferred_fields() == set()
