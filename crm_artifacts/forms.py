"""Forms bind and shape input; the rules live in crm_artifacts.services."""

from __future__ import annotations

from typing import Any

from django import forms

from crm_artifacts.fields import PROFILE_FIELDS
from crm_artifacts.models import ApiTokenScope, Confidence, Proposal
from crm_artifacts.selectors import PendingAge, PendingFilters, PendingSort
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


class ApiTokenForm(forms.Form):
    """A new API token for an external agent (the service validates and creates it)."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What will use it, e.g. “Inbox agent”. Shown to nobody but tenant admins.",
    )
    scopes = forms.MultipleChoiceField(
        label="Scopes",
        choices=[
            (ApiTokenScope.PROPOSE, "Propose: send proposals for any customer"),
            (ApiTokenScope.READ, "Read: read proposals, decisions and responses"),
        ],
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiTokenScope.PROPOSE, ApiTokenScope.READ],
    )


class ResponseForm(forms.Form):
    """The reviewer's note to the agent on one proposal."""

    response = forms.CharField(
        label="Note to the agent", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PendingFiltersForm(forms.Form):
    """The all-pending screen's GET parameters. A value that does not parse is left
    out of the filter (and said so next to its field): a hand-edited URL never fails."""

    # Validated as an id (a customer not the RM's simply matches nothing); the select's
    # options are the screen's customers, given after the read (`offer_customers`).
    customer = forms.IntegerField(required=False, min_value=1, widget=forms.Select)
    field = forms.ChoiceField(
        required=False, choices=[("", "Any field"), *((f.key, f.label) for f in PROFILE_FIELDS)]
    )
    confidence = forms.ChoiceField(
        required=False,
        choices=[("", "Any confidence"), *((c, c.capitalize()) for c in Confidence.ALL)],
    )
    age = forms.ChoiceField(required=False, choices=[("", "Any age"), *PendingAge.CHOICES])
    sort = forms.ChoiceField(required=False, choices=PendingSort.CHOICES)

    def __init__(self, data: Any) -> None:
        super().__init__(data, auto_id="filter-%s")

    def offer_customers(self, customers: list[Any]) -> None:
        self.fields["customer"].widget.choices = [
            ("", "Every customer"),
            *((str(c.pk), c.name) for c in customers),
        ]

    def filters(self) -> PendingFilters:
        self.is_valid()
        data = self.cleaned_data
        return PendingFilters(
            customer=data.get("customer"),
            field=data.get("field") or "",
            confidence=data.get("confidence") or "",
            age=data.get("age") or "",
            sort=data.get("sort") or PendingSort.CUSTOMER,
        )
