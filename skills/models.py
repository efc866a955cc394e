from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from tenancy.keys import TenantForeignKey
from tenancy.models import TenantModel, TenantQuerySet, TimestampedModel

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 2000


class SkillQuerySet(TenantQuerySet["Skill"]):
    def for_tenant(self, tenant_id: int) -> SkillQuerySet:
        return self.filter(tenant_id=tenant_id)

    def authored_by(self, user) -> SkillQuerySet:
        return self.filter(tenant_id=user.tenant_id, author=user)


class Skill(TenantModel, TimestampedModel):
    """A skill in a tenant's catalogue; skills group under an optional parent."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="skills"
    )
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    # Deleting a parent lifts its children to the top level rather than
    # deleting a whole branch someone else authored.
    parent = TenantForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # Unique per tenant (never globally: a unique check across tenants
            # would reveal that another organisation has a skill of that name).
            models.UniqueConstraint("tenant", Lower("name"), name="skills_skill_tenant_name_ci"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="skills_skill_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["tenant", "name"], name="skills_tenant_name_idx")]

    def __str__(self) -> str:
        return self.name
