"""Which reader a file needs: its extension, confirmed by its first bytes.

The extension alone is a claim anyone can make; the magic bytes say what the
file really is. A PDF must start like a PDF, a .docx like a zip archive, and a
text file must not start like any well-known binary format.
"""

from __future__ import annotations

from pathlib import PurePath

# extension -> (reader kind, file type recorded on the artifact)
EXTENSIONS: dict[str, tuple[str, str]] = {
    ".txt": ("text", "text/plain"),
    ".md": ("text", "text/markdown"),
    ".markdown": ("text", "text/markdown"),
    ".csv": ("text", "text/csv"),
    ".html": ("html", "text/html"),
    ".htm": ("html", "text/html"),
    ".eml": ("eml", "message/rfc822"),
    ".pdf": ("pdf", "application/pdf"),
    ".docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
SUPPORTED = ", ".join(sorted({ext for ext in EXTENSIONS if ext not in {".htm", ".markdown"}}))

ZIP_MAGIC = b"PK\x03\x04"
PDF_MAGIC = b"%PDF-"
# Formats that are never text, whatever the file is called.
BINARY_MAGIC = (
    ZIP_MAGIC,
    PDF_MAGIC,
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc, .xls, .msg
    b"\x7fELF",
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",
    b"Rar!",
)


class SniffError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def extension_of(file_name: str) -> str:
    return PurePath(file_name).suffix.lower()


def sniff(file_name: str, head: bytes) -> tuple[str, str]:
    """(reader kind, file type) for a file, or SniffError("unsupported"/"mismatch")."""
    extension = extension_of(file_name)
    if extension not in EXTENSIONS:
        raise SniffError("unsupported")
    kind, file_type = EXTENSIONS[extension]
    if kind == "pdf":
        # The header may follow a little junk; readers accept it in the first KB.
        ok = PDF_MAGIC in head[:1024]
    elif kind == "docx":
        ok = head.startswith(ZIP_MAGIC)
    else:
        ok = not head.startswith(BINARY_MAGIC)
    if not ok:
        raise SniffError("mismatch")
    return kind, file_type
