"""Customers for the CRM tests; proposals are made through the services."""

from __future__ import annotations

import factory

from crm_artifacts.models import Customer
from tests.factories import TenantScopedFactory, UserFactory


class CustomerFactory(TenantScopedFactory):
    class Meta:
        model = Customer

    rm = factory.SubFactory(UserFactory)
    tenant = factory.SelfAttribute("rm.tenant")
    profile = factory.Sequence(
        lambda n: {
            "fullName": f"Customer {n:03d}",
            "email": f"customer{n}@example.test",
            "employer": "Globodyne",
            "dependents": 1,
        }
    )
