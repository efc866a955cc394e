"""Text extraction from fixture files the tests generate, and every file we refuse."""

from __future__ import annotations

import time

import pytest

from portfolio.extraction import extract as extraction
from portfolio.extraction.extract import ExtractionError, extract
from portfolio.extraction.readers import clean_text
from tests.portfolio import files


def _refusal(file_name: str, data: bytes) -> str:
    """The message a refused file gets (fails the test if the file is accepted)."""
    with pytest.raises(ExtractionError) as excinfo:
        extract(file_name=file_name, data=data)
    return excinfo.value.message


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("name", "data", "expected", "file_type"),
    [
        ("notes.txt", b"Plain notes\r\nsecond line", "Plain notes\nsecond line", "text/plain"),
        (
            "readme.md",
            "# Heading\n\n* caf\u00e9".encode(),
            "# Heading\n\n* caf\u00e9",
            "text/markdown",
        ),
        ("data.csv", b"name,hours\nreport,3\n", "name,hours\nreport,3", "text/csv"),
        (
            "legacy.txt",
            "na\u00efve r\u00e9sum\u00e9".encode("cp1252"),
            "na\u00efve r\u00e9sum\u00e9",
            "text/plain",
        ),
    ],
)
def test_text_files(name, data, expected, file_type):
    result = extract(file_name=name, data=data)
    assert (result.text, result.file_type, result.file_name) == (expected, file_type, name)
    assert not result.truncated


def test_html_keeps_the_text_and_drops_tags_scripts_and_styles():
    html = (
        b"<html><head><title>T</title><style>p{}</style></head><body>"
        b"<h1>Offer</h1><p>Dear <b>customer</b>,</p><script>alert(1)</script>"
        b"<p>Price &amp; terms</p></body></html>"
    )
    result = extract(file_name="offer.html", data=html)
    assert result.text == "Offer\n\nDear customer,\n\nPrice & terms"
    assert result.file_type == "text/html"


def test_eml_gives_headers_and_the_text_body():
    result = extract(
        file_name="follow-up.eml", data=files.eml_bytes("Renewal", "Thanks for the call.")
    )
    assert "Subject: Renewal" in result.text
    assert "From: Alice Archer <alice@acme.test>" in result.text
    assert result.text.endswith("Thanks for the call.")
    assert result.file_type == "message/rfc822"


def test_pdf_text_from_every_page():
    result = extract(file_name="report.pdf", data=files.pdf_bytes("First page", "Second (page)"))
    assert "First page" in result.text
    assert "Second (page)" in result.text
    assert result.file_type == "application/pdf"


def test_docx_paragraphs_and_tables():
    data = files.docx_bytes("Board report", "Revenue grew.", table=[["Q1", "10"], ["Q2", "12"]])
    result = extract(file_name="board.docx", data=data)
    assert result.text == "Board report\nRevenue grew.\nQ1\t10\nQ2\t12"
    assert result.file_type == DOCX_TYPE


def test_text_over_100000_characters_is_cut_and_flagged():
    result = extract(file_name="long.txt", data=b"a" * 150_000)
    assert len(result.text) == 100_000
    assert result.truncated


def test_a_pdf_with_thousands_of_pages_reads_only_the_page_cap(settings):
    settings.PORTFOLIO_PDF_MAX_PAGES = 50
    result = extract(file_name="blank.pdf", data=files.blank_pages_pdf_bytes(3000))
    assert result.text == ""
    assert result.truncated


def test_control_characters_never_reach_the_text():
    assert clean_text("ok\x07\x1b[31m\ufffe\ue000 fine\u200b") == "ok[31m fine\u200b"
    result = extract(file_name="log.txt", data=b"line one\x1b[0m\x08\nline two")
    assert result.text == "line one[0m\nline two"


def test_html_of_unmatched_markup_is_read_in_linear_time():
    # Python 3.11's HTMLParser searched to the end again for each tag it could
    # not close: these 80 kB took 12 s of the extraction child's CPU.
    data = b"<p>Intro &amp; more</p> a < b " + b"<a b='>'" * 10_000
    started = time.perf_counter()
    result = extract(file_name="page.html", data=data)
    assert time.perf_counter() - started < 3.0
    assert result.text.startswith("Intro & more\n a < b")


def test_mail_with_a_huge_address_header_is_read_in_linear_time():
    # The stdlib's address parser is quadratic in a header's length: 12 s here.
    data = files.eml_bytes("Renewal", "Thanks for the call.").replace(
        b"To: Bob Baker <bob@acme.test>", b"To: " + b'"' * 40_000
    )
    started = time.perf_counter()
    result = extract(file_name="mail.eml", data=data)
    assert time.perf_counter() - started < 3.0
    assert "Subject: Renewal" in result.text
    assert "Thanks for the call." in result.text


def test_a_long_run_of_spaces_is_cleaned_in_linear_time():
    # Issue 11, point 3, on the upload path: trailing-space removal retried a run
    # of spaces not ended by a newline from each of its characters (25 s here).
    text = "word" + " " * 200_000 + "end\n"
    started = time.perf_counter()
    assert clean_text(text) == text.strip()
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", extraction.EMPTY),
        ("empty.pdf", b"", extraction.EMPTY),
        ("tool.exe", b"MZ\x90\x00", extraction.UNSUPPORTED),
        ("no-extension", b"text", extraction.UNSUPPORTED),
        ("report.docx", files.pdf_bytes("I am a PDF"), extraction.MISMATCH),
        ("report.pdf", b"PK\x03\x04 not a pdf", extraction.MISMATCH),
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00", extraction.MISMATCH),
        ("binary.txt", b"abc\x00\x01\x02def" * 10, extraction.NOT_TEXT),
        ("noise.csv", bytes(range(256)) * 4, extraction.NOT_TEXT),
        ("broken.pdf", files.corrupt_pdf_bytes(), extraction.CORRUPT),
        ("locked.pdf", files.encrypted_pdf_bytes("secret text"), extraction.ENCRYPTED),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 100, extraction.CORRUPT),
        ("mail.eml", b"just some words, no headers", extraction.CORRUPT),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name, data, message):
    assert _refusal(name, data) == message


# Built when the test runs, not at collection: pypdf needs `cryptography` to write AES.
LOCKED_PDFS = {
    "RC4-128": lambda: files.encrypted_pdf_bytes("secret text"),
    "AES-128": lambda: files.encrypted_pdf_bytes("secret text", algorithm="AES-128"),
    "AES-256": lambda: files.encrypted_pdf_bytes(
        "secret text", owner_password="owner", algorithm="AES-256"
    ),
}


@pytest.mark.parametrize("algorithm", list(LOCKED_PDFS))
def test_a_pdf_with_a_user_password_is_named_password_protected(algorithm):
    assert _refusal("locked.pdf", LOCKED_PDFS[algorithm]()) == extraction.ENCRYPTED


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_with_only_an_owner_password_is_read(algorithm):
    # What office software exports with restrictions: it opens without a password.
    data = files.encrypted_pdf_bytes(
        "Quarterly revenue", password="", owner_password="owner", algorithm=algorithm
    )
    assert extract(file_name="exported.pdf", data=data).text == "Quarterly revenue"


def test_a_flate_bomb_pdf_is_named_too_large_like_a_docx_bomb():
    bomb = files.flate_bomb_pdf_bytes()
    assert len(bomb) < 1024 * 1024
    assert _refusal("bomb.pdf", bomb) == extraction.ZIP_BOMB


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return files.zip_bomb_docx_bytes()


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(zip_bomb):
    assert len(zip_bomb) < 1024 * 1024
    assert _refusal("bomb.docx", zip_bomb) == extraction.ZIP_BOMB


def test_a_docx_with_too_many_parts_is_refused(settings):
    settings.PORTFOLIO_DOCX_MAX_MEMBERS = 5
    assert _refusal("many.docx", files.docx_bytes("hello")) == extraction.ZIP_BOMB


def test_the_memory_limit_stops_a_parser_that_needs_too_much(settings, zip_bomb):
    # Raise the unpack limit so the bomb reaches python-docx; the child's
    # address-space cap must then stop it, not the web worker.
    settings.PORTFOLIO_DOCX_MAX_BYTES = 10**12
    settings.PORTFOLIO_EXTRACT_MEMORY_BYTES = 150 * 1024 * 1024
    assert _refusal("bomb.docx", zip_bomb) == extraction.TOO_COMPLEX


def test_the_wall_clock_timeout_kills_a_slow_extraction(settings):
    settings.PORTFOLIO_EXTRACT_TIMEOUT_SECONDS = 0.001
    assert _refusal("report.pdf", files.pdf_bytes("slow")) == extraction.TIMEOUT


def test_an_oversized_file_is_refused_without_parsing(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    assert _refusal("big.txt", b"a" * 1001) == "The file is larger than 0.000953674 MB."


def test_a_file_name_over_500_characters_is_refused():
    assert _refusal("n" * 497 + ".txt", b"hi") == extraction.NAME_TOO_LONG
