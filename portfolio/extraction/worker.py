"""The extraction child process: `python -m portfolio.extraction.worker KIND`.

Reads a file's bytes on stdin and writes one JSON object on stdout:
{"text": ..., "truncated": bool} or {"error": code}. It caps its own address
space and CPU time before importing any parser, so a zip bomb or a PDF built
to exhaust memory kills only this process; the parent adds a wall-clock
timeout on top. Setting the limits here rather than in `preexec_fn` keeps
spawning safe from a threaded web server.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys


def _limit(which: int, value: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    parser.add_argument("--max-chars", type=int, required=True)
    parser.add_argument("--max-pdf-pages", type=int, required=True)
    parser.add_argument("--max-docx-bytes", type=int, required=True)
    parser.add_argument("--max-docx-members", type=int, required=True)
    args = parser.parse_args(argv)

    _limit(resource.RLIMIT_AS, args.memory_bytes)
    _limit(resource.RLIMIT_CPU, args.cpu_seconds)
    _limit(resource.RLIMIT_CORE, 0)

    from portfolio.extraction.readers import READERS, Limits, ReadError

    limits = Limits(
        max_chars=args.max_chars,
        max_pdf_pages=args.max_pdf_pages,
        max_docx_bytes=args.max_docx_bytes,
        max_docx_members=args.max_docx_members,
    )
    data = sys.stdin.buffer.read()
    try:
        collected = READERS[args.kind](data, limits)
        result = {"text": collected.text(), "truncated": collected.truncated}
    except ReadError as error:
        result = {"error": error.code}
    except MemoryError:
        result = {"error": "too_complex"}
    except RecursionError:
        result = {"error": "corrupt"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
