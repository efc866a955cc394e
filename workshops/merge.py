"""Three-way merge of two edits of one JSON object against the version both started from.

Pure functions, no database: `merge(base, theirs, mine)` is what a stale save
of an artifact (or a summary, as `{"summary": text}`) goes through.

Field by field at the top level:

- both sides agree, or only one side changed the field: that value;
- both changed a list: merged item by item (`_merge_list`), where the sides
  changed different items (or both only added items, which are all kept);
- otherwise a `Conflict` on that field, carrying base, theirs and mine, so
  nothing either side typed is lost: the caller shows it and the person chooses.

A missing key and a present one are different values (a field cleared on one
side and edited on the other is a conflict, not a silent loss).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()


@dataclass(frozen=True)
class Conflict:
    field: str
    base: Any
    theirs: Any
    mine: Any


@dataclass(frozen=True)
class MergeResult:
    value: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)
    # Fields in `value` that carry the other side's change (wholly or item by item).
    from_theirs: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


class _Unmergeable(Exception):
    pass


def _key(item: Any) -> str:
    """A hashable, order-independent spelling of a JSON value (for matching list items)."""
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def merge(base: dict[str, Any] | None, theirs: dict[str, Any], mine: dict[str, Any]) -> MergeResult:
    """Merge `mine` into `theirs` (the saved value), both edits of `base` (None: nothing saved)."""
    base = base or {}
    value: dict[str, Any] = {}
    conflicts: list[Conflict] = []
    from_theirs: list[str] = []
    # Their key order first (it is what is saved), then keys only mine has.
    names = list(theirs) + [k for k in mine if k not in theirs]
    names += [k for k in base if k not in names]
    for name in names:
        b, t, m = base.get(name, MISSING), theirs.get(name, MISSING), mine.get(name, MISSING)
        if t in (m, b):
            merged = m
        elif m == b:
            merged = t
            from_theirs.append(name)
        else:
            try:
                merged = _merge_value(b, t, m)
            except _Unmergeable:
                conflicts.append(Conflict(name, b, t, m))
                continue
            from_theirs.append(name)
        if merged is not MISSING:
            value[name] = merged
    return MergeResult(value, conflicts, from_theirs)


def _merge_value(base: Any, theirs: Any, mine: Any) -> Any:
    """Both sides changed this value differently: merge when it is safe, else raise."""
    if theirs in (mine, base):
        return mine
    if mine == base:
        return theirs
    if isinstance(theirs, list) and isinstance(mine, list):
        return _merge_list(base if isinstance(base, list) else [], theirs, mine)
    if isinstance(theirs, dict) and isinstance(mine, dict) and isinstance(base, dict):
        result = merge(base, theirs, mine)
        if result.conflicts:
            raise _Unmergeable
        return result.value
    raise _Unmergeable


def _matches(base: list[Any], other: list[Any]) -> list[tuple[int, int, int]]:
    """Matching runs (base index, other index, length) of `other` against `base`."""
    matcher = SequenceMatcher(None, [_key(x) for x in base], [_key(x) for x in other], False)
    return [(a, b, n) for a, b, n in matcher.get_matching_blocks() if n]


def _merge_list(base: list[Any], theirs: list[Any], mine: list[Any]) -> list[Any]:
    """diff3 over list items: stable runs kept, each changed region taken from the side
    that changed it; a region both changed merges only when safe (see `_merge_region`)."""
    # For each base index, where it sits in theirs and mine (when kept there).
    in_theirs = {a + i: b + i for a, b, n in _matches(base, theirs) for i in range(n)}
    in_mine = {a + i: b + i for a, b, n in _matches(base, mine) for i in range(n)}
    result: list[Any] = []
    b = t = m = 0
    while True:
        # The next base item both sides kept, in order after where we are.
        anchor = next(
            (
                i
                for i in range(b, len(base))
                if in_theirs.get(i, -1) >= t and in_mine.get(i, -1) >= m
            ),
            None,
        )
        if anchor is None:
            result += _merge_region(base[b:], theirs[t:], mine[m:])
            return result
        at, am = in_theirs[anchor], in_mine[anchor]
        result += _merge_region(base[b:anchor], theirs[t:at], mine[m:am])
        result.append(base[anchor])
        b, t, m = anchor + 1, at + 1, am + 1


def _merge_region(base: list[Any], theirs: list[Any], mine: list[Any]) -> list[Any]:
    if theirs == base:
        return mine
    if mine == base or theirs == mine:
        return theirs
    if not base:
        # Both only added here: keep both, theirs first, without doubles.
        seen = {_key(x) for x in theirs}
        return theirs + [x for x in mine if _key(x) not in seen]
    if len(base) == len(theirs) == len(mine):
        # The same items edited on both sides: merge each (objects field by field).
        return [_merge_value(b, t, m) for b, t, m in zip(base, theirs, mine, strict=True)]
    raise _Unmergeable
