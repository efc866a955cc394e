"""The default provider: offline and deterministic, so the product works with
no network and tests are repeatable. The UI says its answers come from it."""

from __future__ import annotations

from typing import Any

from assistant.base import Extraction, FieldSpec, Message


class OfflineAssistant:
    name = "Offline assistant"
    offline = True

    def reply(self, messages: list[Message], context: str) -> str:
        from assistant.offline_chat import reply

        return reply(messages, context)

    def summarize(self, messages: list[Message]) -> str:
        from assistant.offline_chat import summarize

        return summarize(messages)

    def extract_artifact(self, messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
        from assistant.offline_chat import extract_artifact

        return extract_artifact(messages, schema)

    def extract_profile_edits(self, notes: str, fields: list[FieldSpec]) -> Extraction:
        from assistant.offline_profile import extract_profile_edits

        return extract_profile_edits(notes, fields)
