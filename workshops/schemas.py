"""Artifacts against their step's JSON Schema (Draft 2020-12), and artifacts as text.

`artifact_errors` turns jsonschema's errors into one message per problem, each
naming the field by its path (`stakeholders[1].influence`), so the editor can
say exactly what to fix. `format_artifact` is how an artifact reads in the
assistant's context (and in the context preview).
"""

from __future__ import annotations

from collections.abc import Iterable
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


def _describe(error: SchemaError) -> list[str]:
    where = list(error.absolute_path)
    path = field_path(where)
    value = error.validator_value
    match error.validator:
        case "required":
            present = error.instance if isinstance(error.instance, dict) else {}
            return [
                f"{field_path([*where, key])}: is required." for key in value if key not in present
            ]
        case "additionalProperties":
            known = error.schema.get("properties", {})
            extra = sorted(k for k in error.instance if k not in known)
            return [
                f"{field_path([*where, key])}: is not a field of this artifact." for key in extra
            ]
        case "type":
            types = [value] if isinstance(value, str) else value
            return [f"{path}: must be {' or '.join(TYPE_NAMES.get(t, t) for t in types)}."]
        case "enum":
            return [f"{path}: must be one of {', '.join(str(v) for v in value)}."]
        case "minLength":
            return [
                f"{path}: must not be empty."
                if value == 1
                else f"{path}: needs at least {value} characters."
            ]
        case "maxLength":
            return [f"{path}: has at most {value} characters."]
        case "minItems":
            return [f"{path}: needs at least {value} item{'s' if value != 1 else ''}."]
        case "maxItems":
            return [f"{path}: has at most {value} items."]
        case "minimum":
            return [f"{path}: must be at least {value}."]
        case "maximum":
            return [f"{path}: must be at most {value}."]
        case "pattern":
            hint = error.schema.get("description", "").rstrip(".")
            return [f"{path}: has the wrong format{f' ({hint})' if hint else ''}."]
    return [f"{path}: {error.message}"]


def artifact_errors(schema: dict[str, Any], artifact: Any) -> list[str]:
    """Every way `artifact` breaks `schema`, one message per field, in path order."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(artifact), key=lambda e: [str(p) for p in e.path])
    messages: list[str] = []
    for error in errors:
        for message in _describe(error):
            if message not in messages:
                messages.append(message)
    return messages


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
