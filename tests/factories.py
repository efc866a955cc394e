"""Factories shared by every app's tests. Apps keep their own in tests/<app>/factories.py."""

from __future__ import annotations

from typing import Any

import factory

from skills.models import Skill
from tenancy.context import tenant_context
from tenancy.models import Tenant, User

PASSWORD = "demo-password"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Tenant {n}")
    slug = factory.Sequence(lambda n: f"tenant-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save(update_fields=["password"])


class TenantScopedFactory(factory.django.DjangoModelFactory):
    """Creates rows inside their tenant's context, as row-level security requires."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        tenant = kwargs.get("tenant")
        tenant_id = tenant.pk if tenant is not None else kwargs["tenant_id"]
        with tenant_context(tenant_id):
            return super()._create(model_class, *args, **kwargs)


class SkillFactory(TenantScopedFactory):
    class Meta:
        model = Skill

    author = factory.SubFactory(UserFactory)
    tenant = factory.SelfAttribute("author.tenant")
    name = factory.Sequence(lambda n: f"Skill {n}")
    description = "A skill."
