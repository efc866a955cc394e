"""Every list query reads its table through an index, never a full scan.

The pages' own querysets (from each app's selectors and managers) are
EXPLAINed with sequential scans discouraged; see tests/utils.assert_uses_index.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Q

from crm_artifacts.models import Customer, Proposal
from crm_artifacts.selectors import PendingFilters, customers_of, insights, pending_queryset
from messaging.models import SkillMessage
from portfolio.models import WorkArtifact
from portfolio.selectors import SORT_CHOICES, artifact_list_queryset
from skills.models import Skill
from skills.selectors import SUGGESTION_COUNTS_SQL
from tests.utils import assert_uses_index
from workshops.models import ChatMessage, StepVersion, Workshop, WorkshopParticipant
from workshops.selectors import workshop_list

pytestmark = pytest.mark.django_db


def test_messaging_inbox_sent_box_and_unread_count_use_indexes(alice, in_tenant):
    with in_tenant(alice):
        for qs in [
            SkillMessage.objects.received_by(alice).order_by("-created_at", "-id"),
            SkillMessage.objects.sent_by(alice).order_by("-created_at", "-id"),
            SkillMessage.objects.received_by(alice).unread(),
        ]:
            assert_uses_index(qs, "messaging_skillmessage")


def test_workshop_list_and_chat_use_indexes(alice, in_tenant):
    with in_tenant(alice):
        assert_uses_index(workshop_list(user=alice), "workshops_workshop")
        assert_uses_index(
            ChatMessage.objects.filter(tenant_id=alice.tenant_id, workshop_step_id=1).order_by(
                "created_at", "id"
            ),
            "workshops_chatmessage",
        )
        assert_uses_index(Workshop.objects.owned_by(alice), "workshops_workshop")
        # A step's history, newest first (workshops.selectors.step_history).
        assert_uses_index(
            StepVersion.objects.filter(
                tenant_id=alice.tenant_id, workshop_step_id=1, kind="artifact"
            ).order_by("-version"),
            "workshops_stepversion",
        )
        # Workshops I take part in, and a workshop's participants.
        assert_uses_index(
            WorkshopParticipant.objects.filter(tenant_id=alice.tenant_id, user=alice),
            "workshops_workshopparticipant",
        )
        assert_uses_index(
            WorkshopParticipant.objects.filter(tenant_id=alice.tenant_id, workshop_id=1),
            "workshops_workshopparticipant",
        )
        assert_uses_index(
            ChatMessage.objects.filter(
                tenant_id=alice.tenant_id, workshop_step_id=1, id__gt=10
            ).order_by("created_at", "id"),
            "workshops_chatmessage",
        )


def test_crm_customer_list_overview_and_proposals_use_indexes(bob, in_tenant):
    with in_tenant(bob):
        assert_uses_index(customers_of(bob), "crm_artifacts_customer")
        assert_uses_index(
            Proposal.objects.filter(tenant_id=bob.tenant_id, customer_id=1).order_by(
                "-created_at", "-id"
            ),
            "crm_artifacts_artifact",
        )
        assert_uses_index(
            Proposal.objects.for_rm(bob).pending().order_by("customer_id", "id"),
            "crm_artifacts_artifact",
        )
        assert_uses_index(Customer.objects.of_rm(bob), "crm_artifacts_customer")
        # The all-pending screen, with each filter and sort (issue 13 §2).
        for filters in [
            PendingFilters(customer=1),
            PendingFilters(field="email", sort="confidence"),
            PendingFilters(confidence="high", sort="newest"),
            PendingFilters(age="today", sort="oldest"),
            PendingFilters(customer=1, field="email", confidence="low", age="older"),
        ]:
            assert_uses_index(pending_queryset(bob, filters), "crm_artifacts_artifact")


def test_portfolio_and_skills_lists_use_indexes(alice, in_tenant):
    with in_tenant(alice):
        assert_uses_index(
            WorkArtifact.objects.filter(tenant_id=alice.tenant_id, user=alice).order_by(
                "-artifact_date"
            ),
            "portfolio_workartifact",
        )
        assert_uses_index(
            Skill.objects.for_tenant(alice.tenant_id).order_by("name"), "skills_skill"
        )


@pytest.mark.parametrize("sort", SORT_CHOICES)
def test_portfolio_list_sorted_and_filtered_uses_an_index(alice, in_tenant, sort):
    with in_tenant(alice):
        qs = artifact_list_queryset(
            user=alice,
            sort=sort,
            category="email",
            date_from=datetime.date(2020, 1, 1),
            date_to=datetime.date(2022, 1, 1),
        )
        assert_uses_index(qs, "portfolio_workartifact")


class _RawSQL:
    """What assert_uses_index reads from a queryset, for a statement written in SQL."""

    def __init__(self, sql: str, params: list) -> None:
        self.query = self
        self._sql, self._params = sql, params

    def sql_with_params(self) -> tuple[str, list]:
        return self._sql, self._params


def test_skill_artifact_counts_read_the_tenants_artifacts_through_an_index(alice, in_tenant):
    with in_tenant(alice):
        assert_uses_index(
            _RawSQL(SUGGESTION_COUNTS_SQL, [alice.tenant_id]), "portfolio_workartifact"
        )


def test_messaging_filters_and_the_badge_use_indexes(alice, in_tenant):
    with in_tenant(alice):
        for qs in [
            SkillMessage.objects.received_by(alice).pending().order_by("-created_at", "-id"),
            SkillMessage.objects.sent_by(alice).answered().order_by("-created_at", "-id"),
            SkillMessage.objects.sent_by(alice).outcome_unseen(),
        ]:
            assert_uses_index(qs, "messaging_skillmessage")
        # The badge's OR: on tables this small the planner picks any of the
        # tenant-leading indexes; the point is that none is a table scan.
        assert_uses_index(
            SkillMessage.objects.filter(tenant_id=alice.tenant_id).filter(
                Q(to_user=alice, read_at__isnull=True) | Q(from_user=alice, proposer_unread=True)
            ),
            "messaging_skillmessage",
        )


def _statements(run) -> list[tuple[str, list]]:
    """The SELECTs `run` sends, with their parameters (the selector's own SQL)."""
    found: list[tuple[str, list]] = []

    def record(execute, sql, params, many, context):
        found.append((sql, list(params or [])))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return [(sql, params) for sql, params in found if "crm_artifacts_artifact" in sql]


def test_crm_insights_aggregates_read_decisions_through_an_index(bob, alice, in_tenant):
    """The insights page's four aggregates, for an RM (their customers, joined) and
    for a tenant admin (the tenant's decisions in the period)."""
    from tenancy.demo import tenant_admin_group

    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    with in_tenant(bob):
        Customer.objects.create(tenant_id=bob.tenant_id, rm=bob, profile={"fullName": "Jane"})
    # The admin first: on Citus, once this test's transaction has EXPLAINed bob's
    # statements (assert_uses_index), Citus refuses the admin check's join of the
    # coordinator's group tables in it. Requests never EXPLAIN: the nav and the page
    # run that check after reading shards (tests/crm_artifacts/test_insights.py).
    for user in (alice, bob):
        with in_tenant(user):
            statements = _statements(lambda user=user: insights(user))
            assert len(statements) == 4
            for sql, params in statements:
                # Which index depends on the statistics of these tiny tables (the
                # tenant's, or crm_art_decided_idx): bench/scale.py checks at scale.
                assert_uses_index(_RawSQL(sql, params), "crm_artifacts_artifact")
