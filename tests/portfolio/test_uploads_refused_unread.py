"""Uploads refused before they are read, and extracted outside the request transaction
(issue 16, section 4), measured against a real gunicorn.

A body declared over the cap is answered 413 while almost none of it has been
sent; a chunked body is cut off once it passes the cap; an upload's text is
extracted with no transaction open, and the artifact is still written in the
uploader's tenant.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils.crypto import get_random_string

from portfolio.extraction import extract as extraction
from portfolio.models import WorkArtifact
from portfolio.uploads import BODY_ALLOWANCE
from tenancy.context import current_tenant_id
from tests.portfolio.test_views import FORM
from tests.portfolio.upload_server import (
    UPLOAD_MAX_BYTES,
    UploadServer,
    read_response,
    run_gunicorn,
)

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = UPLOAD_MAX_BYTES + BODY_ALLOWANCE
MESSAGE = "The file is larger than 1 MB."


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[UploadServer]:
    with django_db_blocker.unblock(), run_gunicorn(tmp_path_factory.mktemp("gunicorn")) as running:
        yield running


@pytest.fixture
def headers_for(server):
    """`headers_for(alice)`: cookies and CSRF header of a signed-in browser."""

    def make(user) -> dict[str, str]:
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        token = get_random_string(32)
        return {
            "Host": "127.0.0.1",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
            f"{settings.CSRF_COOKIE_NAME}={token}",
            "X-CSRFToken": token,
        }

    return make


BOUNDARY = "----upload-test-boundary"


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def request_head(path: str, headers: dict[str, str], **extra: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in {**headers, **extra}.items()]
    lines.append(f"Content-Type: multipart/form-data; boundary={BOUNDARY}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def send_until_answered(sock: socket.socket, chunks, budget: int) -> int:
    """Send `chunks` until the server answers or stops taking them; the bytes sent."""
    sent = 0
    sock.settimeout(3)
    for chunk in chunks:
        if select.select([sock], [], [], 0)[0] or sent > budget:
            break  # an answer (or the close) is waiting: stop sending
        try:
            sock.sendall(chunk)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            break  # the server stopped reading
        sent += len(chunk)
    return sent


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_a_body_declared_over_the_cap_is_answered_413_before_it_is_sent(
    server, headers_for, alice, htmx
):
    declared = 1024**3  # a gigabyte, of which the test sends a few kilobytes
    extra = {"HX-Request": "true"} if htmx else {}
    with server.connect() as sock:
        sock.sendall(
            request_head(
                "/portfolio/new/", headers_for(alice), **extra, **{"Content-Length": str(declared)}
            )
        )
        sock.sendall(multipart(FORM, "big.txt", b"")[:4096])
        started = time.monotonic()
        status, headers, body = read_response(sock)
    assert time.monotonic() - started < 5  # it did not wait for the gigabyte
    assert status == 413
    assert MESSAGE in body.decode()
    if htmx:
        assert headers["HX-Retarget"] == "closest form"
        assert b"<html" not in body  # a fragment, not a page
    else:
        assert b"<h1>Upload too large</h1>" in body


def test_the_server_stops_taking_a_body_declared_over_the_cap(server, headers_for, alice):
    declared = 1024**3
    with server.connect() as sock:
        sock.sendall(
            request_head(
                "/portfolio/upload/", headers_for(alice), **{"Content-Length": str(declared)}
            )
        )
        sent = send_until_answered(sock, iter(lambda: b"x" * 65536, None), budget=declared)
        status, _headers, _body = read_response(sock)
    assert status == 413
    # What the kernel buffers on both sides, at most: nowhere near the declared size.
    assert sent < 32 * 1024 * 1024, sent


def _chunked(data_chunks) -> Iterator[bytes]:
    for data in data_chunks:
        yield f"{len(data):x}\r\n".encode() + data + b"\r\n"
    yield b"0\r\n\r\n"


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(server, headers_for, alice, in_tenant):
    head = multipart(FORM, "big.txt", b"")[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    endless = iter(lambda: b"meeting notes " * 4096, None)  # 56 KB a chunk, for ever
    with server.connect() as sock:
        sock.sendall(
            request_head("/portfolio/new/", headers_for(alice), **{"Transfer-Encoding": "chunked"})
        )
        sock.sendall(next(_chunked([head])))
        sent = send_until_answered(sock, _chunked(endless), budget=256 * 1024 * 1024)
        status, _headers, body = read_response(sock)
    assert status == 413
    assert MESSAGE in body.decode()
    assert LIMIT < sent < LIMIT + 32 * 1024 * 1024, sent
    with in_tenant(alice):
        assert not WorkArtifact.objects.exists()


def test_a_chunked_body_within_the_cap_is_an_ordinary_upload(server, headers_for, alice, in_tenant):
    # Django alone reads a body without a length as empty: the form would come
    # back with every field missing.
    body = multipart(FORM, "notes.txt", b"Minutes of the board meeting. " * 100)
    with server.connect() as sock:
        sock.sendall(
            request_head("/portfolio/new/", headers_for(alice), **{"Transfer-Encoding": "chunked"})
        )
        sock.sendall(b"".join(_chunked([body[:1000], body[1000:]])))
        (server.gate / "go").touch()
        status, _headers, _body = read_response(sock)
    assert status == 302, _body[:2000]
    with in_tenant(alice):
        artifact = WorkArtifact.objects.get()
    assert artifact.title == "Board report"
    assert "Minutes of the board meeting" in artifact.extracted_text


def _app_backends() -> list[tuple[int, str, object]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, xact_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def test_the_extraction_runs_with_no_transaction_open(server, headers_for, alice, carol, in_tenant):
    (server.gate / "go").unlink(missing_ok=True)
    (server.gate / "extracting").unlink(missing_ok=True)
    body = multipart(FORM, "notes.txt", b"Minutes of the board meeting. " * 100)
    answer: dict = {}

    def upload() -> None:
        with server.connect(timeout=30) as sock:
            head = request_head(
                "/portfolio/new/", headers_for(alice), **{"Content-Length": str(len(body))}
            )
            sock.sendall(head + body)
            answer["status"] = read_response(sock, timeout=30)[0]

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not (server.gate / "extracting").exists():
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.02)
        seen = json.loads((server.gate / "extracting").read_text())
        backends = _app_backends()
    finally:
        (server.gate / "go").touch()
        thread.join(30)
    assert seen["in_atomic_block"] is False
    # The server's connection (if it kept one) is idle, not idle in a transaction.
    assert all(state != "idle in transaction" and xact is None for _pid, state, xact in backends), (
        backends
    )
    assert answer["status"] == 302
    with in_tenant(alice):
        artifact = WorkArtifact.objects.get()
        assert artifact.user_id == alice.pk
        assert artifact.tenant_id == alice.tenant_id
    with in_tenant(carol):  # the RLS fence: another tenant sees nothing
        assert not WorkArtifact.objects.filter(pk=artifact.pk).exists()


# In process (Django's test client), for each view that takes uploads: the same
# question asked from inside the extraction.


@pytest.fixture
def during_extraction(monkeypatch) -> list[dict]:
    seen: list[dict] = []
    run = extraction._run_worker

    def watching(kind: str, data: bytes) -> dict:
        seen.append({"in_atomic_block": connection.in_atomic_block, "tenant": current_tenant_id()})
        return run(kind, data)

    monkeypatch.setattr(extraction, "_run_worker", watching)
    return seen


def _file(name: str = "notes.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"Minutes of the board meeting. " * 20)


def test_create_extracts_outside_any_transaction(alice_client, alice, in_tenant, during_extraction):
    response = alice_client.post("/portfolio/new/", {**FORM, "file": _file()})
    assert response.status_code == 302
    assert during_extraction == [{"in_atomic_block": False, "tenant": None}]
    with in_tenant(alice):
        assert WorkArtifact.objects.get().tenant_id == alice.tenant_id


def test_edit_extracts_outside_any_transaction(
    alice_client, alice, create, in_tenant, during_extraction
):
    artifact = create(alice)
    response = alice_client.post(f"/portfolio/{artifact.pk}/edit/", {"file": _file()})
    assert response.status_code == 302
    assert during_extraction == [{"in_atomic_block": False, "tenant": None}]
    with in_tenant(alice):
        assert "board meeting" in WorkArtifact.objects.get(pk=artifact.pk).extracted_text


def test_upload_page_extracts_each_file_outside_any_transaction(
    alice_client, alice, in_tenant, during_extraction
):
    files = [_file("one.txt"), _file("two.txt")]
    response = alice_client.post(
        "/portfolio/upload/", {"files": files, "artifact_date": "2022-03-15"}
    )
    assert response.status_code == 200
    assert during_extraction == [{"in_atomic_block": False, "tenant": None}] * 2
    with in_tenant(alice):
        assert WorkArtifact.objects.count() == 2


def test_an_outsider_s_edit_is_still_404(client_for, carol, alice, create):
    artifact = create(alice)
    response = client_for(carol).post(f"/portfolio/{artifact.pk}/edit/", {"file": _file()})
    assert response.status_code == 404


def test_a_random_id_is_404_outside_the_request_transaction(alice_client):
    assert alice_client.post(f"/portfolio/{uuid.uuid4()}/edit/", {"title": "x"}).status_code == 404


def test_a_get_of_an_upload_page_has_no_body_to_wait_for(server, headers_for, alice):
    # gunicorn marks every request's input terminated; one with neither a length
    # nor chunks has an empty body, read at once.
    head = "".join(f"{name}: {value}\r\n" for name, value in headers_for(alice).items())
    with server.connect() as sock:
        sock.sendall(f"GET /portfolio/new/ HTTP/1.1\r\n{head}\r\n".encode())
        status, _headers, body = read_response(sock, timeout=5)
    assert status == 200
    assert b"New artifact" in body
