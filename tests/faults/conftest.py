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

    On Citus the trigger runs on the shards, on the workers: each worker keeps
    a plain log table of its own, written by the trigger in the shard's own
    local transaction (Citus commits it with the rest), and the count adds the
    workers' counts up. Citus creates triggers on distributed tables only with
    citus.enable_unsafe_triggers; it is safe here because the trigger touches
    nothing but its node's own log.
    """

    table = "faults_row_writes"

    def __init__(self) -> None:
        self.watched: list[str] = []
        self.citus = False

    def _owner_run(self, cursor: Any, statement: str) -> None:
        """Run `statement` as the owner here and, on Citus, on every worker too."""
        cursor.execute(statement)
        if self.citus:
            # A worker refuses DDL that Citus would propagate; these stay local.
            local = f"SET citus.enable_ddl_propagation TO off; {statement}"
            cursor.execute(
                "SELECT bool_and(success), string_agg(result, '; ') "
                "FROM run_command_on_workers(%s)",
                [local],
            )
            succeeded, results = cursor.fetchone()
            assert succeeded, results

    # Tables, functions and triggers are the owner role's to create (the serving
    # role may not); the trigger's inserts and the counts run as the serving role.
    def install(self) -> None:
        serving = connection.settings_dict["USER"]
        with new_owner_connection() as owner, owner.cursor() as cursor:
            self.citus = is_citus(owner)
            if self.citus:
                # Plain tables on each node, not Citus's: no propagation.
                cursor.execute("SET citus.enable_ddl_propagation TO off")
            self._owner_run(
                cursor, f"CREATE TABLE {self.table} (tbl text NOT NULL, row_id text NOT NULL)"
            )
            self._owner_run(cursor, f"GRANT SELECT, INSERT ON {self.table} TO {serving}")
            self._owner_run(
                cursor,
                f"""CREATE FUNCTION {self.table}_log() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    -- On Citus the table is a shard, named with its id: drop it.
                    INSERT INTO {self.table}
                    VALUES (regexp_replace(TG_TABLE_NAME, '_[0-9]+$', ''), NEW.id::text);
                    RETURN NEW;
                END $$""",
            )

    def _trigger_ddl(self, statement: str) -> None:
        with new_owner_connection() as owner, owner.cursor() as cursor:
            if self.citus:
                cursor.execute("SET citus.enable_unsafe_triggers TO on")
            cursor.execute(statement)

    def watch(self, model: type[Model]) -> None:
        db_table = model._meta.db_table
        self._trigger_ddl(
            f"CREATE TRIGGER {self.table}_log AFTER UPDATE ON {db_table} "
            f"FOR EACH ROW EXECUTE FUNCTION {self.table}_log()"
        )
        self.watched.append(db_table)

    def __call__(self, obj: Model) -> int:
        """How many committed UPDATEs hit `obj`'s row since `watch`."""
        query = f"SELECT count(*) FROM {self.table} WHERE tbl = %s AND row_id = %s"
        params = [obj._meta.db_table, str(obj.pk)]
        with connection.cursor() as cursor:
            if not self.citus:
                cursor.execute(query, params)
                return cursor.fetchone()[0]
            literal = query.replace("%s", "{}").format(*(f"'{p}'" for p in params))
            cursor.execute(
                "SELECT coalesce(sum(result::bigint), 0) FROM run_command_on_workers(%s)",
                [literal],
            )
            return int(cursor.fetchone()[0])

    def remove(self) -> None:
        for db_table in self.watched:
            self._trigger_ddl(f"DROP TRIGGER IF EXISTS {self.table}_log ON {db_table}")
        with new_owner_connection() as owner, owner.cursor() as cursor:
            if self.citus:
                cursor.execute("SET citus.enable_ddl_propagation TO off")
            self._owner_run(cursor, f"DROP FUNCTION IF EXISTS {self.table}_log() CASCADE")
            self._owner_run(cursor, f"DROP TABLE IF EXISTS {self.table}")


@pytest.fixture
def row_writes(transactional_db) -> Iterator[WriteLog]:
    """`row_writes.watch(Customer)`, then `row_writes(customer)` is its committed writes."""
    log = WriteLog()
    try:
        log.install()
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
