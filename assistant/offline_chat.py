"""The offline assistant's chat: rules and extraction, no model, no network.

Deterministic by design (the same conversation always gives the same answer),
so the product works offline and tests are repeatable. It only ever reuses the
participant's own words:

- `reply` acknowledges the newest message and asks the next facilitation
  question in a fixed rotation, mentioning earlier steps' outcomes once;
- `summarize` is extractive: the first sentence of each participant message;
- `extract_artifact` fills a JSON Schema from the conversation. Lines written
  as `field name: value` go to that field; bulleted lines (`- …`, `1. …`)
  become list items (`name — detail, detail` for lists of objects);
  other sentences fill the remaining text fields in order. The result always
  satisfies the schema (it is checked, and a minimal fill replaces it if not).
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

from assistant.base import Message

FALLBACK_TEXT = "To be decided"
MAX_SUMMARY_SENTENCES = 6
QUESTIONS = [
    "What makes this matter now, and for whom?",
    "What evidence or examples do you have?",
    "What would a good outcome look like?",
    "Is anything or anyone missing from the picture so far?",
    "When you are ready, use “Extract artifact” to turn this conversation into the step's outcome.",
]
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{1,40}?)\s*[:=]\s*(.+)$")
_SEPARATORS = (" — ", " \u2013 ", " - ", ": ", "; ", ", ")  # em dash, en dash, hyphen…


def _user_texts(messages: list[Message]) -> list[str]:
    return [m["content"].strip() for m in messages if m["role"] == "user" and m["content"].strip()]


def _sentences(text: str) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        found.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return found


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def reply(messages: list[Message], context: str) -> str:
    texts = _user_texts(messages)
    if not texts:
        return "Tell me about this step: what do you want to get out of it?"
    last = _sentences(texts[-1]) or [texts[-1]]
    parts = [f"Noted: “{_clip(last[0]).rstrip('.')}”."]
    if len(texts) == 1:
        # Artifacts and summaries both head their step with "## Name".
        earlier = list(dict.fromkeys(re.findall(r"^## (.+)$", context, flags=re.MULTILINE)))
        if earlier:
            parts.append(f"I have the outcomes of earlier steps to build on: {', '.join(earlier)}.")
    if texts[-1].rstrip().endswith("?"):
        parts.append(
            "As the offline assistant I cannot look things up, but I can help you structure it."
        )
    parts.append(QUESTIONS[(len(texts) - 1) % len(QUESTIONS)])
    return " ".join(parts)


def summarize(messages: list[Message]) -> str:
    texts = _user_texts(messages)
    if not texts:
        return "No input from the participant yet."
    picked: list[str] = []
    for text in texts:
        first = (_sentences(text) or [text])[0]
        if first not in picked:
            picked.append(_clip(first, 240))
        if len(picked) == MAX_SUMMARY_SENTENCES:
            break
    sentences = " ".join(p if p.endswith((".", "!", "?", "…")) else p + "." for p in picked)
    noun = "message" if len(texts) == 1 else "messages"
    return f"The participant covered ({len(texts)} {noun}): {sentences}"


# --- extraction --------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


class _Pool:
    """The participant's words, handed out once each."""

    def __init__(self, messages: list[Message]) -> None:
        self.keyed: dict[str, list[str]] = {}
        self.items: list[str] = []  # bulleted / one-per-line entries
        self.sentences: list[str] = []
        for text in _user_texts(messages):
            lines = [line for line in text.splitlines() if line.strip()]
            for line in lines:
                match = _KEY_VALUE.match(line)
                if _BULLET.match(line):
                    self.items.append(_BULLET.sub("", line).strip())
                elif match:
                    self.keyed.setdefault(_norm(match[1]), []).append(match[2].strip())
                else:
                    self.sentences.extend(_sentences(line))
        self.used: set[str] = set()

    def keyed_for(self, name: str) -> list[str]:
        return self.keyed.get(_norm(name), [])

    def take(self, source: list[str]) -> str | None:
        for text in source:
            if text not in self.used:
                self.used.add(text)
                return text
        return None


def _fit_string(text: str, schema: dict[str, Any]) -> str | None:
    pattern = schema.get("pattern")
    if pattern:
        found = re.search(pattern.strip("^$"), text)
        return found[0] if found else None
    text = text[: schema.get("maxLength", 10_000)].strip()
    minimum = schema.get("minLength", 0)
    if len(text) < minimum:
        text = (text + " " if text else "") + FALLBACK_TEXT
        text = text.ljust(minimum, ".")
    return text


def _scalar(schema: dict[str, Any], text: str) -> Any:
    """A value for an enum/integer/number from `text`, else a middle default."""
    if "enum" in schema:
        lowered = text.lower()
        options = schema["enum"]
        return next(
            (o for o in options if re.search(rf"\b{re.escape(str(o).lower())}\b", lowered)),
            options[len(options) // 2],
        )
    low, high = schema.get("minimum", 1), schema.get("maximum", 5)
    number = re.search(r"-?\d+", text)
    # A run of thousands of digits is no answer either, and int() refuses
    # strings past 4,300 digits (a ValueError, not a slow parse).
    if number and len(number[0]) <= 18 and low <= int(number[0]) <= high:
        return int(number[0])
    return (low + high) // 2


def _ordered(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Properties, required ones first in `required` order.

    Schemas stored as JSONB lose their key order, but arrays keep theirs, so
    `required` is the only order we can rely on for "the first text field".
    """
    properties = schema.get("properties", {})
    required = [n for n in schema.get("required", []) if n in properties]
    rest = sorted(n for n in properties if n not in required)
    return [(n, properties[n]) for n in [*required, *rest]]


def _item_object(schema: dict[str, Any], line: str) -> dict[str, Any]:
    """One list entry (`Hiring managers — want faster starts, high`) as an object."""
    texts = [line]
    for separator in _SEPARATORS:
        if separator in line:
            head, tail = (part.strip() for part in line.split(separator, 1))
            texts = [head, *(t.strip() for t in tail.split(", ") if t.strip())]
            break
    result: dict[str, Any] = {}
    required = schema.get("required", [])
    for name, prop in _ordered(schema):
        if "enum" in prop or prop.get("type") in ("integer", "number"):
            keyed = re.search(rf"{re.escape(_norm(name))}\W+(\w+)", line.lower())
            result[name] = _scalar(prop, keyed[1] if keyed else line)
        elif prop.get("type") == "string":
            value = _fit_string(
                line if prop.get("pattern") else texts.pop(0) if texts else "", prop
            )
            if not value and name in required:
                value = _fit_string(
                    FALLBACK_TEXT, {k: v for k, v in prop.items() if k != "pattern"}
                )
            if value:
                result[name] = value
    return result


def _fill(schema: dict[str, Any], name: str, pool: _Pool, required: bool) -> Any:
    kind = schema.get("type")
    if kind == "object":
        needed = set(schema.get("required", []))
        result = {}
        for prop_name, prop in _ordered(schema):
            value = _fill(prop, prop_name, pool, prop_name in needed)
            if value is not None:
                result[prop_name] = value
        return result
    if kind == "array":
        item_schema = schema.get("items", {})
        lines = pool.keyed_for(name) + [i for i in pool.items if i not in pool.used]
        if not lines and schema.get("minItems", 0) > 0:
            lines = [s for s in pool.sentences if s not in pool.used][:3] or [FALLBACK_TEXT]
        lines = lines[: schema.get("maxItems", 20)]
        pool.used.update(lines)
        if item_schema.get("type") == "object":
            values = [_item_object(item_schema, line) for line in lines]
        else:
            values = [v for v in (_fit_string(line, item_schema) for line in lines) if v]
        return values if values or required else None
    if "enum" in schema or kind in ("integer", "number"):
        keyed = pool.keyed_for(name)
        # Required with no `name: value` line: _scalar's middle default.
        return _scalar(schema, keyed[0] if keyed else "") if keyed or required else None
    # A string: its own `name: value` line, else the next unused sentence if required.
    text = pool.take(pool.keyed_for(name))
    if text is None and required:
        text = pool.take(pool.sentences) or FALLBACK_TEXT
    value = _fit_string(text, schema) if text else None
    if value is None and required:
        value = _fit_string(FALLBACK_TEXT, {k: v for k, v in schema.items() if k != "pattern"})
    return value


def extract_artifact(messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
    proposal = _fill(schema, "", _Pool(messages), required=True)
    if not isinstance(proposal, dict) or not Draft202012Validator(schema).is_valid(proposal):
        # Defensive: a schema shape the rules above do not cover. Fill only
        # what is required from nothing, which the rules do handle.
        proposal = _fill(schema, "", _Pool([]), required=True)
    return proposal
