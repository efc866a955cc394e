"""Time accepting proposal batches of 10 and 100 through the real request path.

    make bench-batch
    .venv/bin/python bench/batch_accept.py [--runs 100] [--sizes 10,100]

Creates a throwaway tenant `bench-batch` (with an RM and a customer) in the
database named by EMBEDDED_DATABASE_NAME (default here: "bench", so demo data
is untouched; run it after bench/scale.py to decide among a million other CRM
artifacts). For each run it writes a fresh pending batch (untimed, see
loadtest/batches.py), then times `POST /crm/batches/<id>/accept/` through
Django's test client: middleware, tenant context and row-level security, the
service's locks and UPDATEs, the commit. The proposals name no workflow, so
no follow-up task runs inline. Prints p50 / p95 and the query count per size
as Markdown (also written to bench/results/batch_accept.md), then deletes
everything it made.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("EMBEDDED_DATABASE_NAME", "bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from crm_artifacts.models import Customer, FollowUp, Proposal  # noqa: E402
from loadtest.batches import pending_batch  # noqa: E402
from tenancy.context import tenant_context  # noqa: E402
from tenancy.models import Tenant, User  # noqa: E402

SLUG = "bench-batch"
RESULTS = ROOT / "bench" / "results" / "batch_accept.md"


def setup() -> tuple[User, Customer]:
    tenant = Tenant.objects.create(name="Bench batches", slug=SLUG)
    user = User.objects.create_user(f"rm@{SLUG}.test", "bench-password", tenant=tenant)
    with tenant_context(tenant):
        customer = Customer.objects.create(
            tenant=tenant, rm=user, profile={"fullName": "Batch Customer", "dependents": 0}
        )
    return user, customer


def teardown() -> None:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return
    with tenant_context(tenant):
        for model in (FollowUp, Proposal, Customer):
            model.objects.filter(tenant=tenant).delete()
    User.objects.filter(tenant=tenant).delete()
    tenant.delete()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * fraction) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="timed batches per size")
    parser.add_argument("--sizes", default="10,100", help="proposals per batch")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)

    teardown()  # a previous run that was interrupted
    user, customer = setup()
    rows = []
    try:
        client = Client()
        client.force_login(user)
        # execute_wrapper survives the reconnect each request makes (CONN_MAX_AGE=0).
        queries: list[str] = []

        def count(execute, sql, *rest):
            queries.append(sql)
            return execute(sql, *rest)

        for size in sizes:
            timings, counts = [], set()
            for run in range(args.runs + 1):
                batch = pending_batch(customer, size=size)
                url = f"/crm/batches/{batch[0].batch_id}/accept/"
                queries.clear()
                start = time.perf_counter()
                with connection.execute_wrapper(count):
                    response = client.post(url)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 302, response.status_code
                counts.add(len(queries))
                if run:  # the first run warms templates, caches and the connection
                    timings.append(elapsed)
            with tenant_context(customer.tenant_id):
                pending = Proposal.objects.filter(customer=customer, status="pending").count()
            assert pending == 0, f"{pending} proposals left pending"
            rows.append((size, timings, counts))
    finally:
        teardown()

    with connection.cursor() as cursor:
        # The planner's estimate: a count(*) would see no rows outside a tenant context.
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", ["crm_artifacts_artifact"]
        )
        table_rows = cursor.fetchone()[0]
    lines = [
        "| proposals per batch | runs | p50 ms | p95 ms | max ms | queries per request |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, timings, counts in rows:
        lines.append(
            f"| {size} | {len(timings)} | {statistics.median(timings):.1f} | "
            f"{percentile(timings, 0.95):.1f} | {max(timings):.1f} | "
            f"{', '.join(str(c) for c in sorted(counts))} |"
        )
    load = os.getloadavg()
    text = (
        f"Accepting a batch: POST /crm/batches/<id>/accept/ through Django's test client, "
        f"database `{settings.DATABASES['default']['NAME']}` (~{max(table_rows, 0):,} CRM "
        f"artifacts in the table), {os.cpu_count()} cores, load average {load[0]:.1f}.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
