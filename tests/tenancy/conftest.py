"""Tenant admins for the people, invitation and admin tests: alice administers Acme."""

from __future__ import annotations

import pytest
from django.test import Client

from tenancy.demo import tenant_admin_group
from tenancy.models import User


@pytest.fixture
def tenant_admin(alice) -> User:
    alice.is_staff = True
    alice.save(update_fields=["is_staff"])
    alice.groups.add(tenant_admin_group())
    return alice


@pytest.fixture
def admin_client(client_for, tenant_admin) -> Client:
    return client_for(tenant_admin)
