"""The source repository's reads: get, list by customer, pending, by batch, filtered."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from crm_artifacts import services
from tests.crm_artifacts.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_batches(customer, bob, make_batch, in_tenant):
    first = make_batch(customer, email="one@x.example", occupation="Pilot")
    second = make_batch(customer, phone="07700 900123")
    with in_tenant(bob):
        services.artifact_reject(artifact=first[1], user=bob)
    return first, second


def test_get_by_id(customer, bob, two_batches, in_tenant):
    first, _ = two_batches
    with in_tenant(bob):
        assert services.artifact_get(user=bob, artifact_id=first[0].pk) == first[0]
        assert services.artifact_get(user=bob, artifact_id=str(first[0].pk)) == first[0]
        for bad in [0, -1, "abc", "9" * 30, 10**6]:
            with pytest.raises(services.NotFound, match=services.ARTIFACT_NOT_FOUND):
                services.artifact_get(user=bob, artifact_id=bad)


def test_list_by_customer_pages_and_orders(customer, bob, two_batches, in_tenant):
    first, second = two_batches
    with in_tenant(bob):
        newest_first = services.artifact_list_by_customer(user=bob, customer=customer)
        oldest_first = services.artifact_list_by_customer(user=bob, customer=customer, order="asc")
        page = services.artifact_list_by_customer(user=bob, customer=customer, limit=1, offset=1)
    assert [a.pk for a in newest_first] == [second[0].pk, first[1].pk, first[0].pk]
    assert oldest_first == list(reversed(newest_first))
    assert page == [first[1]]


def test_list_pending_by_customer(customer, bob, two_batches, in_tenant):
    first, second = two_batches
    with in_tenant(bob):
        pending = services.artifact_list_pending_by_customer(user=bob, customer=customer)
    assert pending == [second[0], first[0]]


def test_list_by_batch_in_creation_order(customer, bob, two_batches, in_tenant):
    first, _ = two_batches
    with in_tenant(bob):
        assert services.artifact_list_by_batch(user=bob, batch_id=first[0].batch_id) == first
        with pytest.raises(services.NotFound, match=services.BATCH_NOT_FOUND):
            services.artifact_list_by_batch(user=bob, batch_id="nope")


def test_list_with_filters(customer, bob, two_batches, in_tenant, make_batch):
    first, second = two_batches
    other = CustomerFactory(rm=bob)
    (elsewhere,) = make_batch(other, occupation="Baker")
    with in_tenant(bob):
        assert services.artifact_list(user=bob, status="rejected") == [first[1]]
        assert services.artifact_list(user=bob, batch_id=second[0].batch_id) == second
        assert services.artifact_list(user=bob, customer=other) == [elsewhere]
        assert len(services.artifact_list(user=bob, artifact_type="profile_edit")) == 4
        assert services.artifact_list(user=bob, customer=customer, status="pending", limit=1) == [
            second[0]
        ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "maybe"}, services.INVALID_STATUS_FILTER),
        ({"artifact_type": "email_draft"}, services.UNKNOWN_ARTIFACT_TYPE),
        ({"limit": 0}, "limit must be a whole number from 1 to 200"),
        ({"limit": 201}, "limit must be"),
        ({"offset": -1}, "offset must be a whole number from 0 to 100000"),
        ({"offset": 10**9}, "offset must be"),
        ({"order": "sideways"}, services.INVALID_ORDER),
    ],
)
def test_list_refuses_bad_filters(bob, customer, in_tenant, kwargs, message):
    with in_tenant(bob), pytest.raises(ValidationError) as error:
        services.artifact_list(user=bob, **kwargs)
    assert any(message in m for m in error.value.messages)


def test_reads_are_for_the_attached_rm_only(customer, alice, two_batches, in_tenant):
    first, _ = two_batches
    with in_tenant(alice):
        with pytest.raises(PermissionDenied):
            services.artifact_get(user=alice, artifact_id=first[0].pk)
        with pytest.raises(PermissionDenied):
            services.artifact_list_by_customer(user=alice, customer=customer)
        with pytest.raises(PermissionDenied):
            services.artifact_list_pending_by_customer(user=alice, customer=customer)
        with pytest.raises(PermissionDenied):
            services.artifact_list_by_batch(user=alice, batch_id=first[0].batch_id)
        with pytest.raises(PermissionDenied):
            services.artifact_list(user=alice, customer=customer)
        assert services.artifact_list(user=alice) == []  # nothing of hers


def test_reads_across_tenants_are_not_found(customer, carol, two_batches, in_tenant):
    first, _ = two_batches
    with in_tenant(carol):
        with pytest.raises(services.NotFound):
            services.artifact_get(user=carol, artifact_id=first[0].pk)
        with pytest.raises(services.NotFound):
            services.artifact_list_by_customer(user=carol, customer=customer)
        with pytest.raises(services.NotFound):
            services.artifact_list_by_batch(user=carol, batch_id=first[0].batch_id)
        with pytest.raises(services.NotFound):
            services.get_customer(user=carol, customer_id=customer.pk)
        assert services.artifact_list(user=carol) == []
