"""Distribute the schema on Citus (tenancy/citus.py); nothing on a plain PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from tenancy.citus import distribute, is_citus
from tenancy.roles import as_owner


class Command(BaseCommand):
    help = (
        "On Citus: distribute every tenant table by tenant_id (colocated) and make the "
        "global tables they reference reference tables, as the owner role. Idempotent; "
        "`migrate` runs it too. On a plain PostgreSQL it does nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with as_owner(connections[DEFAULT_DB_ALIAS]) as connection:
            if not is_citus(connection):
                self.stdout.write("Not a Citus database: nothing to distribute.")
                return
            done = distribute(connection, say=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Citus: {len(done)} step(s) done." if done else "Citus: already distributed."
            )
        )
