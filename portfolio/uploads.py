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
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest


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
