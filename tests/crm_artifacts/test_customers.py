"""Customer services: profiles through the registry, the RM inside the tenant."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm_artifacts import services
from crm_artifacts.fields import FIELD_KEYS, field_specs
from crm_artifacts.models import Customer
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_create_normalises_the_profile(bob):
    with tenant_context(bob.tenant_id):
        customer = services.customer_create(
            tenant_id=bob.tenant_id,
            rm=bob,
            profile={
                "fullName": "  Ann   Lee ",
                "email": "ANN@X.EXAMPLE",
                "dependents": "2",
                "phone": "",
            },
        )
        assert Customer.objects.get().profile == {
            "fullName": "Ann Lee",
            "email": "ann@x.example",
            "dependents": 2,
        }
    assert customer.rm == bob


def test_create_refuses_an_rm_of_another_tenant(bob, carol):
    with (
        tenant_context(bob.tenant_id),
        pytest.raises(ValidationError, match=services.RM_OTHER_TENANT),
    ):
        services.customer_create(tenant_id=bob.tenant_id, rm=carol, profile={"fullName": "X"})


def test_create_refuses_unknown_fields_and_bad_values(bob):
    with tenant_context(bob.tenant_id), pytest.raises(ValidationError) as error:
        services.customer_create(
            tenant_id=bob.tenant_id, rm=bob, profile={"shoeSize": 44, "email": "nope"}
        )
    assert error.value.message_dict == {
        "profile": ["Unknown profile field “shoeSize”."],
        "email": ["Enter a valid email address."],
    }


def test_update_and_set_values(bob, alice, customer, reload):
    with tenant_context(bob.tenant_id):
        services.customer_set_profile_values(customer=customer, values={"phone": "07700 900123"})
        assert reload(customer).profile["phone"] == "07700 900123"
        services.customer_update(customer=customer, rm=alice, profile={"fullName": "Jane D"})
    stored = reload(customer)
    assert (stored.rm_id, stored.profile) == (alice.pk, {"fullName": "Jane D"})


def test_the_profile_is_always_a_json_object(customer):
    with (
        tenant_context(customer.tenant_id),
        pytest.raises(IntegrityError),
        transaction.atomic(),
    ):
        Customer.objects.filter(pk=customer.pk).update(profile=["not", "an", "object"])


def test_the_assistant_is_told_every_registry_field():
    specs = field_specs()
    assert tuple(s.key for s in specs) == FIELD_KEYS
    income = next(s for s in specs if s.key == "incomeBandAnnual")
    assert (income.kind, income.choices[0]) == ("choice", "under-25k")
