"""The app under a real gunicorn, on the test database, for the upload tests.

Not the fault tests' throwaway cluster: these tests need nothing stopped, only
a server that reads request bodies the way production does (gunicorn decodes a
chunked body and says so with `wsgi.input_terminated`; runserver and the live
server do not decode it, and drain an unread body after answering). The
tests write what the server reads through transactional_db, so it is committed.

The gunicorn config below is the tests' hook into the worker: it wraps the
extraction so that it reports whether a transaction is open, then waits for the
test's go-ahead, which gives the test time to look at pg_stat_activity.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connections

from tests.faults.servers import ROOT, free_port

GUNICORN_CONFIG = """
import json, os, pathlib, time

GATE = pathlib.Path(os.environ["EXTRACTION_GATE"])


def post_worker_init(worker):
    from django.db import connection
    from portfolio.extraction import extract

    run = extract._run_worker

    def gated(kind, data):
        raw = connection.connection
        seen = {
            "in_atomic_block": connection.in_atomic_block,
            "backend_pid": raw.info.backend_pid if raw is not None and not raw.closed else None,
        }
        (GATE / "extracting").write_text(json.dumps(seen))
        deadline = time.monotonic() + 20
        while not (GATE / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return run(kind, data)

    extract._run_worker = gated
"""

# Small, so a test sends a few megabytes past it rather than hundreds.
UPLOAD_MAX_BYTES = 1024 * 1024


def database_url() -> str:
    """The serving role on the test database, as a DATABASE_URL."""
    db = connections["default"].settings_dict
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    host, port = db["HOST"] or "localhost", db["PORT"]
    if host.startswith("/"):
        # django-environ reads a percent-encoded path as the socket folder (tools/pgcluster.py);
        # the port names the socket file in it.
        return f"postgres://{auth}@/{quote(host, safe='')}/{db['NAME']}" + (
            f"?port={port}" if port else ""
        )
    return f"postgres://{auth}@{host}{f':{port}' if port else ''}/{db['NAME']}"


@dataclass
class UploadServer:
    port: int
    gate: Path
    log: Path

    def connect(self, timeout: float = 10) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


@contextlib.contextmanager
def run_gunicorn(workdir: Path) -> Iterator[UploadServer]:
    config = workdir / "gunicorn_conf.py"
    config.write_text(GUNICORN_CONFIG)
    gate = workdir / "gate"
    gate.mkdir()
    server = UploadServer(port=free_port(), gate=gate, log=workdir / "gunicorn.log")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))},
        "DATABASE_URL": database_url(),
        "UPLOAD_MAX_BYTES": str(UPLOAD_MAX_BYTES),
        "EXTRACTION_GATE": str(gate),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with server.log.open("ab") as log:
        process = subprocess.Popen(
            [
                str(gunicorn), "config.wsgi:application", "-c", str(config),
                "--bind", f"127.0.0.1:{server.port}", "--workers", "1", "--timeout", "60",
            ],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, server.log.read_text()
            with contextlib.suppress(OSError), server.connect(timeout=2) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    break
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the response on `sock`, read until the server closes."""
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1.1 "), data[:200]
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body
