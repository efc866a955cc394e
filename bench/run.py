"""Time pages one request at a time, end to end (middleware, RLS, templates).

    .venv/bin/python bench/run.py [--requests N] [--target-ms MS] [--path P]
    .venv/bin/python bench/run.py --production --user user1@load-00001.test [--json FILE]

One request at a time, in this process, through Django's test client: a
page's service time, with no queueing and no HTTP.

- Default: the demo pages as the demo users, development settings, each
  page's p95 against `--target-ms`.
- `--production --user EMAIL`: production settings (DEBUG off, the collected
  static files' manifest, persistent connections, every production
  middleware), the key pages of `make bench` for that user (with
  EMBEDDED_DATABASE_NAME=bench: the load data), and issue 17's target: each
  page's p50 at most 2x the JSON API endpoint's (bench/targets.py). `make
  bench` runs it this way after the load run.

Exits non-zero when a page does not answer 200 or misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (user, path): the list pages people open most, on the demo data.
DEMO_PAGES = [
    ("alice@acme.test", "/"),
    ("alice@acme.test", "/skills/"),
    ("alice@acme.test", "/portfolio/"),
    ("alice@acme.test", "/messages/"),
    ("alice@acme.test", "/workshops/"),
    ("bob@acme.test", "/crm/customers/"),
    ("bob@acme.test", "/crm/proposals/"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--target-ms", type=float, default=150.0, help="p95 target per demo page")
    parser.add_argument("--user", help="request every page as this user")
    parser.add_argument("--path", action="append", help="only this page (repeatable)")
    parser.add_argument(
        "--production", action="store_true", help="production settings, make bench's key pages"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print each page's N costliest functions",
    )
    return parser.parse_args()


def use_production_settings(static_root: str) -> None:
    """The environment bench/load.py serves with, set before Django starts."""
    os.environ.update(
        {
            "DJANGO_ENV": "production",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver",
            "TRUSTED_PROXY_COUNT": "0",
            "LOADTEST_BASELINE": "1",
            "STATIC_ROOT": static_root,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.pop("DEBUG", None)


def time_pages(
    pages: list[tuple[Any, str]], requests: int, *, secure: bool
) -> list[tuple[list[float], int]]:
    """Each (client, path)'s timings and last status, the pages requested in turn.

    In turn, not one page after the other: this machine's speed drifts by tens of
    percent over a minute, and a page timed in a slow minute against an API timed
    in a fast one would give a ratio of the minutes, not of the pages."""
    for client, path in pages:  # warm up templates, caches, the connection
        for _ in range(4):
            client.get(path, secure=secure)
    timings: list[list[float]] = [[] for _ in pages]
    statuses = [0] * len(pages)
    for _ in range(requests):
        for i, (client, path) in enumerate(pages):
            start = time.perf_counter()
            statuses[i] = client.get(path, secure=secure).status_code
            timings[i].append((time.perf_counter() - start) * 1000)
    return list(zip(timings, statuses, strict=True))


def profile_page(client, path: str, requests: int, top: int, *, secure: bool) -> None:
    """cProfile over `requests` more requests: the functions with the most time inside
    them (tottime), per request."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path, secure=secure)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    print(f"  {path}: {stats.total_tt / requests * 1000:.1f} ms per request under the profiler")
    for (file, line, name), (_, calls, tottime, _cum, _) in rows:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}({name})"
        print(f"    {tottime / requests * 1000:6.2f} ms {calls / requests:7.0f} calls  {where}")


def main() -> int:
    args = parse_args()
    static_dir = None
    if args.production:
        if not args.user:
            raise SystemExit("--production needs --user (e.g. user1@load-00001.test)")
        static_dir = tempfile.TemporaryDirectory(prefix="bench-static-")
        use_production_settings(static_dir.name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from bench.targets import render, server_time_checks
    from tenancy.models import User

    if args.production:
        from bench.load import API_PAGE, key_pages

        call_command("collectstatic", "--noinput", verbosity=0)  # the manifest production reads
        pages = [(args.user, page.name, page.path) for page in key_pages(args.user)]
        pages = [p for p in pages if not p[2].startswith("/loadtest/")]
    else:
        settings.ALLOWED_HOSTS = ["*"]
        pages = [(args.user or email, path, path) for email, path in DEMO_PAGES]
    pages = [p for p in pages if not args.path or p[2] in args.path]

    clients: dict[str, Client] = {}
    for email, _name, _path in pages:
        if email not in clients:
            user = User.objects.filter(email=email).first()
            if user is None:
                print(f"No user {email}: run `manage.py seed_demo` (or make bench) first.")
                return 2
            clients[email] = Client()
            clients[email].force_login(user)
    measured = time_pages(
        [(clients[email], path) for email, _name, path in pages],
        args.requests,
        secure=args.production,
    )
    failures = 0
    p50s: dict[str, float] = {}
    print(f"{'page':<40}{'p50 ms':>9}{'p95 ms':>9}  status")
    for (email, name, path), (timings, status) in zip(pages, measured, strict=True):
        if args.profile:
            profile_page(clients[email], path, args.requests, args.profile, secure=args.production)
        p50 = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[18]
        p50s[name] = p50
        ok = status == 200 and (args.production or p95 <= args.target_ms)
        failures += not ok
        label = "ok" if ok else f"MISS (HTTP {status})"
        print(f"{email.split('@')[0] + ' ' + name:<40}{p50:>9.1f}{p95:>9.1f}  {label}")

    checks = []
    if args.production and API_PAGE in p50s:
        checks = server_time_checks(p50s, api=API_PAGE)
        print()
        print(render(checks))
        failures += sum(not check.ok for check in checks)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "p50_ms": p50s,
                    "checks": [check.__dict__ for check in checks],
                },
                indent=2,
            )
        )
    if static_dir is not None:
        static_dir.cleanup()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
