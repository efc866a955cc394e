"""The portfolio as CSV: the same rows as the JSON export (selectors.user_artifacts)."""

from __future__ import annotations

import csv
from typing import IO, Any

COLUMNS = [
    "id",
    "title",
    "description",
    "category",
    "artifactDate",
    "fileName",
    "fileType",
    "estimatedHoursSaved",
    "suggestedSkillIds",
    "createdAt",
]
# A cell starting with one of these is a formula to a spreadsheet: a title such
# as "=HYPERLINK(...)" must open as text, not run (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        value = " ".join(value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def write_csv(out: IO[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in COLUMNS])
