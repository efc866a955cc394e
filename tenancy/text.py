"""Text PostgreSQL can store, checked by the services.

Django's form fields refuse NUL characters, but forms are not the only way
in: the admin, commands, tasks and the JSON API call the same services, and
JSON can carry "\\u0000" and lone surrogates ("\\ud800"). PostgreSQL stores
neither, in a text column or in JSONB: left to the database, either is an
error (a 500), not a refusal a person can act on.
"""

from __future__ import annotations

import re
from typing import Any

UNSTORABLE_TEXT = (
    "This text contains a character that cannot be saved: "
    "a NUL (\\u0000) or an unpaired surrogate (\\ud800 to \\udfff)."
)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def is_storable_json(value: Any) -> bool:
    """Every string in a JSON value (object keys too) is storable."""
    pending = [value]
    while pending:  # a loop, not recursion: JSON nests as deep as the parser allows
        item = pending.pop()
        if isinstance(item, str):
            if not is_storable(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return True
