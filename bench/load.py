"""HTTP load run: gunicorn with production settings, driven by wrk (`make bench`).

    .venv/bin/python bench/load.py [--tenants 20 ...] [--duration 10] [--mixed-duration 60]

1. Generates load data in the embedded database `bench` (never the demo
   database `app`) with `manage.py generate_load_data`.
2. Serves the app with gunicorn on 127.0.0.1 as production would
   (DJANGO_ENV=production, DEBUG off, collected static files), plus the
   fortunes baseline (LOADTEST_BASELINE=1).
3. Signs in as the first load tenant's user1 through the real login form,
   checks every key page answers 200, then drives each page alone with wrk,
   and finally all of them in rotation (the mixed run).
4. Writes bench/results/load.md (table) and bench/results/load.svg (chart).

Exits non-zero when a page does not answer 200 before the run, or when the
mixed run sees any socket error, timeout, non-2xx or 5xx response.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.load_report import Result, render_markdown, render_svg  # noqa: E402
from bench.targets import Check, load_checks  # noqa: E402
from bench.targets import render as render_checks  # noqa: E402

HOST = "127.0.0.1"
LUA_SCRIPT = ROOT / "bench" / "wrk_report.lua"
RESULTS = ROOT / "bench" / "results"
BASELINE = "baseline (fortunes)"
API_PAGE = "API customer artifacts"
MIXED = "mixed (all pages in rotation)"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    anonymous: bool = False  # sent without the session cookie

    @property
    def wrk_line(self) -> str:
        return f"!{self.path}" if self.anonymous else self.path


def parse_args() -> argparse.Namespace:
    from loadtest.generate import PASSWORD, tenant_slug, user_email

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scale = parser.add_argument_group("data scale (manage.py generate_load_data)")
    scale.add_argument("--tenants", type=int, default=100)
    scale.add_argument("--users-per-tenant", type=int, default=10)
    scale.add_argument("--artifacts-per-user", type=int, default=50, help="the app's cap")
    scale.add_argument("--customers-per-user", type=int, default=5)
    # Full-size pages (issue 17): 50 portfolio rows, 50 inbox messages, batches of 12.
    scale.add_argument("--proposals-per-customer", type=int, default=24)
    scale.add_argument("--proposals-per-batch", type=int, default=12)
    scale.add_argument("--messages-per-user", type=int, default=50)
    scale.add_argument(
        "--workshops-per-tenant", type=int, default=None, help="default: one per user"
    )
    scale.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="tenants in parallel")
    scale.add_argument(
        "--no-generate", action="store_true", help="reuse the data already in the database"
    )
    run = parser.add_argument_group("load")
    run.add_argument("--user", default=user_email(1, tenant_slug(1)), help="who signs in")
    run.add_argument("--password", default=PASSWORD)
    run.add_argument("--duration", type=int, default=12, help="seconds per page, in all")
    run.add_argument(
        "--rounds",
        type=int,
        default=6,
        help="each page's (and the mixed run's) seconds in this many turns, in rotation "
        "(see in_rotation)",
    )
    run.add_argument("--mixed-duration", type=int, default=60, help="seconds of the mixed run")
    run.add_argument("--connections", type=int, default=32)
    run.add_argument("--wrk-threads", type=int, default=1)
    run.add_argument("--timeout", type=int, default=30, help="wrk's per-request timeout, s")
    run.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="gunicorn workers")
    run.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    run.add_argument("--port", type=int, default=0, help="0: any free port")
    run.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def generate(args: argparse.Namespace, env: dict[str, str]) -> str:
    """Migrate and fill the database; returns the command, for the report."""
    manage("migrate", "--noinput", "-v0", env=env)
    if args.no_generate:
        return "the data already there (--no-generate)"
    options = ["tenants", "users_per_tenant", "artifacts_per_user", "customers_per_user"]
    options += ["proposals_per_customer", "proposals_per_batch", "messages_per_user"]
    options += ["workshops_per_tenant", "jobs"]
    flags = [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in options
        if getattr(args, name) is not None
    ]
    manage("generate_load_data", *flags, "--reset", env=env)
    return " ".join(["manage.py generate_load_data", *flags, "--reset"])


def production_env(static_root: Path) -> dict[str, str]:
    """The environment of the served app: production settings over plain-HTTP loopback."""
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECURE_SSL_REDIRECT": "false",  # no TLS on loopback; cookies stay Secure-flagged
        "SECRET_KEY": secrets.token_urlsafe(50),  # throwaway, new each run
        "ALLOWED_HOSTS": HOST,
        "TRUSTED_PROXY_COUNT": "0",  # wrk talks to gunicorn directly
        "LOADTEST_BASELINE": "1",
        "STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",  # a 5xx still logs its traceback
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def request(port: int, method: str, path: str, **kwargs) -> tuple[http.client.HTTPResponse, str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, **kwargs)
        response = connection.getresponse()
        return response, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@contextmanager
def gunicorn(port: int, args: argparse.Namespace, env: dict[str, str], log: Path) -> Iterator[None]:
    """Serve the app until the block ends, however it ends (error, Ctrl-C, SIGTERM).

    One worker process per core, as the issue asks, each with a few threads
    (gthread). A request here is Python rendering a page around a handful of
    queries to PostgreSQL on the same machine: while one thread waits on the
    database or the socket it releases the GIL and another renders, so the
    core stays busy; the sync worker idles through those waits. gthread also
    keeps connections alive, as a browser or a proxy would, instead of
    closing each one after a single response. Side by side on the 2-core
    machine these figures come from, it served the baseline and the mixed
    rotation 2 to 3 times faster than sync workers. Threads cost a database
    connection each (CONN_MAX_AGE keeps them open), workers x threads in all.
    """
    command = [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    command += ["--bind", f"{HOST}:{port}", "--workers", str(args.workers)]
    command += ["--worker-class", "gthread", "--threads", str(args.threads)]
    # A listening socket per worker (SO_REUSEPORT), the kernel spreading new
    # connections over them. With one shared socket, whichever worker wakes
    # first accepts wrk's whole burst of connections and keeps them alive: in
    # about one turn in four one worker served all 32 and the other core idled
    # (its CPU ticks: 208 against 0), halving that turn's req/s.
    command += ["--reuse-port"]
    command += ["--timeout", "60", "--graceful-timeout", "10", "--error-logfile", str(log)]
    # A session of its own: Ctrl-C in the terminal reaches only this script,
    # which then stops the master, which stops its workers.
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}; see {log}")
            try:
                if request(port, "GET", "/healthz")[0].status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log}")
            time.sleep(0.3)
        yield
    finally:
        if server.poll() is None:
            server.terminate()  # SIGTERM: graceful, workers finish their request
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def sign_in(port: int, email: str, password: str) -> str:
    """Sign in through the login form (CSRF and all) and return the Cookie header."""
    response, page = request(port, "GET", "/accounts/login/")
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or token is None or "csrftoken" not in cookies:
        raise SystemExit(f"the login page answered {response.status} without a CSRF token")
    form = {"username": email, "password": password, "csrfmiddlewaretoken": token[1]}
    response, _ = request(
        port,
        "POST",
        "/accounts/login/",
        body=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
        },
    )
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)  # login rotates the CSRF token and sets the session
    if response.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"signing in as {email} failed (HTTP {response.status})")
    return "; ".join(f"{name}={cookies[name].value}" for name in ("sessionid", "csrftoken"))


def key_pages(email: str) -> list[Page]:
    """The pages under load, with ids read from the database for `email`."""
    from crm_artifacts.models import Customer
    from tenancy.context import tenant_context
    from tenancy.models import User
    from workshops.models import WorkshopStep

    user = User.objects.filter(email=email).first()
    if user is None:
        raise SystemExit(f"no user {email} in the database: generate the load data first")
    with tenant_context(user.tenant_id):
        step = (
            WorkshopStep.objects.filter(workshop__owner=user)
            .order_by("workshop_id", "step_definition__order")
            .first()
        )
        customer = Customer.objects.filter(rm=user).order_by("pk").first()
    if step is None or customer is None:
        raise SystemExit(f"{email} needs a workshop and a customer it manages")
    return [
        Page("dashboard", "/"),
        Page("portfolio", "/portfolio/"),
        Page("messages", "/messages/"),
        Page("workshop step", f"/workshops/{step.workshop_id}/steps/{step.step_definition_id}/"),
        Page("customer overview", f"/crm/customers/{customer.pk}/"),
        Page("proposals", "/crm/proposals/"),
        Page(API_PAGE, f"/api/customers/{customer.pk}/artifacts"),
        Page(BASELINE, "/loadtest/fortunes/", anonymous=True),
    ]


def check_pages(port: int, pages: list[Page], cookie: str) -> None:
    """Every page answers 200 to one plain request, so load never hammers an error page."""
    for page in pages:
        headers = {} if page.anonymous else {"Cookie": cookie}
        response, _ = request(port, "GET", page.path, headers=headers)
        if response.status != 200:
            raise SystemExit(f"{page.name} ({page.path}) answered {response.status}, not 200")


def wrk(port: int, pages: list[Page], cookie: str, seconds: int, args: argparse.Namespace) -> dict:
    env = {**os.environ, "WRK_PATHS": "\n".join(p.wrk_line for p in pages), "WRK_COOKIE": cookie}
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections)]
    command += ["-d", f"{seconds}s", "--timeout", f"{args.timeout}s", "-s", str(LUA_SCRIPT)]
    output = subprocess.run(
        [*command, f"http://{HOST}:{port}"], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(next(line for line in output.splitlines() if line.startswith("{")))


def combined(runs: list[dict]) -> dict:
    """Several wrk runs of one page (its turns) as one: the median of their requests per
    second, every error counted, the median of their p50s and the worst of their p95s,
    p99s and maxima.

    The median, not all requests over all seconds: on this virtual machine one page's
    turns a few seconds apart differ by a factor of two (docs/performance.md, "Fifth
    round"), and a total would weigh each figure by how many of its turns the
    neighbours happened to slow down."""
    latencies = [run["latency_ms"] for run in runs]
    seconds = sum(run["seconds"] for run in runs)
    turns = [run["requests"] / run["seconds"] for run in runs if run["seconds"]]
    return {
        "requests": sum(run["requests"] for run in runs),
        "seconds": seconds,
        "requests_per_s": statistics.median(turns) if turns else 0.0,
        "turns": turns,
        "latency_ms": {
            "p50": statistics.median(lat["p50"] for lat in latencies),
            **{q: max(lat[q] for lat in latencies) for q in ("p95", "p99", "max")},
        },
        "errors": {key: sum(run["errors"][key] for run in runs) for key in runs[0]["errors"]},
        "non_2xx": sum(run["non_2xx"] for run in runs),
        "server_errors": sum(run["server_errors"] for run in runs),
    }


def in_rotation(
    port: int, pages: list[Page], cookie: str, args: argparse.Namespace
) -> tuple[list[Result], Result]:
    """Each page alone, its --duration seconds in --rounds turns, and the mixed run, its
    --mixed-duration seconds in as many, all in rotation: this virtual machine's speed
    drifts by tens of percent from one minute to the next, and a page (or the mixed
    run) loaded only in a slow minute, against a baseline loaded only in a fast one,
    would give a ratio of the minutes, not of the pages."""
    seconds = max(1, round(args.duration / args.rounds))
    mixed_seconds = max(1, round(args.mixed_duration / args.rounds))
    runs: dict[str, list[dict]] = {page.name: [] for page in pages}
    mixed_runs = []
    for _ in range(args.rounds):
        for page in pages:
            runs[page.name].append(wrk(port, [page], cookie, seconds, args))
        mixed_runs.append(wrk(port, pages, cookie, mixed_seconds, args))
    results = [result(page.name, combined(runs[page.name])) for page in pages]
    mixed = result(MIXED, combined(mixed_runs))
    for r in [*results, mixed]:
        print(f"  {r.summary()}")
    return results, mixed


def machine(port: int) -> dict[str, str]:
    from django import get_version
    from django.db import connection

    def version(command: list[str]) -> str:
        done = subprocess.run(command, capture_output=True, text=True)
        return (done.stdout or done.stderr).splitlines()[0]

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "CPU": f"{os.cpu_count()} cores, {cpu}",
        "load average before the run": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Python": platform.python_version(),
        "Django": get_version(),
        "PostgreSQL": postgres,
        "gunicorn": version([sys.executable, "-m", "gunicorn", "--version"]),
        "wrk": version(["wrk", "--version"]).split(" [")[0],
    }


def settle() -> None:
    """Vacuum, analyze and checkpoint the data just written, as its owner, before any load.

    Freshly generated rows are read for the first time under load otherwise: each
    first read sets the rows' hint bits (a write), autovacuum and autoanalyze start on
    the new tables, and the checkpoint that follows writes them out, in the middle of
    the turns of whichever pages come first. A deployed database is not freshly
    bulk-loaded."""
    from django.conf import settings
    from django.db import DatabaseError, connections

    from config.database import OWNER_ALIAS

    connection = connections[OWNER_ALIAS if OWNER_ALIAS in settings.DATABASES else "default"]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # the tables this role owns: the app's
        # A role without pg_checkpoint leaves it to the server's own schedule.
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def table_sizes() -> dict[str, int]:
    """Rows per table of the data under load (counted past RLS by the planner's statistics)."""
    from django.conf import settings
    from django.db import connections

    from config.database import OWNER_ALIAS

    # ANALYZE as the tables' owner: the serving role may not, and a table never
    # analyzed has no estimate (the load data was just written).
    connection = connections[OWNER_ALIAS if OWNER_ALIAS in settings.DATABASES else "default"]
    tables = ["tenancy_tenant", "tenancy_user", "portfolio_workartifact"]
    tables += ["messaging_skillmessage", "workshops_workshop", "crm_artifacts_customer"]
    tables += ["crm_artifacts_artifact"]
    sizes = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
            sizes[table] = max(0, cursor.fetchone()[0])
    return sizes


def result(page: str, raw: dict) -> Result:
    latency = raw["latency_ms"]
    turns = raw.get("turns") or [raw["requests_per_s"]]
    return Result(
        page=page,
        requests_per_s=raw["requests_per_s"],
        slowest_turn=min(turns),
        fastest_turn=max(turns),
        p50=latency["p50"],
        p95=latency["p95"],
        p99=latency["p99"],
        socket_errors=sum(raw["errors"].values()),
        non_2xx=raw["non_2xx"],
        server_errors=raw["server_errors"],
        requests=raw["requests"],
    )


def main() -> int:
    started = time.monotonic()
    # Load data lives in its own database of the embedded cluster; this
    # process stays attached to the cluster, so it runs until the end.
    os.environ.setdefault("EMBEDDED_DATABASE_NAME", "bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    data = generate(args, dict(os.environ))
    pages = key_pages(args.user)
    port = args.port or free_port()
    args.output.mkdir(parents=True, exist_ok=True)
    log = args.output / "gunicorn.log"
    log.write_text("")  # this run's log only

    with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
        env = production_env(Path(static_root))
        manage("collectstatic", "--noinput", "-v0", env=env)  # the manifest production reads
        about = machine(port)
        settle()
        sizes = table_sizes()
        with gunicorn(port, args, env, log):
            cookie = sign_in(port, args.user, args.password)
            check_pages(port, pages, cookie)
            print(
                f"Warming up, then {args.duration} s per page and {args.mixed_duration} s of "
                f"the mixed run at {args.connections} connections, in {args.rounds} turns"
            )
            wrk(port, pages, cookie, 3, args)
            results, mixed = in_rotation(port, pages, cookie, args)
        # One request at a time, after the load, with the same settings and data.
        print("One request at a time (bench/run.py --production)")
        single = one_at_a_time(args, env)

    setup = {
        "command": shlex.join([".venv/bin/python", "bench/load.py", *sys.argv[1:]]),
        "data": data,
        "rows": ", ".join(f"{table} {rows:,}" for table, rows in sizes.items()),
        "server": (
            f"gunicorn, {args.workers} workers x {args.threads} threads (gthread), a socket "
            f"per worker (--reuse-port), production settings, {HOST}"
        ),
        "load": (
            f"wrk, {args.connections} connections, {args.duration} s per page and "
            f"{args.mixed_duration} s of the mixed run, in {args.rounds} turns in rotation "
            f"(req/s: the median turn's); pages as {args.user}, baseline anonymous"
        ),
        **about,
    }
    throughput = {r.page: r.requests_per_s for r in results}
    checks = load_checks(throughput, baseline=BASELINE, api=API_PAGE, mixed=mixed.requests_per_s)
    checks += [Check(**check) for check in single["checks"]]
    broken = [r for r in [*results, mixed] if r.errors or r.server_errors]
    markdown = render_markdown(results, mixed, BASELINE, setup)
    markdown += "\n## Targets (issue 17; bench/targets.py)\n\n" + render_checks(checks)
    markdown += (
        "\nOne request at a time, p50 ms: "
        + ", ".join(f"{page} {p50:.1f}" for page, p50 in single["p50_ms"].items())
        + "\n"
    )
    (args.output / "load.md").write_text(markdown)
    subtitle = (
        f"gunicorn {args.workers} workers x {args.threads} threads, "
        f"wrk {args.connections} connections, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    (args.output / "load.svg").write_text(render_svg(results, mixed, BASELINE, subtitle))
    print()
    print(markdown)
    print(f"Wrote {args.output / 'load.md'} and {args.output / 'load.svg'}")
    print(f"Total {time.monotonic() - started:.0f} s")
    failed = 0
    for r in broken:
        print(f"FAIL: {r.page} had {r.errors} errors and {r.server_errors} 5xx (log: {log})")
        failed = 1
    for check in checks:
        if not check.ok:
            print(f"MISS: {check.what} = {check.measured:.2f}, wanted {check.target}")
            failed = 1
    return failed


def one_at_a_time(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """bench/run.py in production mode on the same data: p50 per page and its checks."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [
                sys.executable,
                "bench/run.py",
                "--production",
                "--user",
                args.user,
                "--json",
                out.name,
            ],
            cwd=ROOT,
            env=env,
        )
        if done.returncode not in (0, 1):  # 1: a target missed, reported with the rest
            raise SystemExit(f"bench/run.py failed with {done.returncode}")
        return json.loads(Path(out.name).read_text())


if __name__ == "__main__":
    # Ctrl-C and SIGTERM (a CI timeout, `kill`) unwind through the finally
    # blocks, so gunicorn is stopped. SIGINT is set explicitly because a shell
    # without job control starts background commands with it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("Interrupted: gunicorn stopped, nothing written.")
