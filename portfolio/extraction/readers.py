"""Turn a file's bytes into plain text, one reader per kind.

These run inside the extraction worker process (see worker.py), under its
memory and CPU limits, so they only need to bound what they *keep*: each stops
once it holds more than `max_chars` characters. Problems a user can fix raise
`ReadError` with a code the parent maps to a message.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from html import unescape


class ReadError(Exception):
    """A file we cannot read; `code` is one of the keys of extraction.MESSAGES."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Limits:
    max_chars: int = 100_000
    max_pdf_pages: int = 500
    max_docx_bytes: int = 50 * 1024 * 1024
    max_docx_members: int = 1000


@dataclass
class Collected:
    """Text gathered up to a limit; `truncated` says whether more was left."""

    max_chars: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    @property
    def full(self) -> bool:
        return self.size > self.max_chars

    def add(self, text: str) -> None:
        if self.full:
            self.truncated = True
            return
        # Keep a little more than the budget: cleaning may still drop some.
        room = self.max_chars - self.size + 1000
        if len(text) > room:
            text, self.truncated = text[:room], True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        text = clean_text("".join(self.parts))
        if len(text) > self.max_chars:
            self.truncated = True
            text = text[: self.max_chars]
        return text


# Control characters other than tab and newline, plus lone surrogates and
# private-use code points: what binary data decoded as text looks like.
_UNWANTED_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
_KEEP = {"\n", "\t"}
_BLANK_LINES = re.compile(r"\n{3,}")
# Starts only where a run of spaces starts, and never gives spaces back: the
# plain `[ \t]+\n` retried a run not ended by a newline from each of its
# characters, quadratic in the run (a 1 MB upload of spaces took minutes).
_TRAILING_SPACE = re.compile(r"(?<![ \t])[ \t]++\n")


def clean_text(text: str) -> str:
    """Printable text only: no NULs, escapes or stray bytes reach the page."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = "".join(
        ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in _UNWANTED_CATEGORIES
    )
    text = _TRAILING_SPACE.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def decode_text(data: bytes) -> str:
    """Decode a text file, refusing what is really binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ReadError("not_text") from error
    if b"\x00" in data[:65536]:
        raise ReadError("not_text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Windows files; cp1252 decodes nearly anything, so check below
        # that the result still looks like text.
        text = data.decode("cp1252", errors="replace")
    sample = text[:65536]
    odd = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    )
    # A stray escape or two is fine (cleaned later); a stream of them is binary.
    if odd > max(8, len(sample) * 0.02):
        raise ReadError("not_text")
    return text


def read_plain(data: bytes, limits: Limits) -> Collected:
    out = Collected(limits.max_chars)
    out.add(decode_text(data))
    return out


_SKIPPED_TAGS = {"script", "style", "head", "template", "noscript"}
_BREAK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section"}
_RAW_TEXT_TAGS = {"script", "style"}  # their content is not markup: skip to the end tag
_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9:-]*)")


def html_to_text(html: str, out: Collected) -> None:
    """The text of an HTML document, without scripts, styles or the head.

    Not html.parser: Python 3.11's HTMLParser searches to the end of the input
    again for every '<' that opens no complete tag ("<a<a<a...", or a '>'
    inside quotes), so 80 kB took 15 s. Every search here starts where the
    last one ended, so the whole pass is linear. A tag ends at its first '>',
    even one inside a quoted attribute: at worst some markup shows as text.
    """
    lowered = html.lower()
    skipping = 0
    i, n = 0, len(html)

    def text(part: str) -> None:
        if part and not skipping:
            out.add(unescape(part))

    while i < n:
        start = html.find("<", i)
        if start < 0:
            text(html[i:])
            break
        text(html[i:start])
        if html.startswith("<!--", start):
            end = html.find("-->", start + 4)
            i = n if end < 0 else end + 3
            continue
        name = _TAG_NAME.match(html, start + 1)
        if name is None and html[start + 1 : start + 2] not in ("!", "?"):
            text("<")  # "a < b": a '<' that opens no tag is text
            i = start + 1
            continue
        end = html.find(">", start + 1)
        if end < 0:
            break  # a tag cut off at the end of the file holds no text
        i = end + 1
        if name is None:
            continue  # <!DOCTYPE ...>, <?xml ...?>
        tag = name[1].lower()
        opening = not name[0].startswith("/")
        closing = not opening or html[end - 1] == "/"
        if opening and tag in _SKIPPED_TAGS:
            skipping += 1
        if opening and tag in _BREAK_TAGS:
            out.add("\n")
        if closing and tag in _SKIPPED_TAGS and skipping:
            skipping -= 1
        if closing and tag in _BREAK_TAGS:
            out.add("\n")
        if opening and not closing and tag in _RAW_TEXT_TAGS:
            raw_end = lowered.find("</" + tag, i)
            i = n if raw_end < 0 else raw_end


def read_html(data: bytes, limits: Limits) -> Collected:
    out = Collected(limits.max_chars)
    html_to_text(decode_text(data), out)
    return out


_EMAIL_HEADERS = ["From", "To", "Cc", "Date", "Subject"]
# RFC 5322's line limit. The stdlib's structured header parser is quadratic in
# a header's length (20 kB of '"' in From: took 6 s), so each value is cut to
# this before it is parsed: a few milliseconds at most, for any header.
MAX_HEADER_CHARS = 998


class _BoundedHeaders(email.policy.EmailPolicy):
    """email.policy.default, parsing at most MAX_HEADER_CHARS of each header."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, str):
            value = value[:MAX_HEADER_CHARS]
        return super().header_fetch_parse(name, value)


_EMAIL_POLICY = _BoundedHeaders()


def read_eml(data: bytes, limits: Limits) -> Collected:
    decode_text(data)  # an .eml is text on the wire; refuse binary early
    message = email.message_from_bytes(data, policy=_EMAIL_POLICY)
    if not any(message.get(name) for name in ["From", "To", "Subject", "Date"]):
        raise ReadError("corrupt")
    out = Collected(limits.max_chars)
    for name in _EMAIL_HEADERS:
        value = message.get(name)
        if value:
            out.add(f"{name}: {value}\n")
    out.add("\n")
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError) as error:  # unknown charset, bad encoding
            raise ReadError("corrupt") from error
        if body.get_content_type() == "text/html":
            html_to_text(content, out)
        else:
            out.add(content)
    return out


def read_pdf(data: bytes, limits: Limits) -> Collected:
    from pypdf import PdfReader
    from pypdf.errors import (
        DependencyError,
        FileNotDecryptedError,
        LimitReachedError,
        PdfReadError,
    )

    try:
        reader = PdfReader(io.BytesIO(data))
        # Many PDFs are encrypted with an empty user password (owner
        # restrictions only, as office software exports them); those read
        # fine. Any other password: refuse, naming it.
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("encrypted")
        out = Collected(limits.max_chars)
        for number, page in enumerate(reader.pages):
            if number >= limits.max_pdf_pages:
                out.truncated = True
                break
            out.add((page.extract_text() or "") + "\n")
            if out.full:
                out.truncated = True
                break
        return out
    except ReadError:
        raise
    except FileNotDecryptedError as error:
        raise ReadError("encrypted") from error
    except DependencyError as error:
        # Only an encryption pypdf cannot undo without a missing library gets
        # here (`cryptography` is a dependency for AES): locked, not damaged.
        raise ReadError("encrypted") from error
    except LimitReachedError as error:
        # A stream that inflates past pypdf's decompression limits: a bomb,
        # answered like the .docx one, not as a damaged file.
        raise ReadError("zip_bomb") from error
    except (PdfReadError, ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        # pypdf signals a damaged file with a range of exceptions.
        raise ReadError("corrupt") from error
    except NotImplementedError as error:  # an encryption scheme pypdf does not know
        raise ReadError("encrypted") from error


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a .docx whose members are too many or unpack too large (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ReadError("corrupt") from error
    if len(members) > limits.max_docx_members:
        raise ReadError("zip_bomb")
    # ZipExtFile never inflates more than the declared size, so the declared
    # sizes bound what python-docx can unpack.
    if sum(member.file_size for member in members) > limits.max_docx_bytes:
        raise ReadError("zip_bomb")
    if "word/document.xml" not in {member.filename for member in members}:
        raise ReadError("corrupt")


def read_docx(data: bytes, limits: Limits) -> Collected:
    check_zip(data, limits)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ReadError("corrupt") from error
    except SyntaxError as error:  # lxml's XMLSyntaxError derives from it
        raise ReadError("corrupt") from error
    out = Collected(limits.max_chars)
    for block in document.iter_inner_content():
        if out.full:
            out.truncated = True
            break
        if hasattr(block, "rows"):  # a table
            for row in block.rows:
                out.add("\t".join(cell.text for cell in row.cells) + "\n")
        else:
            out.add(block.text + "\n")
    return out


READERS = {
    "text": read_plain,
    "html": read_html,
    "eml": read_eml,
    "pdf": read_pdf,
    "docx": read_docx,
}
