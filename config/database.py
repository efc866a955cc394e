"""Database bootstrap: the embedded PostgreSQL used when DATABASE_URL is unset.

`make run`, `make test` and every `manage.py` command import settings, which
call `embedded_database()`. It starts (or attaches to) a pgserver cluster under
`.data/pg`, makes sure the application role and database exist, and returns
Django's DATABASES entry for them.

The application role is created NOSUPERUSER NOBYPASSRLS: superusers and
BYPASSRLS roles skip row-level security entirely, so connecting as one would
make every tenant fence a no-op. It has CREATEDB because pytest-django creates
the test database as the configured role, and it owns what it migrates (FORCE
ROW LEVEL SECURITY keeps the owner subject to the policies).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

APP_ROLE = "app"
# EMBEDDED_DATABASE_NAME picks another database in the same cluster: `make bench`
# uses "bench" so generated load data never mixes with the demo data.
APP_DATABASE = os.environ.get("EMBEDDED_DATABASE_NAME", "app")


def quiet_runtime_dir() -> None:
    # pgserver keeps its lock file in the user's runtime dir; without
    # XDG_RUNTIME_DIR platformdirs warns on every start. A short path also
    # keeps the fallback socket path under the 107-byte Unix limit.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        if runtime.stat().st_uid == os.getuid():
            runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without detaching (SIGTERM, SIGKILL).

    pgserver stops the cluster when the last attached process exits, counting
    them in .handle_pids.json; a stale pid there would keep it running forever.
    """
    import json

    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        pids = None  # half-written by a process killed mid-write: start afresh
    if not isinstance(pids, list):
        handles.write_text("[]")
        return
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start or attach to the embedded cluster and return a DATABASES entry.

    The server stops when the last process that attached to it exits
    (pgserver counts its handles), so Ctrl-C on `make run` stops it cleanly
    and the next command starts it again in about a second, data kept.
    """
    quiet_runtime_dir()
    import pgserver
    import psycopg
    from psycopg import sql

    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(data_dir / "pg")
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()

    # The cluster's bootstrap superuser is only used here, to create the
    # unprivileged role the app connects as.
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]).fetchone():
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB").format(
                    sql.Identifier(APP_ROLE)
                )
            )
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [APP_DATABASE]
        ).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(APP_DATABASE), sql.Identifier(APP_ROLE)
                )
            )

    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": APP_DATABASE,
        "USER": APP_ROLE,
        "PASSWORD": "",
        # pgserver listens on a Unix socket only; its folder is in postmaster.pid.
        "HOST": str(info.socket_dir),
        "PORT": str(info.port or 5432),
    }


def embedded_admin_uri(data_dir: Path, database: str = APP_DATABASE) -> str:
    """A connection URI for the embedded cluster's bootstrap superuser, on `database`.

    Superusers bypass row-level security: this is only for tools that compare
    against RLS on purpose (bench/scale.py runs each list query with RLS on, as
    the app role, and off, as this role). The app itself never connects so.
    """
    quiet_runtime_dir()
    import pgserver

    _forget_dead_handles(data_dir / "pg")
    server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")
    return server.get_uri(database)
