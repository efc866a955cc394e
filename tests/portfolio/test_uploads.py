"""Uploads never reach the disk (issue 11, point 11).

A server killed in the middle of an upload runs no clean-up, so whatever it
had spooled stays behind (a 5.6 MB copy of a user's file in /tmp). The test
looks into the spool folder while the body is still being read, which is what
a kill at that moment would leave.
"""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import FakePayload

from tests.portfolio import files
from tests.portfolio.test_views import FORM, _count, _only

pytestmark = pytest.mark.django_db

# Above Django's FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), where it would spool to
# disk, and below the cap.
BIG = 3 * 1024 * 1024


@pytest.fixture
def spool(settings, tmp_path, monkeypatch) -> list[list[str]]:
    """What the spool folder holds each time the server reads more of a request body."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    seen: list[list[str]] = []
    read = FakePayload.read

    def watching(self: FakePayload, size: int = -1, /) -> bytes:
        seen.append(os.listdir(tmp_path))
        return read(self, size)

    monkeypatch.setattr(FakePayload, "read", watching)
    return seen


def _text_file(size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile("notes.txt", (b"meeting notes " * (size // 14 + 1))[:size])


def test_an_upload_under_the_cap_is_read_without_touching_the_disk(
    alice_client, alice, in_tenant, spool
):
    response = alice_client.post("/portfolio/new/", {**FORM, "file": _text_file(BIG)})
    assert response.status_code == 302
    assert "meeting notes" in _only(alice, in_tenant).extracted_text
    assert len(spool) > 10  # the body was read in many chunks, and looked at each time
    assert all(listing == [] for listing in spool)


def test_an_upload_over_the_cap_touches_the_disk_neither(
    alice_client, alice, in_tenant, spool, settings
):
    settings.UPLOAD_MAX_BYTES = BIG
    response = alice_client.post("/portfolio/new/", {**FORM, "file": _text_file(2 * BIG)})
    assert "The file is larger than 3 MB." in response.text
    assert _count(alice, in_tenant) == 0
    assert all(listing == [] for listing in spool)


def test_a_file_posted_where_none_is_expected_is_not_spooled(client, spool):
    # Every POST's body is parsed (CSRF reads request.POST), upload view or not.
    upload = SimpleUploadedFile("big.pdf", files.pdf_bytes("x") + b" " * BIG)
    client.post("/accounts/login/", {"username": "x", "file": upload})
    assert spool
    assert all(listing == [] for listing in spool)


def test_a_request_keeps_at_most_the_cap_in_memory_over_all_its_files(
    alice_client, alice, in_tenant, settings
):
    # One file field in the form, but a crafted request can send the field
    # many times: together they may not hold more than the cap in memory.
    # (Together within the body allowance: a body past it is refused unread.)
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    parts = [_text_file(350 * 1024) for _ in range(3)]
    response = alice_client.post("/portfolio/new/", {**FORM, "file": parts})
    assert response.status_code == 200
    assert "The file is larger than 1 MB." in response.text
    assert _count(alice, in_tenant) == 0
