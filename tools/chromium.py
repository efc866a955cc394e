"""Debian's Chromium as the browser tests and tools/screenshots.py launch it.

Playwright cannot download browsers here: /usr/bin/chromium (or CHROMIUM_PATH),
with the flags a root user on a closed network needs (docs: DESIGN.md pitfalls).
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
