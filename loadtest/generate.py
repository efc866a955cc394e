"""Load data: many tenants, each with content on every key page, written set-based.

Per tenant, each table gets one `INSERT ... SELECT ... FROM generate_series(...)`
(or a SELECT over the rows just written), run inside the tenant's
`tenant_context` as the app's own role: row-level security's WITH CHECK
applies to every generated row, and no superuser is needed (COPY FROM is
refused on RLS tables for roles that do not bypass it). Each tenant is one
transaction, so an interrupted run leaves whole tenants behind, and a rerun
skips the tenants that exist: growing from 10 to 100 tenants writes only the
90 new ones.

Naming contract (bench scripts sign in with it): tenant `load-00001`, users
`user1@load-00001.test`, `user2@...`, all with password `load-password`.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from crm_artifacts.fields import PROFILE_FIELDS
from crm_artifacts.workflows import validate_workflow
from loadtest import samples, sql
from portfolio.models import MAX_ARTIFACTS_PER_USER
from tenancy.context import tenant_context
from tenancy.keys import tenant_foreign_keys
from tenancy.models import Tenant
from tenancy.rls import tenant_models
from workshops.models import StepDefinition

SLUG_PREFIX = "load-"
PASSWORD = "load-password"
SKILLS_PER_USER = 3
BATCH_SIZE = 4  # proposals per batch by default, each for another profile field
PENDING_BATCHES = 2  # each customer's newest batches wait for a decision (always leaving one
# decided batch when there are two or more); the older ones are decided
DONE_STEPS = 2  # each workshop's first steps are done (artifact + summary), the next in progress
CHAT_TURNS = 4  # per started step, user and assistant in turn
CREATOR = "Offline assistant"
WORKFLOW = "follow_up"

Progress = Callable[[int, int], None]


def tenant_slug(number: int) -> str:
    return f"{SLUG_PREFIX}{number:05d}"


def user_email(number: int, slug: str) -> str:
    return f"user{number}@{slug}.test"


@dataclass(frozen=True)
class Shape:
    """How much each generated tenant holds."""

    users_per_tenant: int = 5
    artifacts_per_user: int = 10
    customers_per_user: int = 3
    proposals_per_customer: int = 10
    messages_per_user: int = 6
    workshops_per_tenant: int | None = None  # None: one per user
    proposals_per_batch: int = BATCH_SIZE

    @property
    def workshops(self) -> int:
        if self.workshops_per_tenant is None:
            return self.users_per_tenant
        return self.workshops_per_tenant

    @property
    def skills(self) -> int:
        return self.users_per_tenant * SKILLS_PER_USER

    @property
    def batches_per_customer(self) -> int:
        return math.ceil(self.proposals_per_customer / self.proposals_per_batch)

    @property
    def pending_batches(self) -> int:
        return max(1, min(PENDING_BATCHES, self.batches_per_customer - 1))

    def problems(self) -> list[str]:
        """Why this shape cannot be generated as valid data (empty when it can)."""
        found = []
        if self.users_per_tenant < 1:
            found.append("--users-per-tenant must be at least 1.")
        for name in ("artifacts_per_user", "customers_per_user", "proposals_per_customer"):
            if getattr(self, name) < 0:
                found.append(f"--{name.replace('_', '-')} must not be negative.")
        if self.messages_per_user < 0 or self.workshops < 0:
            found.append("--messages-per-user and --workshops-per-tenant must not be negative.")
        if not 1 <= self.proposals_per_batch <= len(PROFILE_FIELDS):
            found.append(
                f"--proposals-per-batch is between 1 and {len(PROFILE_FIELDS)} "
                "(a batch names each profile field at most once)."
            )
        if self.artifacts_per_user > MAX_ARTIFACTS_PER_USER:
            found.append(
                f"--artifacts-per-user is at most {MAX_ARTIFACTS_PER_USER}, the app's limit."
            )
        # Each message proposes (one of the recipient's skills, another skill) and
        # pending pairs are unique: recipients have SKILLS_PER_USER * (skills - 1) pairs.
        pairs = SKILLS_PER_USER * (self.skills - 1)
        if self.messages_per_user > pairs:
            found.append(
                f"--messages-per-user is at most {pairs} with {self.users_per_tenant} users "
                "(one open proposal per pair of skills)."
            )
        return found

    def rows_per_tenant(self) -> dict[str, int]:
        started = self.workshops * (DONE_STEPS + 1)
        return {
            "users": self.users_per_tenant,
            "skills": self.skills,
            "work artifacts": self.users_per_tenant * self.artifacts_per_user,
            "messages": self.users_per_tenant * self.messages_per_user,
            "workshops": self.workshops,
            "chat messages": started * CHAT_TURNS,
            "customers": self.users_per_tenant * self.customers_per_user,
            "CRM artifacts": (
                self.users_per_tenant * self.customers_per_user * self.proposals_per_customer
            ),
        }


@dataclass
class Outcome:
    created: int = 0
    skipped: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Fixed:
    """Parameters that are the same for every tenant, computed once."""

    password: str
    done_steps: list[str]
    current_step: str
    artifacts: str
    profile: str
    samples: str


def _fixed() -> _Fixed:
    definitions = list(StepDefinition.objects.order_by("order").values_list("id", "schema"))
    if len(definitions) <= DONE_STEPS:
        raise RuntimeError("The workshop step definitions are missing: run migrate first.")
    done = definitions[:DONE_STEPS]
    samples.check_samples(dict(done))
    validate_workflow(WORKFLOW)
    return _Fixed(
        # Hashed once: a password hash costs ~0.5 s by design; every user shares it.
        password=make_password(PASSWORD),
        done_steps=[step_id for step_id, _ in done],
        current_step=definitions[DONE_STEPS][0],
        artifacts=json.dumps({step_id: samples.STEP_ARTIFACTS[step_id] for step_id, _ in done}),
        profile=json.dumps({k: samples.PROFILE_SAMPLES[k][0] for k in samples.PROFILE_KEYS}),
        samples=json.dumps(samples.PROFILE_SAMPLES),
    )


def _ordered_ids(rows: list[tuple[int, str]], number_of: Callable[[str], int]) -> list[int]:
    """Ids in the order of the number their label carries (RETURNING promises no order)."""
    return [pk for _, pk in sorted((number_of(label), pk) for pk, label in rows)]


@contextmanager
def _client_binding_cursor() -> Iterator[psycopg.ClientCursor]:
    """A cursor on Django's connection (its transaction) that binds parameters on the
    client: the statements of sql.py use parameters where PostgreSQL could not infer
    their type, as the app's server-side binding would ask it to (config/settings.py);
    each runs once per tenant, so preparing them would gain nothing."""
    connection.ensure_connection()
    with psycopg.ClientCursor(connection.connection) as cursor:
        yield cursor


def _generate_tenant(number: int, shape: Shape, fixed: _Fixed) -> None:
    slug = tenant_slug(number)
    art = samples.WORK_ARTIFACTS
    with transaction.atomic(), _client_binding_cursor() as cursor:
        # Durability of each tenant's commit is not worth waiting for here.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute(sql.TENANT_SQL, {"name": f"Load {number:05d}", "slug": slug})
        tenant_id = cursor.fetchone()[0]
        with tenant_context(tenant_id):
            base = {"tenant": tenant_id, "slug": slug}
            cursor.execute(
                sql.USERS_SQL,
                {**base, "password": fixed.password, "count": shape.users_per_tenant},
            )
            users = _ordered_ids(cursor.fetchall(), lambda email: int(email[4 : email.index("@")]))
            cursor.execute(
                sql.SKILLS_SQL,
                {
                    **base,
                    "users": users,
                    "names": samples.SKILL_NAMES,
                    "per_user": SKILLS_PER_USER,
                    "count": shape.skills,
                },
            )
            skills = _ordered_ids(cursor.fetchall(), lambda name: int(name.rsplit(" ", 1)[1]))
            statements = [
                (
                    sql.WORK_ARTIFACTS_SQL,
                    {
                        "users": users,
                        "skills": skills,
                        "per_user": shape.artifacts_per_user,
                        "count": shape.users_per_tenant * shape.artifacts_per_user,
                        "titles": [a[0] for a in art],
                        "categories": [a[1] for a in art],
                        "file_names": [a[2] for a in art],
                        "file_types": [a[3] for a in art],
                        "texts": [a[4] for a in art],
                        "descriptions": [a[5] for a in art],
                    },
                ),
                (
                    sql.MESSAGES_SQL,
                    {
                        "users": users,
                        "skills": skills,
                        "texts": samples.MESSAGE_TEXTS,
                        "per_user": shape.messages_per_user,
                        "skills_per_user": SKILLS_PER_USER,
                    },
                ),
                (
                    sql.WORKSHOPS_SQL,
                    {"users": users, "titles": samples.WORKSHOP_TITLES, "count": shape.workshops},
                ),
                (sql.STEPS_SQL, {"done": fixed.done_steps, "current": fixed.current_step}),
                (
                    sql.CHAT_SQL,
                    {
                        "turns": CHAT_TURNS,
                        "user_lines": samples.USER_LINES,
                        "assistant_lines": samples.ASSISTANT_LINES,
                    },
                ),
                (sql.STEP_ARTIFACTS_SQL, {"artifacts": fixed.artifacts}),
                (
                    sql.STEP_SUMMARIES_SQL,
                    {"summary": samples.SUMMARY_TEXT, "tokens": len(samples.SUMMARY_TEXT) // 4},
                ),
                (
                    sql.CUSTOMERS_SQL,
                    {
                        "users": users,
                        "per_user": shape.customers_per_user,
                        "count": shape.users_per_tenant * shape.customers_per_user,
                        "profile": fixed.profile,
                        "first": samples.FIRST_NAMES,
                        "last": samples.LAST_NAMES,
                    },
                ),
                (
                    sql.CRM_ARTIFACTS_SQL,
                    {
                        "per_customer": shape.proposals_per_customer,
                        "batch_size": shape.proposals_per_batch,
                        "batches": shape.batches_per_customer,
                        "pending_batches": shape.pending_batches,
                        "keys": [f.key for f in PROFILE_FIELDS],
                        "labels": [f.label for f in PROFILE_FIELDS],
                        "samples": fixed.samples,
                        "confidences": samples.CONFIDENCES,
                        "creator": CREATOR,
                        "workflow": WORKFLOW,
                        "source_text": samples.SOURCE_TEXT,
                    },
                ),
                (sql.FOLLOW_UPS_SQL, {}),
            ]
            for statement, params in statements:
                cursor.execute(statement, {**base, **params})


def existing_tenants() -> dict[str, int]:
    """Generated tenants already in the database, slug -> id."""
    return dict(
        Tenant.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", "id").order_by("id")
    )


def _run(
    items: list[int], work: Callable[[int], None], *, jobs: int, progress: Progress | None
) -> None:
    """Call `work(item)` for each item on `jobs` threads, each with its own connection.

    PostgreSQL does nearly all the work, one backend per connection, so a
    second job keeps a second core busy. With one job everything runs on the
    caller's connection (and inside its transaction, as tests need).
    """
    lock = threading.Lock()
    pending = iter(items)
    done = 0
    errors: list[BaseException] = []

    def step(item: int) -> None:
        nonlocal done
        work(item)
        with lock:
            done += 1
            if progress:
                progress(done, len(items))

    if jobs <= 1:
        for item in items:
            step(item)
        return

    def worker() -> None:
        try:
            while not errors:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                step(item)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    # Daemon threads: Ctrl-C ends the process, and each unfinished tenant rolls back.
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def generate(
    *, tenants: int, shape: Shape, jobs: int = 1, progress: Progress | None = None
) -> Outcome:
    """Create tenants load-00001 .. load-{tenants}, skipping those that exist."""
    started = time.monotonic()
    fixed = _fixed()
    existing = existing_tenants()
    todo = [n for n in range(1, tenants + 1) if tenant_slug(n) not in existing]
    _run(todo, lambda n: _generate_tenant(n, shape, fixed), jobs=jobs, progress=progress)
    if todo:
        analyze()
    return Outcome(
        created=len(todo),
        skipped=tenants - len(todo),
        rows={k: v * len(todo) for k, v in shape.rows_per_tenant().items()},
        seconds=time.monotonic() - started,
    )


def _tables() -> list[str]:
    return sorted(m._meta.db_table for m in tenant_models())


def _referencing_first() -> list[str]:
    """The tenant tables, each before every tenant table it references."""
    ordered: list[str] = []

    def visit(model: type) -> None:
        table = model._meta.db_table
        if table in ordered:
            return
        for other in tenant_models():
            if other is not model and any(
                f.related_model is model for f in tenant_foreign_keys(other)
            ):
                visit(other)
        ordered.append(table)

    for model in tenant_models():
        visit(model)
    return ordered


def analyze() -> None:
    """Fresh planner statistics, so the next query plans see the new rows."""
    with connection.cursor() as cursor:
        for table in [*_tables(), "tenancy_user", "tenancy_tenant"]:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


USER_REFERENCES_SQL = """
SELECT c.conrelid::regclass::text, a.attname
FROM pg_constraint AS c
JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
WHERE c.contype = 'f' AND c.confrelid = 'tenancy_user'::regclass
ORDER BY 1, 2
"""


def reset(*, jobs: int = 1, progress: Progress | None = None) -> int:
    """Delete every generated tenant with all its rows; return how many tenants."""
    qn = connection.ops.quote_name
    tables = _tables()
    with connection.cursor() as cursor:
        cursor.execute(USER_REFERENCES_SQL)
        # Global tables pointing at users (admin log, group memberships...).
        user_refs = [(t, c) for t, c in cursor.fetchall() if t not in tables]
    tenant_ids = list(existing_tenants().values())

    def delete(tenant_id: int) -> None:
        # The keys between tenant tables are checked per statement
        # (tenancy/keys.py): rows that others reference go last.
        with tenant_context(tenant_id), connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            for table in _referencing_first():
                cursor.execute(f"DELETE FROM {qn(table)} WHERE tenant_id = %s", [tenant_id])
            for table, column in user_refs:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {qn(column)} IN "
                    "(SELECT id FROM tenancy_user WHERE tenant_id = %s)",
                    [tenant_id],
                )
            cursor.execute("DELETE FROM tenancy_user WHERE tenant_id = %s", [tenant_id])
            cursor.execute("DELETE FROM tenancy_tenant WHERE id = %s", [tenant_id])

    _run(tenant_ids, delete, jobs=jobs, progress=progress)
    return len(tenant_ids)
