"""Which connection does what: the owner role changes the schema, the serving role
serves (config/database.py explains the split).

`manage.py migrate` and `manage.py flush` are overridden in this app to run as
the owner role; everything else runs as the serving role on "default".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from config.database import OWNER_ALIAS, grant_serving_role

NO_OWNER = (
    "DATABASE_OWNER_URL is not set: migrations and flushes run as the database's "
    "owner role, not as the serving role of DATABASE_URL (README, 'Database roles')."
)


def owner_alias() -> str:
    if OWNER_ALIAS not in settings.DATABASES:
        raise CommandError(NO_OWNER)
    return OWNER_ALIAS


def new_owner_connection() -> Any:
    """A psycopg connection of the owner role of its own, in autocommit.

    Not Django's `connections["owner"]`: the test runner makes the connections
    a test did not ask for refuse queries, and this one must work during any
    test's teardown (the flush). Built with the backend's own parameters.
    """
    wrapper = connections[owner_alias()]  # read for its parameters; never connected
    raw = wrapper.get_new_connection(wrapper.get_connection_params())
    raw.autocommit = True
    return raw


# What makes a connection a given role on a given database.
_CREDENTIALS = ("NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


@contextmanager
def as_owner(default: BaseDatabaseWrapper) -> Iterator[BaseDatabaseWrapper]:
    """The "default" connection, connected as the owner role for the duration.

    The same connection, not the "owner" alias: data migrations (ours and third
    parties') write through "default" whatever --database says, and a second
    connection would wait forever on the locks of the migrating one.
    """
    owner = settings.DATABASES[owner_alias()]  # refuses without an owner role
    saved = {key: default.settings_dict.get(key) for key in _CREDENTIALS}
    if not saved["USER"]:
        raise CommandError("DATABASE_URL names no user: the serving role must be named.")
    default.close()
    default.settings_dict.update({key: owner.get(key) for key in _CREDENTIALS})
    try:
        yield default
    finally:
        default.close()
        default.settings_dict.update(saved)


def grant_serving_privileges(owner: BaseDatabaseWrapper, *, serving: str) -> None:
    """After migrations: the serving role's DML privileges on what the owner made."""
    owner.ensure_connection()
    # The psycopg connection itself: grant_serving_role composes psycopg SQL.
    grant_serving_role(owner.connection, serving=serving)
