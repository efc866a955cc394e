"""List queries at 10k, 100k and 1M rows: index used, time, and RLS on vs off.

    make bench-scale
    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--runs 9] [--jobs 2]
                                    [--admin-url postgresql://...]   # with DATABASE_URL

For each size (work artifacts, and as many CRM artifacts) it grows the load
data with `generate_load_data`'s generator to size/1000 tenants (20 users x 50
work artifacts, 20 x 5 customers x 10 proposals each), VACUUM ANALYZEs, then
runs every list query the pages run (captured from the real selectors and
services, as signed-in user1 of a tenant in the middle) under
`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`:

- RLS on: as the app role inside the tenant's `tenant_context`;
- RLS off: the same SQL and parameters as a role that bypasses RLS (the
  embedded cluster's bootstrap superuser, or `--admin-url`).

Runs alternate on/off so both see the same machine load; times are medians of
`--runs` warm runs (one discarded first). Writes bench/results/scale.md and
prints it. Exits 1 when, at the largest size, a query reads a big table
without an index, takes 10 ms or more, or RLS on and off differ by 10 % or
more. A difference under 0.1 ms passes whatever its percentage: these queries
take 0.02-0.2 ms, where a percentage measures timer noise and the policy's
fixed per-statement cost (reading the tenant setting), not a cost that grows
with the data.
The round trip the app waits for (send, plan, execute, fetch, timed at the
client with the same kind of cursor on both sides) is reported beside it, so
the policy's planning cost shows too; it is not gated (timer and load noise).

Uses the database named by EMBEDDED_DATABASE_NAME (default here: "bench"), so
the demo data is untouched. Existing load tenants of the same shape are kept.

`--citus` runs the same statements on the local Citus cluster of
tools/citus.py (a coordinator and two workers; database "bench"), and reports
for each the shards it touched (EXPLAIN's task count) and the indexes the
workers used. There the data is generated as the cluster's superuser: Citus
runs the generator's INSERT … SELECT as COPY, which it refuses under
row-level security. The measured statements run as the app role, RLS on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMBEDDED_DATABASE_NAME", "bench")
CITUS = "--citus" in sys.argv
CITUS_DATABASE = "bench"
if CITUS:
    # Before Django reads its settings: the coordinator's "bench" database.
    from tools import citus as citus_cluster

    citus_cluster.prepare_database(citus_cluster.start(), CITUS_DATABASE)
    os.environ.update(citus_cluster.environment(CITUS_DATABASE))

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from config.database import embedded_admin_uri  # noqa: E402
from crm_artifacts import selectors as crm  # noqa: E402
from crm_artifacts import services as crm_services  # noqa: E402
from crm_artifacts.models import Customer, Proposal  # noqa: E402
from loadtest.generate import (  # noqa: E402
    Shape,
    existing_tenants,
    generate,
    reset,
    tenant_slug,
    user_email,
)
from messaging import selectors as messaging  # noqa: E402
from portfolio import selectors as portfolio  # noqa: E402
from portfolio.models import WorkArtifact  # noqa: E402
from skills import selectors as skills  # noqa: E402
from tenancy.context import set_local_sql, tenant_context  # noqa: E402
from tenancy.models import User  # noqa: E402
from tenancy.rls import tenant_models  # noqa: E402
from workshops import selectors as workshops  # noqa: E402
from workshops.models import Workshop, WorkshopStep  # noqa: E402

SHAPE = Shape(
    users_per_tenant=20,
    artifacts_per_user=50,
    customers_per_user=5,
    proposals_per_customer=10,
    messages_per_user=6,
)
ROWS_PER_TENANT = SHAPE.users_per_tenant * SHAPE.artifacts_per_user  # = CRM artifacts per tenant
GENERATE = (
    "generate_load_data --users-per-tenant 20 --artifacts-per-user 50 --customers-per-user 5 "
    "--proposals-per-customer 10 --messages-per-user 6"
)
MAX_MS = 10.0
MAX_RLS_DIFF = 0.10
NOISE_FLOOR_MS = 0.1
# Global reference data, a handful of rows: a sequential scan is the right plan.
SMALL_TABLES = {"workshops_stepdefinition"}
RESULTS = ROOT / "bench" / "results" / "scale.md"
# The single-node medians (RLS on) of the last run, for --citus to show beside its own.
SINGLE_NODE = ROOT / "bench" / "results" / "scale-single-node.json"


def load_single_node() -> dict[str, dict[str, float]]:
    return json.loads(SINGLE_NODE.read_text()) if SINGLE_NODE.exists() else {}


@dataclass
class Context:
    user: User
    customer: Customer
    workshop: Workshop
    step: WorkshopStep


# (query name, page, what runs it): each captured statement is measured.
QUERIES: list[tuple[str, str, Callable[[Context], Any]]] = [
    ("portfolio list", "/portfolio/", lambda c: portfolio.artifact_list(user=c.user)),
    (
        "portfolio search",
        "/portfolio/?q=",
        lambda c: portfolio.artifact_list(user=c.user, q="summary report"),
    ),
    ("skill tree", "/skills/", lambda c: skills.skill_tree(tenant_id=c.user.tenant_id)),
    ("inbox", "/messages/", lambda c: messaging.messages_for_user(user=c.user)),
    ("sent box", "/messages/?box=sent", lambda c: messaging.sent_messages_for_user(user=c.user)),
    ("unread badge", "/messages/unread-count/", lambda c: messaging.unread_count(user=c.user)),
    ("workshop list", "/workshops/", lambda c: list(workshops.workshop_list(user=c.user))),
    ("workshop steps", "/workshops/<id>/", lambda c: workshops.workshop_steps(workshop=c.workshop)),
    ("step page", "/workshops/<id>/steps/<step>/", lambda c: workshops.step_page(step=c.step)),
    ("customer list", "/crm/customers/", lambda c: list(crm.customers_of(c.user))),
    ("customer overview", "/crm/customers/<id>/", lambda c: crm.customer_overview(c.customer)),
    ("pending proposals", "/crm/proposals/", lambda c: crm.pending_proposals(c.user)),
    (
        "API customer artifacts",
        "GET /api/customers/<id>/artifacts",
        lambda c: crm_services.artifact_list_by_customer(user=c.user, customer=c.customer),
    ),
    ("dashboard: portfolio", "/", lambda c: portfolio.dashboard_card(c.user)),
    ("dashboard: skills", "/", lambda c: skills.dashboard_card(c.user)),
    ("dashboard: messages", "/", lambda c: messaging.dashboard_card(c.user)),
    ("dashboard: workshops", "/", lambda c: workshops.dashboard_card(c.user)),
    ("dashboard: CRM", "/", lambda c: crm.dashboard_card(c.user)),
    # The insights page's aggregates (issue 18 §4): an RM's customers, and the tenant
    # as its admin sees it (user1 is no admin: the scope is given).
    ("insights: RM", "/crm/insights/", lambda c: crm.insights(c.user)),
    (
        "insights: tenant",
        "/crm/insights/ (admin)",
        lambda c: crm.insights_in_scope(c.user, crm.InsightsScope.TENANT, weeks=12),
    ),
]


@dataclass
class Measure:
    name: str
    page: str
    sql: str
    rows: int = 0
    indexes: list[str] = field(default_factory=list)
    seq_scans: list[str] = field(default_factory=list)
    indexes_off: list[str] = field(default_factory=list)
    on_ms: list[float] = field(default_factory=list)
    off_ms: list[float] = field(default_factory=list)
    plan_ms: list[float] = field(default_factory=list)
    # Round trip as the app waits for it: send, plan, execute, fetch the rows.
    on_trip_ms: list[float] = field(default_factory=list)
    off_trip_ms: list[float] = field(default_factory=list)
    buffers: int = 0
    shards: int = 0  # on Citus: the tasks (shards) the statement touched

    @property
    def on(self) -> float:
        return statistics.median(self.on_ms)

    @property
    def off(self) -> float:
        return statistics.median(self.off_ms)

    @property
    def diff(self) -> float:
        return (self.on - self.off) / self.off if self.off else 0.0

    @property
    def trip_on(self) -> float:
        return statistics.median(self.on_trip_ms)

    @property
    def trip_off(self) -> float:
        return statistics.median(self.off_trip_ms)

    @property
    def trip_diff(self) -> float:
        return (self.trip_on - self.trip_off) / self.trip_off if self.trip_off else 0.0

    def problems(self) -> list[str]:
        found = []
        if not self.indexes or self.seq_scans:
            found.append("no index" + (f" (seq scan on {', '.join(self.seq_scans)})"))
        if self.on >= MAX_MS:
            found.append(f"{self.on:.1f} ms")
        # Not gated on Citus: there RLS on also means the tenant's SET LOCAL
        # travels to the worker, a cost of the transaction, not of the policy.
        if (
            not CITUS
            and abs(self.diff) >= MAX_RLS_DIFF
            and abs(self.on - self.off) >= NOISE_FLOOR_MS
        ):
            found.append(f"RLS {self.diff:+.0%}")
        return found


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    """A plan's nodes; on Citus also those of the plans the workers ran."""
    nodes = [node]
    for child in node.get("Plans", []):
        nodes.extend(walk(child))
    job = node.get("Distributed Query", {}).get("Job", {})
    for task in job.get("Tasks", []):
        for remote in task.get("Remote Plan", []):
            for document in remote:
                nodes.extend(walk(document["Plan"]))
    return nodes


def task_count(plan: dict[str, Any]) -> int:
    """The shards a Citus plan sent work to (0 on a single node)."""
    return sum(
        n["Distributed Query"]["Job"].get("Task Count", 0)
        for n in walk(plan["Plan"])
        if "Distributed Query" in n
    )


def _table(name: str) -> str:
    # A shard's index or table carries the shard id: name it as the schema does.
    return re.sub(r"_\d+$", "", name) if CITUS else name


def read_plan(plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(indexes used, big tables read by sequential scan) in a plan."""
    nodes = walk(plan["Plan"])
    indexes = sorted({_table(n["Index Name"]) for n in nodes if "Index Name" in n})
    seq = sorted(
        {
            _table(n["Relation Name"])
            for n in nodes
            if n["Node Type"] == "Seq Scan" and _table(n["Relation Name"]) not in SMALL_TABLES
        }
    )
    return indexes, seq


def explain(cursor: Any, sql: str, params: Any) -> dict[str, Any]:
    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
    document = cursor.fetchone()[0]
    return document[0]


def capture(run: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The SELECTs `run` sends, with their parameters, as the app sends them."""
    statements: list[tuple[str, Any]] = []

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run()
    return statements


def round_trip(
    cursor: Any, sql: str, params: Any, *, tenant_id: int | None = None, repeat: int = 25
) -> float:
    """Milliseconds to run the statement and fetch its rows, timed at the client:
    the median of `repeat` runs, since one run of a few tens of microseconds is
    mostly the jitter of the Python process around it.

    With `tenant_id`, the runs share one transaction that set the tenant with
    SET LOCAL first, as a request does (and as Citus passes on to its workers).
    """
    times = []
    with cursor.connection.transaction():
        if tenant_id is not None:
            cursor.execute(set_local_sql(str(tenant_id)))
        for _ in range(repeat):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def context_for(tenants: int) -> Context:
    """user1 of the tenant in the middle, with one of their customers, workshops and steps."""
    slug = tenant_slug(tenants // 2 + 1)
    user = User.objects.get(email=user_email(1, slug))
    with tenant_context(user.tenant_id):
        customer = Customer.objects.of_rm(user).order_by("id").first()
        workshop = Workshop.objects.owned_by(user).order_by("id").first()
        step = (
            WorkshopStep.objects.select_related("workshop", "step_definition")
            .filter(workshop=workshop, status=WorkshopStep.Status.DONE)
            .order_by("step_definition__order")
            .first()
        )
    return Context(user=user, customer=customer, workshop=workshop, step=step)


def app_connection() -> psycopg.Connection:
    """A plain psycopg connection as the app role (round_trip sets the tenant).

    For the round trips: Django's own connection registers Python loaders (for
    timestamps, say) that the admin connection lacks, which would time the
    client, not RLS. Here both sides are the same kind of connection.
    """
    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )
    return conn


def measure(context: Context, admin: psycopg.Connection, runs: int) -> list[Measure]:
    results: list[Measure] = []
    tenant_id = context.user.tenant_id
    app_cursor = psycopg.ClientCursor(app_connection())
    # Client-side binding, as Django's psycopg backend does: the same SQL text reaches
    # the server on both connections.
    admin_cursor = psycopg.ClientCursor(admin)
    for name, page, run in QUERIES:
        with tenant_context(tenant_id):
            statements = capture(lambda run=run: run(context))
        for index, (sql, params) in enumerate(statements, start=1):
            label = name if len(statements) == 1 else f"{name} ({index}/{len(statements)})"
            result = Measure(name=label, page=page, sql=sql)
            for attempt in range(runs + 1):
                with tenant_context(tenant_id), connection.cursor() as cursor:
                    on = explain(cursor, sql, params)
                off = explain(admin_cursor, sql, params)
                on_trip = round_trip(app_cursor, sql, params, tenant_id=tenant_id)
                off_trip = round_trip(admin_cursor, sql, params)
                if attempt == 0:  # warm-up: caches, catalog lookups
                    result.indexes, result.seq_scans = read_plan(on)
                    result.indexes_off, _ = read_plan(off)
                    result.rows = on["Plan"]["Actual Rows"]
                    result.shards = task_count(on)
                    top = on["Plan"]
                    result.buffers = top.get("Shared Hit Blocks", 0) + top.get(
                        "Shared Read Blocks", 0
                    )
                    continue
                result.on_ms.append(on["Execution Time"])
                result.off_ms.append(off["Execution Time"])
                result.plan_ms.append(on["Planning Time"])
                result.on_trip_ms.append(on_trip)
                result.off_trip_ms.append(off_trip)
            results.append(result)
    return results


def admin_connection(url: str | None) -> psycopg.Connection:
    if url is None:
        if os.environ.get("DATABASE_URL"):
            sys.exit("With DATABASE_URL, pass --admin-url: a role that bypasses RLS.")
        url = embedded_admin_uri(ROOT / ".data", settings.DATABASES["default"]["NAME"])
    conn = psycopg.connect(url, autocommit=True)
    bypass = conn.execute(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()[0]
    if not bypass:
        sys.exit("--admin-url must be a role that bypasses row-level security.")
    return conn


def shape_matches(existing: dict[str, int]) -> bool:
    """Do the load tenants already there have SHAPE (checked on the first one)?"""
    first = existing.get(tenant_slug(1))
    if first is None:
        return not existing
    with tenant_context(first):
        users = User.objects.filter(tenant_id=first).count()
        artifacts = WorkArtifact.objects.filter(tenant_id=first).count()
        proposals = Proposal.objects.filter(tenant_id=first).count()
    return (users, artifacts, proposals) == (
        SHAPE.users_per_tenant,
        ROWS_PER_TENANT,
        ROWS_PER_TENANT,
    )


@contextmanager
def generating() -> Iterator[None]:
    """On Citus, connect "default" as the cluster's superuser while data is made:
    Citus runs the generator's INSERT … SELECT as COPY, which it refuses under
    row-level security, and VACUUM needs the tables' owner. Elsewhere, nothing."""
    if not CITUS:
        yield
        return
    default = connection.settings_dict
    saved = default["USER"]
    connection.close()
    default["USER"] = "postgres"
    try:
        yield
    finally:
        connection.close()
        default["USER"] = saved


def grow_to(tenants: int, jobs: int) -> float:
    """Make exactly `tenants` load tenants of SHAPE; return the seconds it took."""
    started = time.monotonic()
    existing = existing_tenants()
    if len(existing) > tenants or not shape_matches(existing):
        print(f"  resetting {len(existing)} load tenants", file=sys.stderr)
        reset(jobs=jobs)
    outcome = generate(tenants=tenants, shape=SHAPE, jobs=jobs, progress=progress)
    if outcome.created:
        vacuum()
    return time.monotonic() - started


def vacuum() -> None:
    # What autovacuum would do on a live system: statistics and the visibility map.
    with connection.cursor() as cursor:
        for model in tenant_models():
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        cursor.execute("VACUUM (ANALYZE) tenancy_user")


def progress(done: int, total: int) -> None:
    if done == total or done % max(total // 10, 1) == 0:
        print(f"  generated {done}/{total} tenants", file=sys.stderr)


def index_label(m: Measure) -> str:
    text = ", ".join(m.indexes) if m.indexes else "none"
    if m.seq_scans:
        text += f"; seq scan: {', '.join(m.seq_scans)}"
    if m.indexes_off != m.indexes:
        text += f" (RLS off: {', '.join(m.indexes_off) or 'none'})"
    return text


def report(
    sizes: list[int],
    results: dict[int, list[Measure]],
    notes: list[str],
    single_node: dict[str, dict[str, float]],
) -> str:
    top = max(sizes)
    failed = [m.name for m in results[top] if m.problems()]
    worst = max(results[top], key=lambda m: m.on)
    widest = max(results[top], key=lambda m: abs(m.on - m.off))
    citus_pass = (
        f"Pass: an index on every big table and under {MAX_MS:g} ms, checked at the largest "
        f"size, {top:,} rows. RLS on vs off is reported, not gated: on Citus RLS on also "
        "carries the tenant's SET LOCAL to the worker, a cost of the transaction. The shards "
        "column is EXPLAIN's task count: the shards the statement was sent to."
    )
    lines = [
        "# Scale: list queries from 10k to 1M rows" + (" on Citus" if CITUS else ""),
        "",
        *notes,
        "",
        citus_pass
        if CITUS
        else f"Pass: an index on every big table, under {MAX_MS:g} ms, RLS on vs off within "
        f"{MAX_RLS_DIFF:.0%}, where a gap under {NOISE_FLOOR_MS} ms passes whatever its "
        "percentage (at these sub-millisecond times the percentage measures timer noise and "
        "the policy's fixed cost per statement, reading the tenant setting, not "
        f"a cost that grows with the rows). Checked at the largest size, {top:,} rows. "
        "The round-trip columns (send, plan, execute, fetch, timed at the client on two plain "
        "psycopg connections, median of 25 runs in each of the timed rounds: what a page "
        "waits for) are reported, not gated.",
        "",
        f"**At {top:,} rows: "
        + (f"FAILED: {', '.join(failed)}" if failed else f"all {len(results[top])} statements pass")
        + f".** Slowest: {worst.name}, {worst.on:.3f} ms. Widest RLS on/off gap: "
        f"{widest.name}, {widest.on - widest.off:+.3f} ms ({widest.diff:+.0%}).",
    ]
    for size in sizes:
        lines += [
            "",
            f"## {size:,} work artifacts and {size:,} CRM artifacts "
            f"({size // ROWS_PER_TENANT:,} tenants)",
            "",
            "| query | page | index used (RLS on) | rows | RLS on ms | RLS off ms | diff ms "
            "| diff | plan ms | round trip on ms | off ms | diff | buffers | shards "
            "| single node ms | verdict |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
            "| ---: | ---: | ---: | --- |",
        ]
        alone = single_node.get(str(size), {})
        for m in results[size]:
            verdict = "; ".join(m.problems()) or "ok"
            beside = f"{alone[m.name]:.3f}" if CITUS and m.name in alone else "-"
            lines.append(
                f"| {m.name} | `{m.page}` | {index_label(m)} | {m.rows} | {m.on:.3f} | "
                f"{m.off:.3f} | {m.on - m.off:+.3f} | {m.diff:+.0%} | "
                f"{statistics.median(m.plan_ms):.3f} | "
                f"{m.trip_on:.3f} | {m.trip_off:.3f} | {m.trip_diff:+.0%} | "
                f"{m.buffers} | {m.shards if CITUS else '-'} | {beside} | {verdict} |"
            )
    lines += [
        "",
        "## Growth: median execution time (ms, RLS on)",
        "",
        "| query | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " |",
    ]
    for i, m in enumerate(results[sizes[0]]):
        row = [f"{results[s][i].on:.3f}" for s in sizes]
        lines.append(f"| {m.name} | " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="rows, comma-separated")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per query and mode")
    parser.add_argument("--jobs", type=int, default=2, help="tenants generated in parallel")
    parser.add_argument("--admin-url", help="a role that bypasses RLS (needed with DATABASE_URL)")
    parser.add_argument(
        "--citus", action="store_true", help="on the local Citus cluster (tools/citus.py)"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if any(s % ROWS_PER_TENANT for s in sizes):
        sys.exit(f"Sizes must be multiples of {ROWS_PER_TENANT} (rows per tenant).")

    call_command("migrate", verbosity=0)
    if CITUS and not args.admin_url:
        args.admin_url = citus_cluster.nodes()[0].database_url(
            user="postgres", database=CITUS_DATABASE
        )
    admin = admin_connection(args.admin_url)
    version = admin.execute("SHOW server_version").fetchone()[0]
    load = os.getloadavg()
    citus = admin.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'").fetchone()
    where = f"Citus {citus[0]} (a coordinator and two workers, tools/citus.py) on " if citus else ""
    notes = [
        f"Database `{settings.DATABASES['default']['NAME']}`, {where}PostgreSQL {version}, "
        f"{os.cpu_count()} cores ({platform.machine()}), load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start.",
        f"Data: `manage.py {GENERATE} --tenants N` (N = rows / {ROWS_PER_TENANT}), "
        "then VACUUM ANALYZE.",
        f"Each statement the page's selector runs, as user1 of the middle tenant; "
        f"median of {args.runs} warm runs, RLS on and off alternating.",
    ]
    if CITUS:
        notes.append(
            "Single node ms: the same statement's RLS-on median in the last single-node "
            f"run at that size (`make bench-scale`, {SINGLE_NODE.relative_to(ROOT)})."
        )
    results: dict[int, list[Measure]] = {}
    for size in sizes:
        tenants = size // ROWS_PER_TENANT
        print(f"{size:,} rows ({tenants} tenants)", file=sys.stderr)
        with generating():
            seconds = grow_to(tenants, args.jobs)
        print(f"  data ready in {seconds:.0f} s; measuring", file=sys.stderr)
        results[size] = measure(context_for(tenants), admin, args.runs)

    if CITUS:
        single_node = load_single_node()
    else:
        single_node = {}
        SINGLE_NODE.parent.mkdir(parents=True, exist_ok=True)
        SINGLE_NODE.write_text(
            json.dumps(
                {str(size): {m.name: m.on for m in found} for size, found in results.items()}
            )
        )
    text = report(sizes, results, notes, single_node)
    results_file = RESULTS.with_name("scale-citus.md") if CITUS else RESULTS
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(text)
    print(text)
    failed = [m.name for m in results[max(sizes)] if m.problems()]
    if failed:
        print(f"FAILED at {max(sizes):,} rows: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"Written to {results_file.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
