"""The assistant (language model) interface. See assistant/base.py."""

from __future__ import annotations

from assistant.base import (
    Assistant,
    AssistantError,
    AssistantTimeout,
    Extraction,
    FieldSpec,
    Message,
    ProposedEdit,
)

__all__ = [
    "Assistant",
    "AssistantError",
    "AssistantTimeout",
    "Extraction",
    "FieldSpec",
    "Message",
    "ProposedEdit",
    "get_assistant",
]


def get_assistant() -> Assistant:
    """The configured provider: HTTP when ASSISTANT_BASE_URL is set, else offline."""
    from django.conf import settings

    if settings.ASSISTANT_BASE_URL:
        from assistant.http import HTTPAssistant

        return HTTPAssistant(
            base_url=settings.ASSISTANT_BASE_URL,
            api_key=settings.ASSISTANT_API_KEY,
            model=settings.ASSISTANT_MODEL,
            timeout=settings.ASSISTANT_TIMEOUT_SECONDS,
        )
    from assistant.offline import OfflineAssistant

    return OfflineAssistant()
