"""OpenAI-compatible chat-completions provider over HTTP (stdlib only)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

from assistant.base import (
    AssistantError,
    AssistantTimeout,
    Extraction,
    FieldSpec,
    Message,
    ProposedEdit,
)

TIMEOUT_MESSAGE = "The assistant did not answer in time. Your message is saved; try again."
UNREACHABLE_MESSAGE = "The assistant could not be reached. Your message is saved; try again."
BAD_ANSWER_MESSAGE = "The assistant gave an answer we could not read. Try again."
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class HTTPAssistant:
    name = "HTTP assistant"
    offline = False

    def __init__(self, *, base_url: str, api_key: str, model: str, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.api_key = api_key
        self.model = model
        self.timeout = timeout

    def complete(self, messages: list[Message], *, json_mode: bool = False) -> str:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except TimeoutError as error:
            raise AssistantTimeout(TIMEOUT_MESSAGE) from error
        except urllib.error.HTTPError as error:
            raise AssistantError(
                f"The assistant answered with an error (HTTP {error.code}). Try again later."
            ) from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise AssistantTimeout(TIMEOUT_MESSAGE) from error
            raise AssistantError(UNREACHABLE_MESSAGE) from error
        except OSError as error:
            raise AssistantError(UNREACHABLE_MESSAGE) from error
        except http.client.HTTPException as error:
            # Not an OSError: a server that does not speak HTTP (BadStatusLine)
            # or breaks off mid-answer (IncompleteRead) would otherwise be a 500.
            raise AssistantError(BAD_ANSWER_MESSAGE) from error
        if len(raw) > MAX_RESPONSE_BYTES:
            raise AssistantError(BAD_ANSWER_MESSAGE)
        try:
            content = json.loads(raw)["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise AssistantError(BAD_ANSWER_MESSAGE) from error
        if not isinstance(content, str) or not content.strip():
            raise AssistantError(BAD_ANSWER_MESSAGE)
        return content.strip()

    def complete_json(self, messages: list[Message]) -> Any:
        text = self.complete(messages, json_mode=True)
        # Some servers wrap JSON in a fenced block despite json mode.
        text = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```")
        try:
            return json.loads(text)
        except ValueError as error:
            raise AssistantError(BAD_ANSWER_MESSAGE) from error

    def reply(self, messages: list[Message], context: str) -> str:
        system: Message = {
            "role": "system",
            "content": "You are a workshop facilitator's assistant. Context:\n" + context,
        }
        return self.complete([system, *messages])

    def summarize(self, messages: list[Message]) -> str:
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
        return self.complete(
            [
                {"role": "system", "content": "Summarise this conversation in under 150 words."},
                {"role": "user", "content": transcript},
            ]
        )

    def extract_artifact(self, messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in messages)
        result = self.complete_json(
            [
                {
                    "role": "system",
                    "content": "Return only a JSON object that satisfies this JSON Schema:\n"
                    + json.dumps(schema),
                },
                {"role": "user", "content": transcript},
            ]
        )
        if not isinstance(result, dict):
            raise AssistantError(BAD_ANSWER_MESSAGE)
        return result

    def extract_profile_edits(self, notes: str, fields: list[FieldSpec]) -> Extraction:
        catalogue = [
            {"key": f.key, "label": f.label, "kind": f.kind, "choices": list(f.choices)}
            for f in fields
        ]
        result = self.complete_json(
            [
                {
                    "role": "system",
                    "content": (
                        "From the meeting notes, find values for these customer profile fields. "
                        'Answer {"edits": [{"field_key", "proposed_value", "source_text", '
                        '"confidence": "high|medium|low"}], "nudges": [follow-up questions]}. '
                        "source_text quotes the notes verbatim. Fields: " + json.dumps(catalogue)
                    ),
                },
                {"role": "user", "content": notes},
            ]
        )
        known = {f.key for f in fields}
        try:
            edits = [
                ProposedEdit(
                    field_key=str(item["field_key"]),
                    proposed_value=item["proposed_value"],
                    source_text=str(item.get("source_text", "")),
                    confidence=item.get("confidence")
                    if item.get("confidence") in ("high", "medium", "low")
                    else "low",
                )
                for item in result.get("edits", [])
                if isinstance(item, dict) and item.get("field_key") in known
            ]
            nudges = [str(n) for n in result.get("nudges", []) if isinstance(n, str)]
        except (AttributeError, KeyError, TypeError) as error:
            raise AssistantError(BAD_ANSWER_MESSAGE) from error
        return Extraction(edits=edits, nudges=nudges)
