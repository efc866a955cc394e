"""The one interface to a language model, shared by workshops and crm_artifacts.

`get_assistant()` (assistant/__init__.py) returns the offline, deterministic
provider unless ASSISTANT_BASE_URL selects the OpenAI-compatible HTTP one.
Providers raise `AssistantError` (with a message fit for a person) for every
failure, including timeouts, so callers can keep what the user typed and say
the reply failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict


class AssistantError(Exception):
    """The assistant could not answer; `str(error)` is shown to the user."""


class AssistantTimeout(AssistantError):
    pass


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class FieldSpec:
    """A profile field the assistant may propose a value for (CRM)."""

    key: str
    label: str
    kind: str = "text"  # text, email, phone, date, integer, choice
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProposedEdit:
    """One value the assistant found in meeting notes."""

    field_key: str
    proposed_value: Any
    source_text: str
    confidence: Literal["high", "medium", "low"]


@dataclass(frozen=True)
class Extraction:
    edits: list[ProposedEdit]
    # Follow-up questions for the RM; ephemeral by design (never stored).
    nudges: list[str] = field(default_factory=list)


class Assistant(Protocol):
    name: str
    offline: bool

    def reply(self, messages: list[Message], context: str) -> str:
        """The assistant's next chat message given the conversation and its context."""
        ...

    def summarize(self, messages: list[Message]) -> str:
        """A short summary of a conversation."""
        ...

    def extract_artifact(self, messages: list[Message], schema: dict[str, Any]) -> dict[str, Any]:
        """A structured artifact proposed from a conversation, shaped by a JSON Schema."""
        ...

    def extract_profile_edits(self, notes: str, fields: list[FieldSpec]) -> Extraction:
        """Profile values found in meeting notes, one per field at most."""
        ...
