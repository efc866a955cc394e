"""Time /portfolio/ for a member at the 50-artifact limit (not part of `make test`).

    .venv/bin/python bench/portfolio_list.py [--runs 50]

Creates a throwaway tenant and member in the configured database (the
embedded one by default), gives them 50 artifacts each holding 100,000
characters of text and five suggestions, requests the list page through
Django's test client, prints the median and 95th percentile and the query
count, then deletes everything it made.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from portfolio.models import MAX_ARTIFACTS_PER_USER, WorkArtifact  # noqa: E402
from skills.models import Skill  # noqa: E402
from tenancy.context import tenant_context  # noqa: E402
from tenancy.models import Tenant, User  # noqa: E402

SLUG = "bench-portfolio"


def setup() -> User:
    tenant = Tenant.objects.create(name="Bench", slug=SLUG)
    user = User.objects.create_user(f"bench@{SLUG}.test", "bench-password", tenant=tenant)
    with tenant_context(tenant):
        skills = [
            Skill.objects.create(tenant=tenant, author=user, name=f"Skill {i}") for i in range(5)
        ]
        text = ("Drafted the quarterly report and the customer emails. " * 2000)[:100_000]
        WorkArtifact.objects.bulk_create(
            WorkArtifact(
                tenant=tenant,
                user=user,
                title=f"Artifact {i}",
                category="document",
                artifact_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=20 * i),
                extracted_text=text,
                estimated_hours_saved=2.5,
                file_name=f"artifact-{i}.docx",
                suggested_skill_ids=[str(s.pk) for s in skills],
            )
            for i in range(MAX_ARTIFACTS_PER_USER)
        )
    return user


def teardown() -> None:
    tenant = Tenant.objects.filter(slug=SLUG).first()
    if tenant is None:
        return
    with tenant_context(tenant):
        WorkArtifact.objects.filter(tenant=tenant).delete()
        Skill.objects.filter(tenant=tenant).delete()
    User.objects.filter(tenant=tenant).delete()
    tenant.delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    teardown()  # a previous run that was interrupted
    user = setup()
    try:
        client = Client()
        client.force_login(user)
        client.get("/portfolio/")  # warm up templates and connections
        # execute_wrapper survives the reconnect each request makes (CONN_MAX_AGE=0).
        queries: list[str] = []

        def count(execute, sql, *rest):
            queries.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(count):
            response = client.get("/portfolio/")
        assert response.status_code == 200, response.status_code
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            client.get("/portfolio/")
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[max(0, round(len(timings) * 0.95) - 1)]
        print(
            f"/portfolio/ with {MAX_ARTIFACTS_PER_USER} artifacts: "
            f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
            f"{len(queries)} queries, {len(response.content) / 1024:.0f} KiB "
            f"({args.runs} runs)"
        )
    finally:
        teardown()


if __name__ == "__main__":
    main()
