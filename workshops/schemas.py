"""Artifacts against their step's JSON Schema (Draft 2020-12), and artifacts as text.

`artifact_errors` turns jsonschema's errors into one message per problem, each
naming the field by its path (`stakeholders[1].influence`), so the editor can
say exactly what to fix. `format_artifact` is how an artifact reads in the
assistant's context (and in the context preview).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

TOP_LEVEL = "(top level)"
TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "an object",
    "boolean": "true or false",
    "null": "null",
}


def field_path(parts: Iterable[str | int]) -> str:
    """`["stakeholders", 0, "name"]` -> `stakeholders[0].name`; empty -> "(top level)"."""
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or TOP_LEVEL


@dataclass(frozen=True)
class Problem:
    """One way an artifact breaks its schema, for the JSON editor and for the form."""

    path: tuple[str | int, ...]
    message: str  # names the field by path: `stakeholders[1].influence: must be one of …`
    plain: str  # said next to the field: `Influence must be one of: low, medium, high.`


def subschema(schema: dict[str, Any], path: Iterable[str | int]) -> dict[str, Any]:
    """The part of `schema` that describes the value at `path` ({} when there is none)."""
    for part in path:
        schema = (
            schema.get("items", {})
            if isinstance(part, int)
            else schema.get("properties", {}).get(part, {})
        )
    return schema


def title_of(schema: dict[str, Any], path: tuple[str | int, ...]) -> str:
    """What a person calls the field at `path`: its schema title, else its name in words."""
    title = subschema(schema, path).get("title")
    if title:
        return str(title)
    names = [p for p in path if isinstance(p, str)]
    return names[-1].replace("_", " ").capitalize() if names else "The artifact"


def _plural(count: int, noun: str) -> str:
    if count == 1:
        return f"one {noun}"
    return f"{count} {noun if noun.endswith('s') else noun + 's'}"


def _describe(schema: dict[str, Any], error: SchemaError) -> list[Problem]:
    where = tuple(error.absolute_path)
    path = field_path(where)
    title = title_of(schema, where)
    value = error.validator_value

    def one(message: str, plain: str) -> list[Problem]:
        return [Problem(where, f"{path}: {message}", plain)]

    match error.validator:
        case "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            return [
                Problem(
                    (*where, key),
                    f"{field_path([*where, key])}: is required.",
                    f"{title_of(schema, (*where, key))} is required.",
                )
                for key in value
                if key not in present
            ]
        case "additionalProperties":
            known = error.schema.get("properties", {})
            extra = sorted(k for k in error.instance if k not in known)
            return [
                Problem(
                    (*where, key),
                    f"{field_path([*where, key])}: is not a field of this artifact.",
                    f"“{key}” is not a field of this artifact.",
                )
                for key in extra
            ]
        case "type":
            types = [value] if isinstance(value, str) else value
            kind = " or ".join(TYPE_NAMES.get(t, t) for t in types)
            return one(f"must be {kind}.", f"{title} must be {kind}.")
        case "enum":
            choices = ", ".join(str(v) for v in value)
            return one(f"must be one of {choices}.", f"{title} must be one of: {choices}.")
        case "minLength":
            if value == 1:
                return one("must not be empty.", f"{title} must not be empty.")
            return one(
                f"needs at least {value} characters.",
                f"{title} needs at least {value} characters.",
            )
        case "maxLength":
            return one(
                f"has at most {value} characters.", f"{title} has at most {value} characters."
            )
        case "minItems":
            item = str(subschema(schema, (*where, 0)).get("title", "item")).lower()
            return one(
                f"needs at least {value} item{'s' if value != 1 else ''}.",
                f"Add at least {_plural(value, item)}.",
            )
        case "maxItems":
            item = str(subschema(schema, (*where, 0)).get("title", "item")).lower()
            return one(
                f"has at most {value} items.", f"{title} holds at most {_plural(value, item)}."
            )
        case "minimum":
            return one(f"must be at least {value}.", f"{title} must be at least {value}.")
        case "maximum":
            return one(f"must be at most {value}.", f"{title} must be at most {value}.")
        case "pattern":
            hint = error.schema.get("description", "").rstrip(".")
            hint = f" ({hint})" if hint else ""
            return one(f"has the wrong format{hint}.", f"{title} has the wrong format{hint}.")
    return one(error.message, f"{title}: {error.message}")


def artifact_problems(schema: dict[str, Any], artifact: Any) -> list[Problem]:
    """Every way `artifact` breaks `schema`, one problem per field and kind, in path order."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(artifact), key=lambda e: [str(p) for p in e.path])
    problems: list[Problem] = []
    for error in errors:
        for problem in _describe(schema, error):
            if problem.message not in (p.message for p in problems):
                problems.append(problem)
    return problems


def artifact_errors(schema: dict[str, Any], artifact: Any) -> list[str]:
    """Every way `artifact` breaks `schema`, one message per field, in path order."""
    return [problem.message for problem in artifact_problems(schema, artifact)]


def _format_value(value: Any, indent: str) -> list[str]:
    if isinstance(value, dict):
        return [
            line
            for key, item in value.items()
            for line in _format_item(str(key).replace("_", " "), item, indent)
        ]
    if isinstance(value, list):
        lines: list[str] = []
        for item in value:
            if isinstance(item, dict):
                # A list of objects: one bullet per object, its fields inline.
                inline = "; ".join(
                    f"{str(k).replace('_', ' ')}: {v}"
                    for k, v in item.items()
                    if v not in ("", None)
                )
                lines.append(f"{indent}- {inline}")
            else:
                lines.append(f"{indent}- {item}")
        return lines
    return [f"{indent}{value}"]


def format_value(value: Any) -> str:
    """A field's value as readable text (lists one item a line), for comparisons."""
    if isinstance(value, dict | list):
        return "\n".join(_format_value(value, ""))
    return "" if value is None else str(value)


def _format_item(label: str, value: Any, indent: str) -> list[str]:
    if isinstance(value, dict | list):
        return [f"{indent}{label}:", *_format_value(value, indent + "  ")]
    return [f"{indent}{label}: {value}"]


def format_artifact(*, name: str, artifact: dict[str, Any], schema: dict[str, Any]) -> str:
    """An artifact as readable text under a heading with the step's name."""
    return "\n".join([f"## {name}", *_format_value(in_schema_order(schema, artifact), "")])


def ordered_properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Properties with the required ones first, in `required` order, then the rest by name.

    Schemas are stored as JSONB, which does not keep key order; arrays keep theirs.
    """
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    rest = sorted(name for name in properties if name not in required)
    return [(name, properties[name]) for name in [*required, *rest]]


def in_schema_order(schema: dict[str, Any], value: Any) -> Any:
    """`value` with object keys in the schema's order (JSONB returns them its own way)."""
    if isinstance(value, dict):
        order = [name for name, _ in ordered_properties(schema)]
        props = schema.get("properties", {})
        keys = [k for k in order if k in value] + [k for k in value if k not in order]
        return {k: in_schema_order(props.get(k, {}), value[k]) for k in keys}
    if isinstance(value, list):
        return [in_schema_order(schema.get("items", {}), item) for item in value]
    return value


def skeleton(schema: dict[str, Any]) -> Any:
    """An empty artifact shaped like `schema`: a starting point for the JSON editor."""
    kind = schema.get("type")
    if kind == "object":
        return {name: skeleton(prop) for name, prop in ordered_properties(schema)}
    if kind == "array":
        return [skeleton(schema.get("items", {}))] if schema.get("minItems") else []
    if "enum" in schema:
        return schema["enum"][0]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return ""


def schema_fields(schema: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """The schema's fields as rows for the editor's help: path, description, required."""
    rows: list[dict[str, Any]] = []
    required = set(schema.get("required", []))
    for name, prop in ordered_properties(schema):
        path = f"{prefix}{name}"
        rows.append(
            {"path": path, "description": prop.get("description", ""), "required": name in required}
        )
        items = prop.get("items", {})
        if items.get("type") == "object":
            rows.extend(schema_fields(items, f"{path}[]."))
        elif prop.get("type") == "object":
            rows.extend(schema_fields(prop, f"{path}."))
    return rows
