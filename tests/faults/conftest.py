"""Fixtures for the fault tests: a log of committed row writes, and parallel clients.

The tests here go through real requests (Django's test client, one per
thread, each thread with its own database connection), so what they assert
is what a person clicking twice, or two tabs at once, would see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.test import Client

from tenancy.citus import is_citus
from tenancy.models import User
from tenancy.rls import tenant_models
from tenancy.roles import new_owner_connection

# The apps' own fixtures (bob's customer and batches, alice's workshop, skills),
# reused rather than redefined.
from tests.crm_artifacts.conftest import customer, make_batch, reload  # noqa: F401
from tests.messaging.conftest import alices_parent, bobs_skill  # noqa: F401
from tests.portfolio.conftest import artifacts_for  # noqa: F401
from tests.utils import run_concurrently
from tests.workshops.conftest import workshop  # noqa: F401

# Parallel requests per round: at least 8, released together by a barrier.
PARALLEL = 8


class WriteLog:
    """Counts committed UPDATEs of rows, through an AFTER UPDATE trigger.

    A trigger sees every write whichever path made it (ORM, raw SQL, a bulk
    update) and its log row commits or rolls back with the write itself, so
    "written once" means once in the database, not once in our code.
    """

    table = "faults_row_writes"

    def __init__(self) -> None:
        self.watched: list[str] = []

    # Tables, functions and triggers are the owner role's to create (the serving
    # role may not); the trigger's inserts and the counts run as the serving role.
    def install(self) -> None:
        serving = connection.settings_dict["USER"]
        with new_owner_connection() as owner, owner.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {self.table} "
                "(tenant_id bigint NOT NULL, tbl text NOT NULL, row_id text NOT NULL)"
            )
            if is_citus(owner):
                # Colocated with the tenant tables: the trigger runs on a shard of
                # the watched table and writes to the log's shard on the same node.
                cursor.execute(
                    "SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)",
                    [self.table, tenant_models()[0]._meta.db_table],
                )
            cursor.execute(f"GRANT SELECT, INSERT ON {self.table} TO {serving}")
            cursor.execute(
                f"""CREATE FUNCTION {self.table}_log() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO {self.table} VALUES (NEW.tenant_id, TG_TABLE_NAME, NEW.id::text);
                    RETURN NEW;
                END $$"""
            )

    def watch(self, model: type[Model]) -> None:
        db_table = model._meta.db_table
        with new_owner_connection() as owner, owner.cursor() as cursor:
            if is_citus(owner):
                # Citus runs a trigger on each shard; it is safe here because the
                # log is colocated (install), which Citus cannot check itself.
                cursor.execute("SET citus.enable_unsafe_triggers TO on")
            cursor.execute(
                f"CREATE TRIGGER {self.table}_log AFTER UPDATE ON {db_table} "
                f"FOR EACH ROW EXECUTE FUNCTION {self.table}_log()"
            )
        self.watched.append(db_table)

    def __call__(self, obj: Model) -> int:
        """How many committed UPDATEs hit `obj`'s row since `watch`."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {self.table} WHERE tbl = %s AND row_id = %s",
                [obj._meta.db_table, str(obj.pk)],
            )
            return cursor.fetchone()[0]

    def remove(self) -> None:
        with new_owner_connection() as owner, owner.cursor() as cursor:
            for db_table in self.watched:
                cursor.execute(f"DROP TRIGGER IF EXISTS {self.table}_log ON {db_table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {self.table}_log() CASCADE")
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


@pytest.fixture
def row_writes(transactional_db) -> Iterator[WriteLog]:
    """`row_writes.watch(Customer)`, then `row_writes(customer)` is its committed writes."""
    log = WriteLog()
    log.install()
    try:
        yield log
    finally:
        log.remove()


@pytest.fixture
def hammer(client_for) -> Callable[..., list[Any]]:
    """`hammer(bob, [lambda client: client.post(url), ...])`: every call in its own
    thread with its own signed-in client, released at once; returns the responses
    (or the exception a request raised, which the tests treat as a failure)."""

    def run(user: User, calls: list[Callable[[Client], Any]]) -> list[Any]:
        clients = [client_for(user) for _ in calls]
        pairs = zip(calls, clients, strict=True)
        jobs = [lambda call=call, client=client: call(client) for call, client in pairs]
        results = run_concurrently(jobs)
        crashed = [r for r in results if isinstance(r, BaseException)]
        assert not crashed, crashed
        return results

    return run


class DeadlockWatch:
    """PostgreSQL's own count of deadlocks in the test database, and the embedded
    server's log, so a deadlock that a retry or a swallowed error hid still fails.

    The counter (`pg_stat_database.deadlocks`) works on any server; a backend
    reports it when it goes idle or exits, so `count` first waits for the
    racing requests' connections (closed by `run_concurrently`) to end. The
    log is read too when it is the embedded cluster's (`.data/pg/log`).
    """

    log_path = Path(settings.BASE_DIR) / ".data" / "pg" / "log"

    def __init__(self) -> None:
        self.start = self._count()
        self.log_start = self.log_path.stat().st_size if self.log_path.exists() else 0

    def _count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    def _wait_for_other_backends(self, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0] == 0:
                    return
            time.sleep(0.05)

    def deadlocks(self) -> int:
        """Deadlocks PostgreSQL detected in the test database since the fixture began."""
        self._wait_for_other_backends()
        return self._count() - self.start

    def logged(self) -> list[str]:
        """The server log's "deadlock detected" lines written since the fixture began."""
        if not self.log_path.exists():
            return []
        with self.log_path.open("rb") as log:
            log.seek(self.log_start)
            text = log.read().decode("utf-8", "replace")
        return [line for line in text.splitlines() if "deadlock detected" in line]


@pytest.fixture
def deadlocks(transactional_db) -> DeadlockWatch:
    """`deadlocks.deadlocks()` and `deadlocks.logged()` after a race: both must stay empty."""
    return DeadlockWatch()
