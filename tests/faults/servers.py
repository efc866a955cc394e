"""The app served by gunicorn on a throwaway PostgreSQL cluster, for fault tests.

The cluster (tools/pgcluster.py) lives in a temporary folder with a Unix
socket, so a test can stop and restart it without touching the embedded
database the rest of the suite runs on. The app runs as a real gunicorn
process with production settings, talked to over HTTP like a browser behind a
TLS-terminating proxy would.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import psutil

from config.database import create_roles
from tools.pgcluster import Cluster

ROOT = Path(__file__).resolve().parents[2]
APP_ROLE = "faults_app"
OWNER_ROLE = "faults_owner"
APP_DATABASE = "faults_app"


def create_fault_roles(cluster: Cluster) -> None:
    """The owner role that migrates and the serving role the app connects as,
    as every installation has them (config/database.py)."""
    with cluster.connect_as_superuser() as conn:
        conn.autocommit = True
        create_roles(conn, owner=OWNER_ROLE, serving=APP_ROLE, database=APP_DATABASE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SETUP_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from tenancy.models import Tenant, User
call_command("migrate", verbosity=0)
call_command("check_rls")
call_command("collectstatic", "--noinput", verbosity=0)
tenant = Tenant.objects.create(name="Acme", slug="acme")
User.objects.create_user(
    email={email!r}, password={password!r}, tenant=tenant, display_name={name!r}
)
"""


class AppServer:
    """The app under gunicorn, with production settings, on the given database."""

    def __init__(
        self, *, database_url: str, owner_url: str, workdir: Path, workers: int = 2
    ) -> None:
        self.owner_url = owner_url
        self.port = free_port()
        self.workers = workers
        self.log = workdir / "gunicorn.log"
        # Production settings, except where collectstatic writes (a temporary
        # folder, not the checkout's staticfiles/).
        settings_dir = workdir / "settings"
        settings_dir.mkdir()
        (settings_dir / "faults_settings.py").write_text(
            "from config.settings import *  # noqa: F403\n"
            f"STATIC_ROOT = {str(workdir / 'static')!r}\n"
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DEBUG"))},
            "PYTHONPATH": f"{settings_dir}{os.pathsep}{ROOT}",
            "DJANGO_SETTINGS_MODULE": "faults_settings",
            "DJANGO_ENV": "production",
            "SECRET_KEY": "faults-test-" + "k" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXY_COUNT": "0",  # the tests talk to gunicorn directly
            "DATABASE_URL": database_url,
            # Persistent connections, as in production: the case where a
            # restarted database leaves every worker holding a dead connection.
            "CONN_MAX_AGE": "60",
        }
        self.process: subprocess.Popen | None = None

    def prepare(self, *, email: str, password: str, name: str) -> None:
        """Migrate (as the owner role), collect static files, add one user.

        Only this step knows the owner's URL; the served app has DATABASE_URL alone.
        """
        script = SETUP_SCRIPT.format(email=email, password=password, name=name)
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**self.env, "DATABASE_OWNER_URL": self.owner_url},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self) -> None:
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(gunicorn), "config.wsgi:application",
                    "--bind", f"127.0.0.1:{self.port}",
                    "--workers", str(self.workers),
                    "--timeout", "30",
                    "--graceful-timeout", "2",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            with contextlib.suppress(OSError):
                up = Browser(self.port).get("/healthz", timeout=2).status == 200
                if up and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.1)
        raise AssertionError("gunicorn did not come up:\n" + self.log.read_text())

    def worker_pids(self) -> set[int]:
        assert self.process is not None
        return {child.pid for child in psutil.Process(self.process.pid).children()}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@dataclass
class Page:
    status: int
    headers: http.client.HTTPMessage
    text: str
    seconds: float


@dataclass
class Browser:
    """A minimal browser: keeps cookies, behind a proxy that terminated TLS."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, *, timeout: float = 10
    ) -> Page:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            # The proxy says the browser used https (SECURE_PROXY_SSL_HEADER).
            "X-Forwarded-Proto": "https",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Page(response.status, response.headers, text, time.monotonic() - start)

    def get(self, path: str, *, timeout: float = 10) -> Page:
        return self.request("GET", path, timeout=timeout)

    def sign_in(self, email: str, password: str) -> Page:
        form = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, form.text
        return self.request(
            "POST",
            "/accounts/login/",
            {"username": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        )
