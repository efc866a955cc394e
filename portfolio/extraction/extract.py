"""Text extraction from uploaded files, bounded in size, time and memory.

`extract(file_name=..., data=...)` checks the size, the extension and the magic
bytes here, then hands the bytes to a child process (`worker.py`) that parses
them under an address-space and CPU limit, with a wall-clock timeout on top.
A zip bomb, a PDF built to exhaust memory or one with thousands of pages can
cost that child its life, never the web worker.

Limits come from settings (defaults below): UPLOAD_MAX_BYTES,
PORTFOLIO_EXTRACT_TIMEOUT_SECONDS, PORTFOLIO_EXTRACT_MEMORY_BYTES,
PORTFOLIO_EXTRACT_CPU_SECONDS, PORTFOLIO_PDF_MAX_PAGES,
PORTFOLIO_DOCX_MAX_BYTES, PORTFOLIO_DOCX_MAX_MEMBERS.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from portfolio.extraction.sniff import EXTENSIONS, SUPPORTED, SniffError, extension_of, sniff
from portfolio.models import FILE_NAME_MAX_LENGTH, TEXT_MAX_LENGTH

logger = logging.getLogger(__name__)

UNSUPPORTED = f"This kind of file is not supported. Upload one of: {SUPPORTED}."
MISMATCH = "The file's contents do not match its extension."
EMPTY = "The file is empty."
CORRUPT = "The file could not be read; it looks damaged."
NOT_TEXT = "The file does not look like text."
ENCRYPTED = "This PDF is password-protected. Upload a copy without a password."
ZIP_BOMB = "This document unpacks to too much data to be read safely."
TIMEOUT = "Reading the file took too long. Try a smaller file."
TOO_COMPLEX = "Reading the file needed too much memory. Try a smaller file."
NAME_TOO_LONG = f"The file name is longer than {FILE_NAME_MAX_LENGTH} characters."


def too_large_message() -> str:
    return f"The file is larger than {max_upload_bytes() / (1024 * 1024):g} MB."


MESSAGES = {
    "unsupported": UNSUPPORTED,
    "mismatch": MISMATCH,
    "empty": EMPTY,
    "corrupt": CORRUPT,
    "not_text": NOT_TEXT,
    "encrypted": ENCRYPTED,
    "zip_bomb": ZIP_BOMB,
    "timeout": TIMEOUT,
    "too_complex": TOO_COMPLEX,
}


class ExtractionError(Exception):
    """A file we refuse; `message` is for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ExtractedFile:
    file_name: str
    file_type: str
    text: str
    truncated: bool


def max_upload_bytes() -> int:
    return settings.UPLOAD_MAX_BYTES


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _worker_args(kind: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "portfolio.extraction.worker",
        kind,
        f"--memory-bytes={_setting('PORTFOLIO_EXTRACT_MEMORY_BYTES', 768 * 1024 * 1024)}",
        f"--cpu-seconds={_setting('PORTFOLIO_EXTRACT_CPU_SECONDS', 20)}",
        f"--max-chars={TEXT_MAX_LENGTH}",
        f"--max-pdf-pages={_setting('PORTFOLIO_PDF_MAX_PAGES', 500)}",
        f"--max-docx-bytes={_setting('PORTFOLIO_DOCX_MAX_BYTES', 50 * 1024 * 1024)}",
        f"--max-docx-members={_setting('PORTFOLIO_DOCX_MAX_MEMBERS', 1000)}",
    ]


def _run_worker(kind: str, data: bytes) -> dict:
    timeout = _setting("PORTFOLIO_EXTRACT_TIMEOUT_SECONDS", 30)
    try:
        completed = subprocess.run(
            _worker_args(kind),
            input=data,
            capture_output=True,
            timeout=timeout,
            cwd=settings.BASE_DIR,
            check=False,
        )
    except subprocess.TimeoutExpired as error:  # run() has killed the child
        raise ExtractionError(TIMEOUT) from error
    if completed.returncode != 0:
        # Killed by the CPU limit (SIGXCPU), out of memory inside a C
        # extension, or a parser crash on a malformed file.
        logger.warning(
            "extraction worker exited %s: %s", completed.returncode, completed.stderr[-2000:]
        )
        if completed.returncode < 0:
            raise ExtractionError(TOO_COMPLEX)
        if b"MemoryError" in completed.stderr:
            raise ExtractionError(TOO_COMPLEX)
        raise ExtractionError(CORRUPT)
    try:
        return json.loads(completed.stdout)
    except ValueError as error:
        raise ExtractionError(CORRUPT) from error


def extract(*, file_name: str, data: bytes) -> ExtractedFile:
    """The text of a file, or ExtractionError with a message for its uploader."""
    if len(file_name) > FILE_NAME_MAX_LENGTH:
        raise ExtractionError(NAME_TOO_LONG)
    if len(data) > max_upload_bytes():
        raise ExtractionError(too_large_message())
    if not data and extension_of(file_name) in EXTENSIONS:
        raise ExtractionError(EMPTY)
    try:
        kind, file_type = sniff(file_name, data[:1024])
    except SniffError as error:
        raise ExtractionError(MESSAGES[error.code]) from error
    result = _run_worker(kind, data)
    if "error" in result:
        raise ExtractionError(MESSAGES.get(result["error"], CORRUPT))
    return ExtractedFile(
        file_name=file_name,
        file_type=file_type,
        text=result["text"],
        truncated=bool(result["truncated"]),
    )


def extract_path(path: Path) -> ExtractedFile:
    """Extract a file on disk, refusing an oversized one before reading it."""
    if path.stat().st_size > max_upload_bytes():
        raise ExtractionError(too_large_message())
    return extract(file_name=path.name, data=path.read_bytes())
