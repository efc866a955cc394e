"""CRM personas: bob is the relationship manager of the Acme customers, alice his
teammate (same tenant, not the RM: 403), carol the outsider at Globex (404)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from crm_artifacts import services
from crm_artifacts.models import CreatorType, Customer, Proposal
from tenancy.context import tenant_context
from tests.crm_artifacts.factories import CustomerFactory


@pytest.fixture
def customer(bob) -> Customer:
    return CustomerFactory(
        rm=bob,
        profile={
            "fullName": "Jane Doe",
            "email": "jane@old.example",
            "employer": "Globodyne",
            "dependents": 1,
            "riskTolerance": "moderate",
        },
    )


@pytest.fixture
def globex_customer(carol) -> Customer:
    return CustomerFactory(rm=carol, profile={"fullName": "Greta Globex", "email": "g@globex.test"})


@pytest.fixture
def bob_client(client_for, bob) -> Client:
    return client_for(bob)


@pytest.fixture
def make_batch() -> Callable[..., list[Proposal]]:
    """`make_batch(customer, email="x@y.z", employer="Initech")`: a pending batch."""

    def make(
        customer: Customer, *, workflow_trigger: str | None = None, **values: Any
    ) -> list[Proposal]:
        edits = [
            services.ProfileEditInput(
                field_key=key,
                proposed_value=value,
                source_text=f"{key} is {value}",
                confidence="high",
            )
            for key, value in values.items()
        ]
        with tenant_context(customer.tenant_id):
            return services.artifact_create_batch(
                customer=customer,
                edits=edits,
                created_by_type=CreatorType.AGENT,
                created_by_id="test-agent",
                workflow_trigger=workflow_trigger,
            )

    return make


@pytest.fixture
def reload(in_tenant) -> Callable[[Any], Any]:
    """A fresh copy of a row, read inside its tenant."""

    def fetch(obj: Any) -> Any:
        with in_tenant(obj.tenant):
            return type(obj).objects.get(pk=obj.pk)

    return fetch
