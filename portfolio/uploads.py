"""The upload size cap, enforced while the body is parsed, and uploads kept in memory.

Django never caps an uploaded file's size (FILE_UPLOAD_MAX_MEMORY_SIZE only
decides when it spools to disk). `CappedUploadHandler` is the only handler of
the requests that take uploads: it keeps the file in memory up to
UPLOAD_MAX_BYTES and drops every byte past it, so the file arrives as an
`OversizedUpload` that the form refuses with a clear error. The rest of the
form's fields are still parsed, so the page can show them again.

Why memory and not a spool folder: the cap (10 MB by default) is small
enough to hold, and a file that never reaches the disk cannot be left behind
by a server killed in the middle of an upload, nor needs a folder cleared at
start. The cap holds over the whole request, however many file parts it has,
so one request keeps at most UPLOAD_MAX_BYTES in memory. Every other request
keeps small files in memory and drops large ones (settings.FILE_UPLOAD_HANDLERS).

Views that take uploads install it with `install_upload_cap(request)`, which
must run before anything reads request.POST: those views are csrf_exempt on
the outside and csrf_protect on the inside (Django's documented pattern for
per-view upload handlers).

Before any of that, `body_too_large(request)` refuses a request that cannot
fit: a declared Content-Length over the cap plus BODY_ALLOWANCE is refused
without reading a byte of the body. A body without a declared length (chunked:
gunicorn decodes it and says so with `wsgi.input_terminated`, but Django reads
such a body as empty) is read here up to the same limit and refused as soon as
it passes it; one that fits is handed on as an ordinary body of known length.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpRequest

from portfolio.extraction.extract import too_large_message

# Room for the form's other fields and the multipart framing on top of the
# file cap: the artifact form's text fields come to well under 16 KB, each
# part's headers to a few hundred bytes, so 64 KB refuses no honest upload of a
# file at the cap (or of several files coming to it).
BODY_ALLOWANCE = 64 * 1024
_READ_CHUNK = 64 * 1024


class OversizedUpload(SimpleUploadedFile):
    """An upload that went past the cap: its name and true size, none of its content."""

    oversized = True

    def __init__(self, name: str, content_type: str, size: int) -> None:
        super().__init__(name, b"", content_type)
        self.size = size


class CappedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.max_bytes = settings.UPLOAD_MAX_BYTES
        self.kept = 0  # bytes held for the whole request, every file together
        self.received = 0  # bytes of the current file, kept or not
        self.buffer: io.BytesIO | None = None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.buffer is not None:
            if self.received <= self.max_bytes and self.kept + len(raw_data) <= self.max_bytes:
                self.buffer.write(raw_data)
                self.kept += len(raw_data)
            else:
                self.kept -= self.buffer.tell()  # past the cap: keep none of this file
                self.buffer = None
        # None: no handler after us sees the chunk (there is none to spool it).
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | OversizedUpload:
        if self.buffer is None:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def install_upload_cap(request: HttpRequest) -> None:
    # Only a multipart body carries files. Any other form body may already have
    # been read (UnstorableInputMiddleware checks its fields for NUL), and
    # Django refuses new handlers then: installing them anyway answered 500.
    if request.content_type == "multipart/form-data":
        request.upload_handlers = [CappedUploadHandler(request)]


def body_limit() -> int:
    return settings.UPLOAD_MAX_BYTES + BODY_ALLOWANCE


def request_too_large_message() -> str:
    # The form's own message for one file past the cap, and what to do.
    return f"{too_large_message()} Choose a smaller file, or fewer files at once."


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request's body is over body_limit(), read no further than it."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared:  # its form was checked by config.content_length
        return int(declared) > body_limit()
    if not request.environ.get("wsgi.input_terminated"):
        return False  # no body, or a server that cannot say where it ends
    stream = request.environ["wsgi.input"]
    body = io.BytesIO()
    while chunk := stream.read(_READ_CHUNK):
        body.write(chunk)
        if body.tell() > body_limit():
            return True
    # Fits: from here on it is a body of known length, which Django can parse.
    length = body.tell()
    body.seek(0)
    request.META["CONTENT_LENGTH"] = str(length)
    request._stream = LimitedStream(body, length)  # type: ignore[attr-defined]
    return False
