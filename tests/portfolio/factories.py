"""Artifacts straight into the table (inside their tenant), for tests that need many rows.

Tests of the rules themselves go through portfolio.services instead.
"""

from __future__ import annotations

import datetime

import factory

from portfolio.models import Category, WorkArtifact
from tests.factories import TenantScopedFactory, UserFactory


class WorkArtifactFactory(TenantScopedFactory):
    class Meta:
        model = WorkArtifact

    user = factory.SubFactory(UserFactory)
    tenant = factory.SelfAttribute("user.tenant")
    title = factory.Sequence(lambda n: f"Artifact {n}")
    description = "Work done by hand."
    category = Category.DOCUMENT
    artifact_date = factory.Sequence(
        lambda n: datetime.date(2021, 1, 1) + datetime.timedelta(days=17 * n)
    )
    estimated_hours_saved = 2.0
