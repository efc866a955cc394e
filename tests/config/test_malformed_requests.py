"""Malformed or oversized request bodies, sent over a real socket to a real server.

Django's test client builds a well-formed WSGI environ, so these go through
`live_server` (the same WSGI server as runserver) with the bytes written by
hand: a header no client library would send is what a hostile one does.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from config.content_length import MALFORMED_CONTENT_LENGTH
from crm_artifacts import api

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "c" * 32  # a valid CSRF secret: the cookie and the header carry the same one

BAD_LENGTHS = ["abc", "1e3", "-1", "+5", "0x10", "1 2"]


def send(live_server, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    """Write one HTTP/1.1 request byte for byte; return (status, headers, body)."""
    host, port = live_server.thread.host, live_server.thread.port
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw_head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    response_headers = {
        k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
    }
    return status, response_headers, payload


@pytest.fixture
def signed_in(client_for, bob) -> dict[str, str]:
    """Bob's session and CSRF cookies and header, as a browser would send them."""
    session = client_for(bob).cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={CSRF}", "X-CSRFToken": CSRF}


def patch(live_server, artifact_id: int, headers: dict[str, str], body: bytes) -> Any:
    return send(
        live_server,
        "PATCH",
        f"/api/artifacts/{artifact_id}",
        {"Content-Type": "application/json", **headers},
        body,
    )


@pytest.mark.parametrize("length", BAD_LENGTHS)
def test_a_malformed_content_length_on_the_api_is_400_json_and_changes_nothing(
    live_server, signed_in, customer, make_batch, reload, length
):
    (artifact,) = make_batch(customer, email="jane@new.example")
    body = json.dumps({"status": "accepted"}).encode()
    status, headers, payload = patch(
        live_server, artifact.pk, {**signed_in, "Content-Length": length}, body
    )
    assert (status, headers["content-type"]) == (400, "application/json")
    assert json.loads(payload) == {"error": MALFORMED_CONTENT_LENGTH}
    assert reload(artifact).status == "pending"
    assert reload(customer).profile["email"] == "jane@old.example"


@pytest.mark.parametrize("size", [api.MAX_BODY_BYTES + 1, 3 * 1024 * 1024])
def test_an_oversized_api_body_is_400_json_and_changes_nothing(
    live_server, signed_in, customer, make_batch, reload, size
):
    (artifact,) = make_batch(customer, email="jane@new.example")
    body = json.dumps({"status": "accepted", "editedValue": "x" * size}).encode()
    status, headers, payload = patch(
        live_server, artifact.pk, {**signed_in, "Content-Length": str(len(body))}, body
    )
    assert (status, headers["content-type"]) == (400, "application/json")
    assert json.loads(payload) == {"error": api.BODY_TOO_LARGE}
    assert reload(artifact).status == "pending"


def test_a_well_formed_patch_still_decides(live_server, signed_in, customer, make_batch, reload):
    (artifact,) = make_batch(customer, email="jane@new.example")
    body = json.dumps({"status": "accepted"}).encode()
    status, _, payload = patch(
        live_server, artifact.pk, {**signed_in, "Content-Length": str(len(body))}, body
    )
    assert (status, json.loads(payload)["artifact"]["status"]) == (200, "accepted")
    assert reload(customer).profile["email"] == "jane@new.example"


@pytest.mark.parametrize("length", BAD_LENGTHS)
def test_a_malformed_content_length_on_a_form_post_is_400(live_server, signed_in, length):
    # Any form post: Django's CSRF check reads request.POST, which parsed the header itself.
    status, headers, payload = send(
        live_server,
        "POST",
        "/accounts/login/",
        {
            **signed_in,
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": length,
        },
        b"username=bob%40acme.test&password=x",
    )
    assert status == 400
    assert headers["content-type"].startswith("text/plain")
    assert MALFORMED_CONTENT_LENGTH in payload.decode()
