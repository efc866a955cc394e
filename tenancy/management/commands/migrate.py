"""`migrate` as the owner role, then on Citus the distribution of new tables, then
the serving role's privileges on what it made."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from tenancy.citus import distribute
from tenancy.roles import as_owner, grant_serving_privileges


class Command(migrate.Command):
    help = (
        "Apply migrations as the owner role (DATABASES['owner'], DATABASE_OWNER_URL); on "
        "Citus distribute what is new (distribute_tables); then grant the serving role "
        "SELECT, INSERT, UPDATE and DELETE on every table."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # Migrations run on the "default" alias, connected as the owner for the
        # duration (tenancy.roles.as_owner says why).
        default = connections[DEFAULT_DB_ALIAS]
        serving = default.settings_dict.get("USER")
        with as_owner(default):
            super().handle(*args, **{**options, "database": DEFAULT_DB_ALIAS})
            # Before the grants: Citus gives new shards the table's privileges
            # as they are when it distributes, and propagates later GRANTs.
            distribute(default, say=lambda line: self.stdout.write(f"  Citus: {line}"))
            grant_serving_privileges(default, serving=serving)
