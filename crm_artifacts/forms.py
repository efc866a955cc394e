"""Forms bind and shape input; the rules live in crm_artifacts.services."""

from __future__ import annotations

from typing import Any

from django import forms

from crm_artifacts.models import Proposal
from crm_artifacts.services import NOTES_MAX_LENGTH
from crm_artifacts.workflows import WORKFLOW_CHOICES


class NotesForm(forms.Form):
    notes = forms.CharField(
        label="Meeting notes",
        max_length=NOTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="The assistant proposes a profile change per field it finds; you decide each.",
    )
    workflow_trigger = forms.ChoiceField(
        label="When a proposal is accepted",
        choices=[("", "Do nothing more"), *WORKFLOW_CHOICES],
        required=False,
        initial="follow_up",
    )


def edit_prefix_for(pk: int) -> str:
    """The prefix of a proposal's edit form (several forms share the page)."""
    return f"a{pk}"


def edit_prefix(artifact: Proposal) -> str:
    return edit_prefix_for(artifact.pk)


class EditValueForm(forms.Form):
    """The RM's own value for one proposal, with the widget its field calls for."""

    def __init__(self, *args: Any, artifact: Proposal, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", edit_prefix(artifact))
        super().__init__(*args, **kwargs)
        field = artifact.field
        proposed = artifact.payload.get("proposed_value")
        if field is not None:
            self.fields["value"] = field.form_field(required=True, initial=proposed)
        else:  # a key no longer in the registry: still editable as text
            self.fields["value"] = forms.CharField(label=artifact.field_label, initial=proposed)
