"""The CRM app's fixtures (bob's customer, its proposals), reused by the request tests here."""

from __future__ import annotations

from tests.crm_artifacts.conftest import customer, make_batch, reload  # noqa: F401
