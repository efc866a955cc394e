"""The load-test baseline's one table (see loadtest/views.py)."""

from __future__ import annotations

from django.db import models


class Fortune(models.Model):
    """A fortune-cookie line, the row of TechEmpower's "fortunes" benchmark.

    Global on purpose, like workshops.StepDefinition: reference data shipped
    in a data migration, no tenant and so no row-level security (check_rls
    audits only models with a tenant). The baseline measures Django itself,
    so it must not pay for the tenant machinery the real pages pay for.
    """

    message = models.CharField(max_length=2048)

    def __str__(self) -> str:
        return self.message
