"""The upload size cap, enforced while the body is parsed.

Django never caps an uploaded file's size (FILE_UPLOAD_MAX_MEMORY_SIZE only
decides when it spools to disk). `CappedUploadHandler` goes first in the
request's handlers: past UPLOAD_MAX_BYTES it stops passing chunks on, so
nothing beyond the cap is kept in memory or on disk, and the file arrives as
an `OversizedUpload` that the form refuses with a clear error. The rest of the
form's fields are still parsed, so the page can show them again.

Views that take uploads install it with `install_upload_cap(request)`, which
must run before anything reads request.POST: those views are csrf_exempt on
the outside and csrf_protect on the inside (Django's documented pattern for
per-view upload handlers).
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
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
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        # None stops the chunk here: the handlers after us keep nothing more.
        return raw_data if self.received <= self.max_bytes else None

    def file_complete(self, file_size: int) -> OversizedUpload | None:
        if self.received <= self.max_bytes:
            return None  # the next handler returns the real file
        for handler in self.request.upload_handlers if self.request else []:
            partial = getattr(handler, "file", None)
            if handler is not self and partial is not None:
                partial.close()  # frees (and deletes) the truncated copy
        return OversizedUpload(self.file_name, self.content_type, self.received)


def install_upload_cap(request: HttpRequest) -> None:
    request.upload_handlers.insert(0, CappedUploadHandler(request))
