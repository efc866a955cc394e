"""Request ids, one log line per request and per task, JSON in production, and
server errors mailed to ADMINS through a real SMTP server."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import path
from django_tasks import task

from config.logs import JsonFormatter, RequestContextFilter, TextFormatter, request_context
from config.urls import urlpatterns as project_urls
from tests.mail import body

pytestmark = pytest.mark.django_db


def crash(request):
    raise RuntimeError("the view fell over")


urlpatterns = [path("crash/", crash), *project_urls]


@task()
def add(*, tenant_id: int, a: int, b: int) -> int:
    return a + b


def request_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "aiskills.request"]


def test_every_response_carries_a_request_id(client, alice_client):
    ids = {
        client.get("/accounts/login/")["X-Request-ID"],
        client.get("/healthz")["X-Request-ID"],
        alice_client.get("/")["X-Request-ID"],
        client.get("/no/such/page/")["X-Request-ID"],
        client.get("/portfolio/?q=%00")["X-Request-ID"],  # refused at the edge: 400
    }
    assert len(ids) == 5
    assert all(len(i) == 32 for i in ids)


def test_a_proxys_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    assert kept["X-Request-ID"] == "edge-1234abcd"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\nlevel=ERROR fake"})
    assert forged["X-Request-ID"] != "x\nlevel=ERROR fake"
    assert len(forged["X-Request-ID"]) == 32


def test_one_line_per_request_with_status_duration_and_ids(alice, alice_client, caplog):
    caplog.set_level(logging.INFO, logger="aiskills.request")
    response = alice_client.get("/skills/")
    [line] = request_lines(caplog)
    assert (line.method, line.path, line.status) == ("GET", "/skills/", 200)
    assert line.duration_ms >= 0
    assert line.request_id == response["X-Request-ID"]
    assert (line.user_id, line.tenant_id) == (alice.pk, alice.tenant_id)


def test_an_anonymous_request_is_logged_without_user(client, caplog):
    caplog.set_level(logging.INFO, logger="aiskills.request")
    client.get("/accounts/login/")
    [line] = request_lines(caplog)
    assert line.status == 200
    assert not hasattr(line, "user_id")


def test_json_lines_carry_the_request_ids_and_extra_fields():
    record = logging.makeLogRecord(
        {"name": "aiskills.request", "msg": "GET %s", "args": ("/x",), "status": 200}
    )
    token = request_context.set({"request_id": "r1", "tenant_id": 3, "user_id": 7})
    try:
        RequestContextFilter().filter(record)
    finally:
        request_context.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x"
    assert (line["request_id"], line["tenant_id"], line["user_id"], line["status"]) == (
        "r1",
        3,
        7,
        200,
    )
    assert "request_id=r1 tenant_id=3 user_id=7" in TextFormatter().format(record)


def test_a_task_run_is_one_line_with_its_tenant(acme, caplog):
    caplog.set_level(logging.INFO, logger="aiskills.task")
    result = add.enqueue(tenant_id=acme.pk, a=1, b=2)
    assert result.return_value == 3
    [line] = [r for r in caplog.records if r.name == "aiskills.task"]
    assert line.task.endswith("test_logs.add")
    assert (line.status, line.tenant_id) == ("SUCCESSFUL", acme.pk)
    assert line.duration_ms >= 0


@pytest.mark.urls(__name__)
def test_a_server_error_mails_the_admins(client, settings, mailbox):
    settings.ADMINS = [("Ops", "ops@example.test")]
    settings.EMAIL_CONFIGURED = True
    client.raise_request_exception = False
    response = client.get("/crash/")
    assert response.status_code == 500
    assert response["X-Request-ID"]
    [message] = mailbox.wait_for("ops@example.test")
    assert "ERROR" in message["Subject"]
    assert "/crash/" in message["Subject"]
    assert "the view fell over" in body(message)


@pytest.mark.urls(__name__)
def test_no_admin_mail_without_email_configured(client, settings, mailbox):
    settings.ADMINS = [("Ops", "ops@example.test")]
    settings.EMAIL_CONFIGURED = False
    client.raise_request_exception = False
    assert client.get("/crash/").status_code == 500
    assert mailbox.wait_for("ops@example.test", timeout=0.5) == []
