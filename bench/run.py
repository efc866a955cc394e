"""Time the main pages end to end (middleware, RLS, templates) against the dev database.

Usage: .venv/bin/python bench/run.py [--requests N] [--target-ms MS] [--user EMAIL] [--path P]

One request at a time, in this process: a page's service time, with no
queueing. `--user` times every page as that user instead of the demo users
(with EMBEDDED_DATABASE_NAME=bench: the load data of `make bench`), `--path`
keeps only the pages given.
"""

from __future__ import annotations

import argparse
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
from django.test import Client  # noqa: E402

from tenancy.models import User  # noqa: E402

# (user, path): the list pages people open most.
PAGES = [
    ("alice@acme.test", "/"),
    ("alice@acme.test", "/skills/"),
    ("alice@acme.test", "/portfolio/"),
    ("alice@acme.test", "/messages/"),
    ("alice@acme.test", "/workshops/"),
    ("bob@acme.test", "/crm/customers/"),
    ("bob@acme.test", "/crm/proposals/"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--target-ms", type=float, default=150.0, help="p95 target per page")
    parser.add_argument("--user", help="request every page as this user")
    parser.add_argument("--path", action="append", help="only this page (repeatable)")
    args = parser.parse_args()
    pages = [
        (args.user or email, path) for email, path in PAGES if not args.path or path in args.path
    ]
    settings.ALLOWED_HOSTS = ["*"]

    clients: dict[str, Client] = {}
    failures = 0
    print(f"{'page':<34}{'p50 ms':>9}{'p95 ms':>9}  status")
    for email, path in pages:
        if email not in clients:
            user = User.objects.filter(email=email).first()
            if user is None:
                print(f"No user {email}: run `manage.py seed_demo` (or make bench) first.")
                return 2
            clients[email] = Client()
            clients[email].force_login(user)
        client = clients[email]
        client.get(path)  # warm up templates and connections
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - start) * 1000)
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[18]
        ok = response.status_code == 200 and p95 <= args.target_ms
        failures += not ok
        label = "ok" if ok else f"MISS (HTTP {response.status_code})"
        print(f"{email.split('@')[0] + ' ' + path:<34}{p50:>9.1f}{p95:>9.1f}  {label}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
