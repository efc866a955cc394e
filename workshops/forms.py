"""Forms bind and shape input; the rules live in workshops.services."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django import forms

from workshops.context import REPLY_BUDGET_TOKENS
from workshops.models import MESSAGE_MAX_LENGTH, TITLE_MAX_LENGTH

ARTIFACT_INVALID_JSON = "This is not valid JSON: {problem} (line {line}, column {column})."
MAX_BUDGET_TOKENS = 200_000


class WorkshopForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH)


class MessageForm(forms.Form):
    content = forms.CharField(
        label="Your message",
        max_length=MESSAGE_MAX_LENGTH,
        # After a send, htmx swaps the form (and the Send button) anew: focus comes
        # back here for the next message (static/js/app.js).
        widget=forms.Textarea(attrs={"rows": 3, "data-swap-focus": "", "data-chat-input": ""}),
    )
    # One per form shown: the same send arriving twice stores one message.
    client_token = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput, initial=""
    )

    @property
    def fragment_key(self) -> str:
        """The fields' fragment cache key (workshops/step.html): a blank form, unbound
        and with nothing typed back, renders the same for everyone but its token."""
        return "" if self.is_bound or set(self.initial) - {"client_token"} else "blank"


def new_client_token() -> str:
    return secrets.token_urlsafe(16)


class ParticipantForm(forms.Form):
    """The facilitator's choice among the people of the tenant not yet taking part."""

    user = forms.ModelChoiceField(
        label="Add a participant",
        queryset=None,
        empty_label="Choose someone",
        error_messages={"invalid_choice": "Choose someone of your organisation."},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates


class VersionField(forms.IntegerField):
    """The version the user read (0: there was nothing saved yet)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, **kwargs)


class ArtifactForm(forms.Form):
    artifact = forms.CharField(
        label="Artifact (JSON)",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "json-editor"}),
    )
    version = VersionField()

    def clean_artifact(self) -> Any:
        text = self.cleaned_data["artifact"]
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                ARTIFACT_INVALID_JSON.format(
                    problem=error.msg, line=error.lineno, column=error.colno
                )
            ) from error


class VersionForm(forms.Form):
    """The version a generated artifact form (or a restore) was based on."""

    version = VersionField()


class SummaryForm(forms.Form):
    version = VersionField()
    # For "Save summary" (edited by hand) and "Keep mine" after a conflict; "Generate"
    # ignores it. Its length is the service's rule (a message next to the field).
    summary = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class HistoryForm(forms.Form):
    """Which two versions the history page compares (`?a=&b=`)."""

    a = forms.IntegerField(min_value=1, required=False)
    b = forms.IntegerField(min_value=1, required=False)


class BudgetForm(forms.Form):
    budget = forms.IntegerField(
        label="Token budget",
        min_value=1,
        max_value=MAX_BUDGET_TOKENS,
        required=False,
        initial=REPLY_BUDGET_TOKENS,
        help_text="Empty: no budget, everything is included.",
    )


def artifact_text(artifact: Any) -> str:
    """An artifact as the JSON editor shows it."""
    return json.dumps(artifact, indent=2, ensure_ascii=False)
