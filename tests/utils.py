from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action: Callable[[], Any]) -> tuple[int, Any]:
    """Run `action` and return (number of SQL statements it ran, its result)."""
    with CaptureQueriesContext(connection) as captured:
        result = action()
    return len(captured.captured_queries), result


def assert_constant_queries(
    action: Callable[[], Any], grow: Callable[[], Any], *, limit: int | None = None
) -> None:
    """The query count of `action` is the same before and after `grow()` adds rows.

    Use at two sizes (say 5 and 50 rows) so an N+1 cannot creep in.
    """
    small, _ = count_queries(action)
    grow()
    large, _ = count_queries(action)
    assert small == large, f"queries grew from {small} to {large} with more rows"
    if limit is not None:
        assert large <= limit, f"{large} queries, more than the {limit} expected"


def assert_uses_index(queryset: Any, table: str) -> str:
    """EXPLAIN the queryset with sequential scans discouraged and assert `table`
    is read through an index. Returns the plan for further asserts.

    Test tables are tiny, so the planner would happily scan them; with
    enable_seqscan off it still seq-scans a table only when no index fits.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    assert f"Seq Scan on {table}" not in plan, plan
    return plan


def run_concurrently(
    jobs: list[Callable[[], Any]], *, tenant_id: int | None = None, timeout: float = 60
) -> list[Any]:
    """Run each job in its own thread and database connection, all released at once.

    Returns each job's result, or the exception it raised (the outcome under
    test: a conflict or a refusal is a result here, not a crash). With
    `tenant_id`, each job runs inside that tenant's context. Needs
    `pytest.mark.django_db(transaction=True)`: the threads see only committed rows.
    """
    import threading

    from tenancy.context import tenant_context

    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            if tenant_id is None:
                results[index] = job()
            else:
                with tenant_context(tenant_id):
                    results[index] = job()
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a concurrent job hung"
    return results


def count_waits(action: Callable[[], Any]) -> int:
    """How many times the client waited for PostgreSQL's answer, from libpq's trace of
    the messages it sent: one per simple Query, one per Sync (which ends a statement
    run on its own with bound parameters, or a whole pipeline)."""
    return sum(1 for kind, _ in sent_messages(action) if kind in _WAITED)


def sent_messages(action: Callable[[], Any]) -> list[tuple[bytes, bytes]]:
    """The messages the client sent PostgreSQL during `action`, from libpq's trace:
    (kind, rest of the line), e.g. (b"Query", b' "BEGIN"')."""
    raw = connection.connection.pgconn
    with tempfile.TemporaryFile() as trace:
        raw.trace(trace.fileno())
        try:
            action()
        finally:
            raw.untrace()
        trace.seek(0)
        lines = [line.split(b"\t", 4) for line in trace.read().splitlines()]
    return [
        (line[3], line[4] if len(line) > 4 else b"")
        for line in lines
        if len(line) > 3 and line[1] == b"F"
    ]


# How libpq's trace names the two messages a client waits after.
_WAITED = {b"Query", b"Sync"}
