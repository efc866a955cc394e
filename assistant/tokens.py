"""The one token counter: an approximation, documented as such.

Real tokenisers differ by model; for budgeting context we only need a stable,
cheap, slightly pessimistic estimate. English text averages about four
characters per token with the common BPE tokenisers, so we count
ceil(characters / 4). Everything that budgets or reports tokens (the context
builder, summary token counts, the context preview) calls `count_tokens`, so
swapping in a real tokeniser later is a change in this file only.
"""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 4


def count_tokens(text: str) -> int:
    """Approximate number of tokens in `text` (ceil(len / 4); 0 for empty)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def truncate_to_tokens(text: str, max_tokens: int, *, marker: str = " …") -> str:
    """`text` cut to at most `max_tokens` (marker included), at a word boundary if one is near."""
    if count_tokens(text) <= max_tokens:
        return text
    room = max_tokens * CHARS_PER_TOKEN - len(marker)
    if room <= 0:
        return ""
    cut = text[:room]
    space = cut.rfind(" ")
    if space > room // 2:  # don't throw away half the room to find a space
        cut = cut[:space]
    return cut.rstrip() + marker
