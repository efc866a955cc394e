"""The artifact editor generated from the step's JSON Schema: fields out, JSON back.

`build_fields(schema, value, problems)` turns a schema and a value into a tree
of `Field`s that `workshops/partials/schema_field.html` renders: text as an
input (or a textarea past `TEXTAREA_FROM` characters), an enum as a select,
integers and numbers as number inputs, booleans as checkboxes, lists of text
as rows, lists of objects as repeated fieldsets, objects as fieldsets. Labels
and help come from the schema's `title` and `description`; each problem (from
`workshops.schemas.artifact_problems`) is shown next to the field at its path.

`parse(schema, data)` reads the posted fields back into JSON. It does not
validate: the service validates the whole artifact against the same schema
on every path. What cannot be converted (a number that is not one) is kept as
typed, so the schema's message names it and the form shows it again.

Input names are `f.` + the path (`f.stakeholders.0.name`); each list posts
its row count as `f.<path>~rows`, so blank rows survive a re-render. Row
buttons post `row=add:<path>`, `remove:<path>.<i>`, `up:…`, `down:…`, which
`apply_row_action` applies before the form is shown again (nothing saved).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workshops.schemas import Problem, ordered_properties, title_of

PREFIX = "f"
ROWS_SUFFIX = "~rows"
TEXTAREA_FROM = 300  # maxLength from which text gets a textarea
MAX_ROWS = 200  # a posted row count above this is not believed
ROW_ACTIONS = ("add", "remove", "up", "down")

Path = tuple[str | int, ...]


@dataclass
class Field:
    kind: str  # text, textarea, select, number, checkbox, strings, objects, object
    path: Path
    label: str
    help: str = ""
    value: Any = None
    required: bool = False
    errors: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    step: str = "1"
    minimum: Any = None
    maximum: Any = None
    children: list[Field] = field(default_factory=list)
    item_label: str = ""  # lists: what one row is ("Stakeholder")
    index: int | None = None  # a list row: its position
    row_count: int = 0  # a list: its number of rows
    last: bool = False  # a list row: the last one (no "move down")

    @property
    def name(self) -> str:
        return ".".join([PREFIX, *(str(p) for p in self.path)])

    @property
    def id(self) -> str:
        return self.name.replace(".", "-").replace("_", "-")

    @property
    def rows_name(self) -> str:
        return self.name + ROWS_SUFFIX

    @property
    def action_path(self) -> str:
        return ".".join(str(p) for p in self.path)

    @property
    def display(self) -> str:
        return "" if self.value is None else str(self.value)


def _kind(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "select"
    match schema.get("type"):
        case "integer" | "number":
            return "number"
        case "boolean":
            return "checkbox"
        case "object":
            return "object"
        case "array":
            items = schema.get("items", {})
            return "objects" if items.get("type") == "object" else "strings"
    return "textarea" if schema.get("maxLength", 0) >= TEXTAREA_FROM else "text"


def build_fields(
    schema: Mapping[str, Any], value: Any, problems: list[Problem] | None = None
) -> tuple[list[Field], list[str]]:
    """The top-level fields of `value` shaped by `schema`, and problems no field shows."""
    errors: dict[Path, list[str]] = {}
    for problem in problems or []:
        errors.setdefault(tuple(problem.path), []).append(problem.plain)
    fields = _object_fields(schema, schema, value if isinstance(value, dict) else {}, (), errors)
    left = [message for messages in errors.values() for message in messages]
    return fields, left


def _object_fields(
    root: Mapping[str, Any],
    schema: Mapping[str, Any],
    value: Mapping[str, Any],
    path: Path,
    errors: dict[Path, list[str]],
) -> list[Field]:
    required = set(schema.get("required", []))
    return [
        _field(root, prop, value.get(name), (*path, name), name in required, errors)
        for name, prop in ordered_properties(dict(schema))
    ]


def _field(
    root: Mapping[str, Any],
    schema: Mapping[str, Any],
    value: Any,
    path: Path,
    required: bool,
    errors: dict[Path, list[str]],
) -> Field:
    kind = _kind(schema)
    node = Field(
        kind=kind,
        path=path,
        label=title_of(dict(root), path),
        help=str(schema.get("description", "")),
        value=value,
        required=required,
        errors=errors.pop(path, []),
    )
    if kind == "select":
        node.choices = [str(choice) for choice in schema["enum"]]
    elif kind == "number":
        node.step = "1" if schema.get("type") == "integer" else "any"
        node.minimum, node.maximum = schema.get("minimum"), schema.get("maximum")
    elif kind == "object":
        node.children = _object_fields(
            root, schema, value if isinstance(value, dict) else {}, path, errors
        )
    elif kind in ("strings", "objects"):
        items_schema = schema.get("items", {})
        node.item_label = str(items_schema.get("title", "Item"))
        rows = value if isinstance(value, list) else []
        node.row_count = len(rows)
        for i, item in enumerate(rows):
            row = _field(root, items_schema, item, (*path, i), False, errors)
            row.label = f"{node.item_label} {i + 1}"
            row.index, row.last = i, i == len(rows) - 1
            node.children.append(row)
    return node


# --- posted fields back to JSON ---------------------------------------------------------


_ABSENT: Any = object()


def parse(schema: Mapping[str, Any], data: Mapping[str, Any], *, keep_blank: bool) -> dict:
    """The artifact the posted fields spell. `keep_blank` keeps empty list rows (for a
    re-render after a row action); a save drops them."""
    value = _parse(schema, data, (), keep_blank)
    return value if isinstance(value, dict) else {}


def _name(path: Path) -> str:
    return ".".join([PREFIX, *(str(p) for p in path)])


def _parse(schema: Mapping[str, Any], data: Mapping[str, Any], path: Path, keep: bool) -> Any:
    kind = _kind(schema)
    if kind == "object":
        result: dict[str, Any] = {}
        required = set(schema.get("required", []))
        for name, prop in ordered_properties(dict(schema)):
            item = _parse(prop, data, (*path, name), keep)
            # An optional list left empty is left out, as an optional text is.
            if item is not _ABSENT and (item != [] or name in required):
                result[name] = item
        return result
    if kind in ("strings", "objects"):
        try:
            count = min(int(data.get(_name(path) + ROWS_SUFFIX, 0)), MAX_ROWS)
        except (TypeError, ValueError):
            count = 0
        items = [_parse(schema.get("items", {}), data, (*path, i), keep) for i in range(count)]
        if kind == "objects":
            return [i for i in items if keep or (isinstance(i, dict) and i)]
        return [("" if i is _ABSENT else i) for i in items if keep or i is not _ABSENT]
    if kind == "checkbox":
        return _name(path) in data
    raw = data.get(_name(path))
    text = "" if raw is None else str(raw).strip()
    if not text:
        return _ABSENT
    if kind == "number":
        try:
            return int(text) if schema.get("type") == "integer" else float(text)
        except ValueError:
            return text  # kept as typed; the schema says it must be a number
    return text


# --- row actions ------------------------------------------------------------------------


def _split(path: str) -> Path:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".") if p)


def _blank(schema: Mapping[str, Any]) -> Any:
    return {} if schema.get("type") == "object" else ""


def apply_row_action(schema: Mapping[str, Any], value: dict, action: str) -> dict:
    """`value` with one list changed by a row button (`add:evidence`, `up:ideas.2`, …).

    An action that names no list (a stale or forged button) changes nothing.
    """
    verb, _, target = action.partition(":")
    path = _split(target)
    if verb not in ROW_ACTIONS or not path:
        return value
    value = copy.deepcopy(value)
    list_path = path if verb == "add" else path[:-1]
    container: Any = value
    sub: Mapping[str, Any] = schema
    for part in list_path:
        sub = sub.get("items", {}) if isinstance(part, int) else sub.get("properties", {}).get(part)
        if sub is None:
            return value
        if isinstance(container, dict) and isinstance(part, str):
            if part not in container and part == list_path[-1]:
                container[part] = []
            container = container.get(part)
        elif isinstance(container, list) and isinstance(part, int) and part < len(container):
            container = container[part]
        else:
            return value
    if not isinstance(container, list) or sub.get("type") != "array":
        return value
    if verb == "add":
        container.append(_blank(sub.get("items", {})))
        return value
    index = path[-1]
    if not isinstance(index, int) or index >= len(container):
        return value
    if verb == "remove":
        container.pop(index)
    elif verb == "up" and index > 0:
        container[index - 1], container[index] = container[index], container[index - 1]
    elif verb == "down" and index < len(container) - 1:
        container[index + 1], container[index] = container[index], container[index + 1]
    return value
