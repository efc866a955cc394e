"""Work artifacts: what a member did before AI tools, and the hours it took."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models

from tenancy.models import TenantModel, TenantQuerySet, TimestampedModel

MAX_ARTIFACTS_PER_USER = 50
TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000
FILE_NAME_MAX_LENGTH = 500
FILE_TYPE_MAX_LENGTH = 100
TEXT_MAX_LENGTH = 100_000
HOURS_MIN = 0
HOURS_MAX = 10_000
MAX_SUGGESTIONS = 5
# Artifact dates run from here to today (services.validate_fields): a typo such
# as 2999 or 0202 would otherwise stretch the chart over centuries.
EARLIEST_ARTIFACT_DATE = datetime.date(1900, 1, 1)
# The earliest time zone is UTC+14: the date there is the latest date that is
# "today" for someone, so nobody is refused the day they are living in.
_EARLIEST_ZONE = datetime.timezone(datetime.timedelta(hours=14))


def latest_artifact_date() -> datetime.date:
    """The latest date a piece of work can carry: today, wherever the user is."""
    return datetime.datetime.now(tz=_EARLIEST_ZONE).date()


SEARCH_CONFIG = "english"


def new_artifact_id() -> str:
    return str(uuid.uuid4())


class Category(models.TextChoices):
    DOCUMENT = "document", "Document"
    EMAIL = "email", "Email"
    TEMPLATE = "template", "Template"
    SCRIPT = "script", "Script"
    OTHER = "other", "Other"


class WorkArtifactQuerySet(TenantQuerySet["WorkArtifact"]):
    def owned_by(self, user) -> WorkArtifactQuerySet:
        # The tenant as well as the user: meaning is explicit and the planner
        # can combine it with the row-level security test.
        return self.filter(tenant_id=user.tenant_id, user=user)

    def newest_first(self) -> WorkArtifactQuerySet:
        return self.order_by("-artifact_date", "-created_at")


class WorkArtifact(TenantModel, TimestampedModel):
    """One piece of pre-AI work (a document, email, template, script...)."""

    # A UUID as text, like the source's `text PRIMARY KEY` ids: not guessable,
    # and the same shape if rows are ever exchanged with that system.
    id = models.CharField(primary_key=True, max_length=36, default=new_artifact_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="work_artifacts"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    # When the work was originally done (a day is the useful precision here).
    artifact_date = models.DateField()
    file_name = models.CharField(max_length=FILE_NAME_MAX_LENGTH, blank=True)
    file_type = models.CharField(max_length=FILE_TYPE_MAX_LENGTH, blank=True)
    extracted_text = models.TextField(blank=True)
    # True when the file held more text than we keep, so the page can say so.
    text_truncated = models.BooleanField(default=False)
    # Skill ids as text, as in the source (`text[] DEFAULT '{}'`).
    suggested_skill_ids = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    # Suggestions the owner dismissed: kept out when suggestions are recomputed.
    dismissed_skill_ids = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    estimated_hours_saved = models.FloatField(null=True, blank=True)
    # Maintained by PostgreSQL itself, so no write path can leave it stale.
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("description", weight="B", config=SEARCH_CONFIG)
            + SearchVector("extracted_text", weight="C", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = WorkArtifactQuerySet.as_manager()

    class Meta:
        ordering = ["-artifact_date", "-created_at"]
        indexes = [
            # The source's three indexes (user and tenant come with their FKs).
            models.Index(fields=["user", "artifact_date"], name="portfolio_user_date_idx"),
            GinIndex(fields=["search_vector"], name="portfolio_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_hours_saved__isnull=True)
                | models.Q(
                    estimated_hours_saved__gte=HOURS_MIN, estimated_hours_saved__lte=HOURS_MAX
                ),
                name="portfolio_hours_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=Category.values), name="portfolio_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def date_out_of_range(self) -> bool:
        """A row from before the date rule (or written behind its back): shown, and flagged."""
        return not EARLIEST_ARTIFACT_DATE <= self.artifact_date <= latest_artifact_date()
