from __future__ import annotations

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
