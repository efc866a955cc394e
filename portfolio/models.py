"""Work artifacts: what a member did before AI tools, and the hours it took."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.utils import timezone

from tenancy.keys import TenantForeignKey
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
    # Why each skill was suggested, written with the suggestions (services'
    # suggestions_refresh): {skill id: {"terms": [...], "snippet": "...",
    # "confidence": 0..1}}. Rows suggested before this existed have {} and the
    # page says the reason was not recorded.
    suggestion_reasons = models.JSONField(default=dict, blank=True)
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


# --- the skills profile: confirmed skills with their evidence -----------------------

MAX_EVIDENCE_PER_SKILL = 10


class Level(models.TextChoices):
    """A member's own assessment of a confirmed skill."""

    WORKING = "working", "Working knowledge"
    PROFICIENT = "proficient", "Proficient"
    EXPERT = "expert", "Expert"


class ProfileSkillQuerySet(TenantQuerySet["ProfileSkill"]):
    def held_by(self, user) -> ProfileSkillQuerySet:
        return self.filter(tenant_id=user.tenant_id, user=user)


class ProfileSkill(TenantModel, TimestampedModel):
    """A skill a member confirmed onto their profile, at a level they chose."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile_skills"
    )
    skill = TenantForeignKey(
        "skills.Skill", on_delete=models.CASCADE, related_name="profile_entries"
    )
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.PROFICIENT)

    objects = ProfileSkillQuerySet.as_manager()

    class Meta:
        ordering = ["skill__name"]
        constraints = [
            # One entry per skill per member; tenant_id first, as every unique
            # check on a tenant table (it must not reveal another tenant's rows).
            models.UniqueConstraint(
                fields=["tenant", "user", "skill"], name="portfolio_profileskill_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="portfolio_profileskill_level"
            ),
        ]
        # The catalogue's holder counts group the tenant's entries by skill.
        indexes = [models.Index(fields=["tenant", "skill"], name="portfolio_profile_skill_idx")]

    def __str__(self) -> str:
        return f"{self.skill} ({self.get_level_display()})"


class ProfileEvidence(TenantModel):
    """One work artifact that shows a confirmed skill."""

    profile_skill = TenantForeignKey(
        ProfileSkill, on_delete=models.CASCADE, related_name="evidence"
    )
    artifact = TenantForeignKey(WorkArtifact, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "profile_skill", "artifact"],
                name="portfolio_evidence_unique",
            ),
        ]
        # The catalogue's evidence counts, and the cascade when an artifact goes.
        indexes = [models.Index(fields=["tenant", "artifact"], name="portfolio_evidence_art_idx")]

    def __str__(self) -> str:
        return f"{self.profile_skill_id} <- {self.artifact_id}"


# --- shareable portfolios -----------------------------------------------------------

MAX_OPEN_SHARES = 20
SHARE_LABEL_MAX_LENGTH = 100
SHARE_MAX_DAYS = 365


class PortfolioShareQuerySet(TenantQuerySet["PortfolioShare"]):
    def owned_by(self, user) -> PortfolioShareQuerySet:
        return self.filter(tenant_id=user.tenant_id, user=user)


class PortfolioShare(TenantModel, TimestampedModel):
    """A read-only link to a member's portfolio (or chosen artifacts) and skills.

    The link's token is `<tenant id>.<secret>`, like an invitation's: the tenant
    id lets the anonymous page read the row inside that tenant's context, and only
    the secret's sha256 is stored (portfolio/services/shares.py).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio_shares"
    )
    label = models.CharField(max_length=SHARE_LABEL_MAX_LENGTH, blank=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    # True: every artifact of the member, now and later; False: artifact_ids only.
    whole_portfolio = models.BooleanField(default=True)
    artifact_ids = ArrayField(models.CharField(max_length=36), default=list, blank=True)
    include_skills = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    objects = PortfolioShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "secret_hash"], name="portfolio_share_secret_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "user", "created_at"], name="portfolio_share_user_idx")
        ]

    def __str__(self) -> str:
        return self.label or f"Share {self.pk}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if self.is_expired else "open"
