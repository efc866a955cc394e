"""`migrate` as the owner role, then the serving role's privileges on what it made."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from tenancy.roles import grant_serving_privileges, owner_alias

# What makes a connection a given role on a given database.
_CREDENTIALS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(migrate.Command):
    help = (
        "Apply migrations as the owner role (DATABASES['owner'], DATABASE_OWNER_URL), "
        "then grant the serving role SELECT, INSERT, UPDATE and DELETE on every table."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = settings.DATABASES[owner_alias()]  # refuses without an owner role
        # Migrations run on the "default" alias, connected as the owner for the
        # duration: data migrations (ours and third parties') write through the
        # default connection whatever --database says, and a second connection
        # would wait forever on the locks of the migrating one.
        default = connections[DEFAULT_DB_ALIAS]
        saved = {key: default.settings_dict.get(key) for key in _CREDENTIALS}
        if not saved["USER"]:
            raise CommandError("DATABASE_URL names no user: the serving role must be named.")
        default.close()
        default.settings_dict.update({key: owner.get(key) for key in _CREDENTIALS})
        try:
            super().handle(*args, **{**options, "database": DEFAULT_DB_ALIAS})
            grant_serving_privileges(default, serving=saved["USER"])
        finally:
            default.close()
            default.settings_dict.update(saved)
