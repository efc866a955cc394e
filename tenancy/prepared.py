"""Hot reads compiled once per process and run with each call's values.

Building a queryset and compiling it to SQL costs Django 1-2.5 ms for a read with
a subquery or two, often more than PostgreSQL takes to run it, and a page runs
three to six reads of the same shape on every view (docs/performance.md, "Page
speed"). `@prepared(user_id=int)` over a function that builds a queryset from its
arguments builds and compiles it once per process, with a placeholder in the
place of each argument, and every call runs that SQL with the call's own values:

    @prepared(user_id=int)
    def _cards(user_id: int) -> QuerySet[Card]:
        return Card.objects.filter(owner_id=user_id).order_by("-pk")

    cards = _cards(user_id=user.pk)  # a list, evaluated

The tenant is never written into the cached SQL. Tenant models' managers filter
by the active tenant (tenancy.models.TenantManager); the read is compiled with a
placeholder as the active tenant, and each call puts the tenant of its own
tenant_context in that parameter's place (TenantContextMissing outside any in
strict mode, NULL, no row, in production: as an unprepared query). Row-level
security, on the transaction's `SET LOCAL`, stays the fence behind it.

What preparing checks on the first call (PreparedReadError, so the first test of
a page using the read catches a mistake):

- every argument reaches the SQL as a bound parameter, unchanged: a value Django
  transforms (`__icontains` wraps it in `%`), writes into the statement (a slice's
  LIMIT) or drops is refused;
- no date or time is a constant of the SQL: "now" computed inside the builder
  would be frozen at the first call, so it must be an argument;
- the builder returns a QuerySet (no `.aggregate()`, `.get()` or `.count()`:
  they run at once; a grouped `.values().annotate()` reads the same figures),
  from a model's manager, not a related manager (which would hand its owner, a
  stand-in with placeholder values, to every row).

Each call checks its values' types (int, str, date, aware datetime): None, a
bool or a list would compile to a different statement (`IS NULL`, `IN (...)`),
so they are refused rather than run in the wrong shape.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import update_wrapper
from typing import Any, Generic, TypeVar

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.constants import MULTI
from django.db.models.sql.query import Query

from tenancy.context import active_tenant_id, placeholder_tenant, tenant_context
from tenancy.models import User, active_tenant_or_fail

M = TypeVar("M")

KINDS = (int, str, date, datetime)

# Placeholders are values no real argument takes: negative ids inside the 32-bit
# range (Django turns an out-of-range integer lookup into "no rows" before it
# reaches the SQL), random strings, instants in 1901.
_TENANT = -2_030_000_001
_FIRST_INT = -2_031_000_000
_TENANT_ARGUMENT = "<the active tenant>"
_PAGE_KINDS = {"limit": int, "offset": int}
_PAGE_SQL = " LIMIT %s OFFSET %s"
_PAGE_NUMBER_CAP = 2**31


# Every prepared read of the project, for the tests that check them all.
REGISTRY: list[PreparedRead[Any]] = []


class PreparedReadError(TypeError):
    """A read that cannot be prepared as written, or a call with a value of the wrong kind."""


def _placeholder(kind: type, index: int) -> Any:
    if kind is int:
        return _FIRST_INT - index
    if kind is str:
        return f"prepared-{index}-{uuid.uuid4().hex}"
    if kind is datetime:
        return datetime(1901, 2, 3, 4, 5, 6, index + 1, tzinfo=UTC)
    if kind is date:
        return date(1901, 2, 3) + timedelta(days=index)
    raise PreparedReadError(f"a prepared read's arguments are {KINDS}, not {kind!r}")


def _is_placeholder(value: Any, placeholder: Any) -> bool:
    # type() first: True == 1 and a datetime is a date.
    return type(value) is type(placeholder) and value == placeholder


def _check_value(name: str, kind: type, value: Any) -> None:
    if kind is int:
        ok = type(value) is int
    elif kind is date:
        ok = type(value) is date
    elif kind is datetime:
        ok = isinstance(value, datetime) and value.tzinfo is not None
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise PreparedReadError(f"{name} must be {kind.__name__} (aware if a time), not {value!r}")


class _RunQuery:
    """The prepared Query as the queryset's iterable sees it, with this run's compiler."""

    def __init__(self, query: Query, compiler: SQLCompiler) -> None:
        self._query = query
        self._compiler = compiler

    def get_compiler(self, *args: Any, **kwargs: Any) -> SQLCompiler:
        return self._compiler

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query, name)


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    arguments: tuple[tuple[int, str], ...]  # (parameter index, argument name)


class PreparedRead(Generic[M]):
    def __init__(
        self, build: Callable[..., QuerySet], kinds: dict[str, type], *, paged: bool = False
    ) -> None:
        for kind in kinds.values():
            if kind not in KINDS:
                raise PreparedReadError(f"a prepared read's arguments are {KINDS}, not {kind!r}")
        self._build = build
        self._kinds = kinds
        self._paged = paged
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()
        update_wrapper(self, build)
        REGISTRY.append(self)

    def queryset(self, **values: Any) -> QuerySet:
        """The read as an ordinary queryset with these values (tests compare the two)."""
        return self._build(**values)

    def __call__(self, **values: Any) -> list[M]:
        compiled, params = self._bind(values)
        return self._run(compiled, params)

    def bound(self, **values: Any) -> BoundRead[M]:
        """The read with these values, to run with others in one round trip
        (read_together), where calling it would run it alone."""
        compiled, params = self._bind(values)
        return BoundRead(self, compiled, params)

    def digested(
        self, *, count_if: tuple[str, int | str] | None = None, run: bool = True, **values: Any
    ) -> DigestedRows[M]:
        """The rows with these values, known first by a digest PostgreSQL computes over
        them (one small statement); they are read only when something iterates them. For
        a cached fragment's key (ui/fragments.py): a hit never builds the rows.
        `count_if=(column, value)`: the same statement also counts the rows whose column
        has that value (`counted`), for a figure shown outside the cached fragment.
        `run=False`: the digest statement waits for run_digests, which runs several in one."""
        compiled, params = self._bind(values)
        if compiled.queryset._prefetch_related_lookups:
            # Prefetched rows come from statements of their own: no digest covers them.
            raise PreparedReadError(
                f"{self._build.__qualname__}: a digested read cannot prefetch; join "
                "with select_related or annotate what the fragment shows"
            )
        return DigestedRows(self, compiled, params, count_if, run=run)

    def _bind(self, values: dict[str, Any]) -> tuple[_Compiled, tuple[Any, ...]]:
        kinds = {**self._kinds, **(_PAGE_KINDS if self._paged else {})}
        if values.keys() != kinds.keys():
            raise PreparedReadError(
                f"{self._build.__qualname__} takes {sorted(kinds)}, got {sorted(values)}"
            )
        for name, value in values.items():
            _check_value(name, kinds[name], value)
        if self._paged and (values["limit"] < 1 or values["offset"] < 0):
            raise PreparedReadError(f"a page needs limit >= 1 and offset >= 0, not {values}")
        compiled = self._compile()
        params = list(compiled.params)
        for index, name in compiled.arguments:
            if name == _TENANT_ARGUMENT:
                params[index] = active_tenant_or_fail(compiled.queryset.model._meta.label)
            else:
                params[index] = values[name]
        if self._paged:
            params += [values["limit"], values["offset"]]
        return compiled, tuple(params)

    def _compile(self) -> _Compiled:
        if self._compiled is not None:
            return self._compiled
        with self._lock:
            if self._compiled is None:
                self._compiled = self._compile_now()
        return self._compiled

    def _compile_now(self) -> _Compiled:
        with placeholder_tenant(_TENANT):
            placeholders = {
                name: _placeholder(kind, index)
                for index, (name, kind) in enumerate(self._kinds.items())
            }
            queryset = self._build(**placeholders)
            if not isinstance(queryset, QuerySet):
                raise PreparedReadError(
                    f"{self._build.__qualname__} must return a QuerySet, not "
                    f"{type(queryset).__name__}: .aggregate(), .get() and .count() run "
                    "at once; a grouped .values().annotate() reads the same figures"
                )
            if queryset._known_related_objects:
                # A related manager's queryset (`user.skills.all()`) hands its owner to
                # every row it reads: here the stand-in with placeholder values.
                raise PreparedReadError(
                    f"{self._build.__qualname__}: build from the model's manager "
                    "(Skill.objects.filter(author_id=...)), not a related manager"
                )
            query = queryset.query
            compiler = query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
        if self._paged:
            if query.is_sliced or query.select_for_update or query.combinator:
                raise PreparedReadError(
                    f"{self._build.__qualname__}: a paged read is a plain SELECT, not sliced, "
                    "combined or locked: the page's LIMIT and OFFSET go at its end"
                )
            # Where Django writes a slice's LIMIT/OFFSET, as bound parameters instead.
            sql = f"{sql}{_PAGE_SQL}"
        return _Compiled(
            queryset=queryset,
            compiler=compiler,
            sql=sql,
            params=tuple(params),
            arguments=self._arguments(sql, params, placeholders),
        )

    def _arguments(
        self, sql: str, params: list[Any], placeholders: dict[str, Any]
    ) -> tuple[tuple[int, str], ...]:
        name = self._build.__qualname__
        everything = {**placeholders, _TENANT_ARGUMENT: _TENANT}
        for argument, placeholder in everything.items():
            if str(placeholder) in sql:
                raise PreparedReadError(
                    f"{name}: {argument} is written into the SQL, not bound (a slice's "
                    "LIMIT is): it cannot change from one call to the next"
                )
        arguments = []
        for index, param in enumerate(params):
            matches = [a for a, p in everything.items() if _is_placeholder(param, p)]
            if matches:
                arguments.append((index, matches[0]))
            elif isinstance(param, date):
                raise PreparedReadError(
                    f"{name}: the time {param!r} would be a constant of the prepared SQL; "
                    "pass it as an argument"
                )
        missing = set(placeholders) - {a for _, a in arguments}
        if missing:
            raise PreparedReadError(
                f"{name}: {sorted(missing)} do not reach the SQL as bound parameters as "
                "given (a lookup transforms them, e.g. __icontains): prepare without them"
            )
        return tuple(arguments)

    @staticmethod
    def _run(
        compiled: _Compiled,
        params: tuple[Any, ...],
        digest: list[str] | None = None,
        fetched: list[tuple[Any, ...]] | None = None,
    ) -> list[Any]:
        """The rows; with `digest`, also their digest from the same statement, appended;
        with `fetched`, built from those rows, already read (read_together)."""
        source = compiled.queryset
        compiler = copy.copy(compiled.compiler)
        # This thread's connection, in this request's transaction and tenant: the
        # compiler prepared in another thread holds that thread's connection.
        compiler.connection = connections[source.db]
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)
        if digest is not None:
            compiler.execute_sql = _digesting_execute(compiler, compiled.sql, params, digest)
        elif fetched is not None:
            compiler.execute_sql = _fetched_execute(compiler, fetched)
        run = source.__class__.__new__(source.__class__)
        run.__dict__.update(source.__dict__)
        run.__dict__.update(
            _query=_RunQuery(source.query, compiler), _result_cache=None, _prefetch_done=False
        )
        run._fetch_all()
        return run._result_cache


# Both digest statements hash the rows' text as PostgreSQL writes it (every column the
# read selects, annotations and select_related rows included, NULL apart from ''), in
# the order the read returns them: the same rows give the same digest, any change to
# one, a row more or a row less, another.
_DIGEST = "md5(coalesce(string_agg(digested::text, E'\\n'){over}, ''))"
_COUNT_AND_DIGEST_SQL = (
    "SELECT {total}, count(*), {counted}, {digest} FROM ({sql}) AS digested".format(
        digest=_DIGEST.format(over=""), sql="{sql}", total="{total}", counted="{counted}"
    )
)
_COUNT_IF_SQL = "count(*) FILTER (WHERE digested.{column} = %s)"
# A page's total, the rows of all pages, in the same statement (Django's Paginator
# asks for it first: digested_page).
_TOTAL_SQL = "(SELECT count(*) FROM ({sql}) AS everything)"
_ROWS_AND_DIGEST_SQL = "SELECT digested.*, {digest} FROM ({sql}) AS digested".format(
    digest=_DIGEST.format(over=" OVER ()"), sql="{sql}"
)
EMPTY_DIGEST = "d41d8cd98f00b204e9800998ecf8427e"  # md5 of no rows: ''


def _digesting_execute(
    compiler: SQLCompiler, sql: str, params: tuple[Any, ...], digest: list[str]
) -> Callable[..., Any]:
    """The compiler's execute_sql for a MULTI read, running the read with its digest as
    one more column (one statement, one snapshot) and handing Django the rows without it."""

    def execute_sql(result_type: str = MULTI, *args: Any, **kwargs: Any) -> list[list[tuple]]:
        if result_type != MULTI:
            raise PreparedReadError("a digested read is read whole (MULTI)")
        with compiler.connection.cursor() as cursor:
            cursor.execute(_ROWS_AND_DIGEST_SQL.format(sql=sql), params)
            rows = cursor.fetchall()
        digest.append(rows[0][-1] if rows else EMPTY_DIGEST)
        # col_count: the columns Django selected (it drops any it added for ordering).
        return [[row[: compiler.col_count] for row in rows]]

    return execute_sql


def _fetched_execute(compiler: SQLCompiler, fetched: list[tuple[Any, ...]]) -> Callable[..., Any]:
    """The compiler's execute_sql for a MULTI read whose rows were read already."""

    def execute_sql(result_type: str = MULTI, *args: Any, **kwargs: Any) -> list[list[tuple]]:
        if result_type != MULTI:
            raise PreparedReadError("a read run with others is read whole (MULTI)")
        # col_count: the columns Django selected (it drops any it added for ordering).
        return [[row[: compiler.col_count] for row in fetched]]

    return execute_sql


class BoundRead(Generic[M]):
    """A prepared read with its values, waiting to run with others (read_together)."""

    def __init__(self, read: PreparedRead[M], compiled: _Compiled, params: tuple[Any, ...]):
        self._read = read
        self._compiled = compiled
        self._params = params

    @property
    def statement(self) -> tuple[str, tuple[Any, ...]]:
        return self._compiled.sql, self._params

    @property
    def db(self) -> str:
        return self._compiled.queryset.db

    def take(self, fetched: list[tuple[Any, ...]]) -> list[M]:
        return self._read._run(self._compiled, self._params, fetched=fetched)

    def run(self) -> list[M]:
        """The read alone, as calling it would."""
        return self._read._run(self._compiled, self._params)


class DigestedRows(Generic[M]):
    """A prepared read's rows, first known only by their digest and count (one small
    statement, no rows sent or built); iterating reads them, with their own digest from
    that same statement, so `digest` always describes the rows that were shown, even
    when another transaction changed them in between (ui/fragments.FragmentKey)."""

    def __init__(
        self,
        read: PreparedRead[M],
        compiled: _Compiled,
        params: tuple[Any, ...],
        count_if: tuple[str, int | str] | None = None,
        run: bool = True,
    ):
        self._read = read
        self._compiled = compiled
        self._params = params
        self._rows: list[M] | None = None
        self._tenant = active_tenant_id()
        connection = connections[compiled.queryset.db]
        total, total_params = "NULL", ()
        if read._paged:
            total = _TOTAL_SQL.format(sql=compiled.sql.removesuffix(_PAGE_SQL))
            total_params = params[:-2]
        counted, counted_params = "NULL", ()
        if count_if is not None:
            column, value = count_if
            counted = _COUNT_IF_SQL.format(column=connection.ops.quote_name(column))
            counted_params = (value,)
        self._statement = (
            _COUNT_AND_DIGEST_SQL.format(sql=compiled.sql, total=total, counted=counted),
            (*total_params, *counted_params, *params),
        )
        # total: every page's rows, for a paged read; counted: count_if's (else None).
        self.total: int | None = None
        self.counted: int | None = None
        self._count = 0
        self.digest = ""
        if run:
            run_digests(self)

    @property
    def statement(self) -> tuple[str, tuple[Any, ...]]:
        return self._statement

    @property
    def db(self) -> str:
        return self._compiled.queryset.db

    def take(self, fetched: list[tuple[Any, ...]]) -> DigestedRows[M]:
        self.total, self._count, self.counted, self.digest = fetched[0]
        return self

    @property
    def rows(self) -> list[M]:
        if self._rows is None:
            digest: list[str] = []
            if self._tenant is not None and active_tenant_id() != self._tenant:
                # Iterated after its tenant_context ended (a template rendered later, a
                # caller keeping the result): read in the tenant it was asked in, as
                # row-level security needs, not as nothing.
                with tenant_context(self._tenant, using=self._compiled.queryset.db):
                    self._rows = self._read._run(self._compiled, self._params, digest)
            else:
                self._rows = self._read._run(self._compiled, self._params, digest)
            self.digest = digest[0]
        return self._rows

    def __iter__(self) -> Iterator[M]:
        return iter(self.rows)

    def __getitem__(self, index: int | slice) -> Any:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else self._count

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"<DigestedRows {self._read._build.__qualname__} {self.digest}>"


def prepared(
    *, paged: bool = False, **kinds: type
) -> Callable[[Callable[..., QuerySet[Any]]], PreparedRead[Any]]:
    """Compile the decorated queryset builder once per process; call it with keyword
    arguments of the kinds given (int, str, date, aware datetime) for a list of rows.
    `paged=True`: each call also takes `limit` and `offset`, bound like the others."""

    def decorate(build: Callable[..., QuerySet[Any]]) -> PreparedRead[Any]:
        return PreparedRead(build, kinds, paged=paged)

    return decorate


class PreparedPages:
    """What Django's Paginator reads (a count, then one slice) from prepared reads:
    `Paginator(PreparedPages(total, page_rows), PAGE_SIZE).get_page(n)` pages as over a
    queryset, with `total()` the rows' count and `page_rows(limit, offset)` a paged read."""

    ordered = True  # the paged read orders its rows (Paginator warns otherwise)

    def __init__(self, total: Callable[[], int], rows: Callable[[int, int], Sequence[Any]]) -> None:
        self._total = total
        self._rows = rows

    def count(self) -> int:
        return self._total()

    def __getitem__(self, page: slice) -> Sequence[Any]:
        offset = page.start or 0
        # An empty list's one page is the slice [0:0]: nothing to read.
        return self._rows(page.stop - offset, offset) if page.stop > offset else []


def run_digests(*digested: DigestedRows[Any]) -> None:
    """The digest statements of several digested reads (made with `run=False`) as one
    statement, one round trip: a page keys one fragment by two lists, say."""
    sql = " CROSS JOIN ".join(f"({rows._statement[0]}) AS d{i}" for i, rows in enumerate(digested))
    params = [param for rows in digested for param in rows._statement[1]]
    with connections[digested[0]._compiled.queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT * FROM {sql}", params)
        values = cursor.fetchone()
    for i, rows in enumerate(digested):
        rows.total, rows._count, rows.counted, rows.digest = values[4 * i : 4 * i + 4]


def read_together(*reads: BoundRead[Any] | DigestedRows[Any]) -> list[Any]:
    """Several reads (`read.bound(...)`, `read.digested(..., run=False)`) in one round
    trip: psycopg's pipeline mode sends every statement before waiting for any answer,
    where running them in turn waits for each. Returns what each gives alone, in order:
    a list of rows for a bound read, the DigestedRows with its digest for a digested one.

    Each statement is its own, as if run in turn in the same transaction and tenant: a
    failing one raises Django's error, as it would alone, and the transaction is then
    aborted like after any failed statement."""
    connection = connections[reads[0].db]
    connection.ensure_connection()
    cursors = [connection.cursor() for _ in reads]
    try:
        with connection.wrap_database_errors:
            with connection.connection.pipeline():
                for cursor, read in zip(cursors, reads, strict=True):
                    cursor.execute(*read.statement)
            # Leaving the pipeline sent one Sync and took every result: the fetches
            # below read what has arrived.
            fetched = [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
    return [read.take(rows) for read, rows in zip(reads, fetched, strict=True)]


def digested_page(
    read: PreparedRead[M], number: int | str | None, per_page: int, **values: Any
) -> Page:
    """Django's Page `number` of a paged read, its rows digested (DigestedRows): the
    page's rows, their digest and the total of all pages in one statement, where a count
    and the rows took two. A number out of range gets the last page, as get_page does
    (one statement more)."""
    try:
        # Capped: a page number past any list (?page=10**20) reads nothing, and its
        # OFFSET must still fit PostgreSQL's bigint; get_page then gives the last page.
        wanted = min(max(int(number or 1), 1), _PAGE_NUMBER_CAP)
    except (TypeError, ValueError):
        wanted = 1
    first = read.digested(**values, limit=per_page, offset=(wanted - 1) * per_page)

    def rows(limit: int, offset: int) -> Sequence[M]:
        # The last page's slice stops at the total: the same rows as LIMIT per_page.
        if offset == (wanted - 1) * per_page and limit <= per_page:
            return first
        return read.digested(**values, limit=limit, offset=offset)

    return Paginator(PreparedPages(lambda: first.total, rows), per_page).get_page(number)


def stand_in(user_id: int, tenant_id: int) -> User:
    """The user a prepared read's builder filters by: only what filters use of one (its
    id, its tenant), so the querysets' own methods (`owned_by(user)`) serve unchanged."""
    return User(pk=user_id, tenant_id=tenant_id)


def counts_of(rows: list[dict[str, Any]], *names: str) -> dict[str, int]:
    """The counts `names` of a prepared count grouped by one constant key (a grouped
    `.values(key).annotate(...)` is one row, or none when nothing matched: zeros)."""
    row = rows[0] if rows else {}
    return {name: row.get(name, 0) for name in names}
