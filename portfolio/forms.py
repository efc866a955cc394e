from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from portfolio.extraction.extract import (
    EMPTY,
    ExtractedFile,
    ExtractionError,
    extract,
    too_large_message,
)
from portfolio.extraction.sniff import EXTENSIONS
from portfolio.models import (
    DESCRIPTION_MAX_LENGTH,
    EARLIEST_ARTIFACT_DATE,
    SHARE_LABEL_MAX_LENGTH,
    SHARE_MAX_DAYS,
    TITLE_MAX_LENGTH,
    Category,
    Level,
    WorkArtifact,
    latest_artifact_date,
)
from portfolio.selectors import DEFAULT_SORT
from portfolio.services import validate_fields
from portfolio.services.shares import EXPIRY_TOO_FAR

FILE_HELP = "Optional. .txt, .md, .csv, .html, .eml, .pdf or .docx; the text is read from it."

# Fields the services take as they are (the file is extracted first).
SERVICE_FIELDS = ["title", "description", "category", "artifact_date", "estimated_hours_saved"]
# What the detail page edits in place, one at a time.
EDITABLE_FIELDS = [*SERVICE_FIELDS, "file"]
NOTHING_SENT = "Nothing to change: the request held none of the artifact fields."
NO_FILES = "Choose one or more files."
SORT_LABELS = {
    "-date": "Newest first",
    "date": "Oldest first",
    "title": "Title A to Z",
    "-title": "Title Z to A",
    "-hours": "Most hours",
    "hours": "Fewest hours",
    "category": "Category A to Z",
    "-category": "Category Z to A",
}


def _limit_dates(field: forms.Field) -> None:
    # The browser's date picker offers only dates the service accepts.
    field.widget.attrs.update(
        min=EARLIEST_ARTIFACT_DATE.isoformat(), max=latest_artifact_date().isoformat()
    )


class ArtifactForm(forms.Form):
    """Binds and shapes input, and turns an upload into text; rules live in services."""

    title = forms.CharField(max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    category = forms.ChoiceField(choices=Category.choices, initial=Category.DOCUMENT)
    artifact_date = forms.DateField(
        label="Date of the work",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    estimated_hours_saved = forms.FloatField(
        label="Hours it took (that AI now saves)",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0"}),
    )
    file = forms.FileField(
        required=False,
        help_text=FILE_HELP,
        error_messages={"empty": EMPTY},
        widget=forms.FileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )

    def __init__(
        self, *args: Any, only: Iterable[str] | None = None, partial: bool = False, **kwargs: Any
    ) -> None:
        """`only`: show and take just these fields (editing one in place).
        `partial`: a bound form takes the fields the request sent and leaves the
        rest alone, so a post of only `title` changes only the title."""
        super().__init__(*args, **kwargs)
        keep = set(self.fields if only is None else only)
        if partial and self.is_bound:
            keep &= {*self.data.keys(), *self.files.keys()}
        self.fields = {name: field for name, field in self.fields.items() if name in keep}
        self.partial = partial
        if only is not None:
            # One field edited in place: the cursor goes straight to it (htmx
            # honours autofocus in swapped content).
            for field in self.fields.values():
                field.widget.attrs["autofocus"] = True
        if "artifact_date" in self.fields:
            _limit_dates(self.fields["artifact_date"])

    def clean(self) -> dict[str, Any]:
        if self.partial and not self.fields:
            raise ValidationError(NOTHING_SENT)
        return super().clean()

    def clean_file(self) -> ExtractedFile | None:
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if getattr(upload, "oversized", False):
            raise ValidationError(too_large_message())
        try:
            return extract(file_name=upload.name, data=upload.read())
        except ExtractionError as error:
            raise ValidationError(error.message) from error

    def service_kwargs(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in SERVICE_FIELDS if name in self.fields}
        if "description" in data:
            data["description"] = data["description"] or ""
        if self.cleaned_data.get("file"):
            data["file"] = self.cleaned_data["file"]
        return data

    @classmethod
    def initial_for(cls, artifact: WorkArtifact) -> dict[str, Any]:
        return {name: getattr(artifact, name) for name in SERVICE_FIELDS}


class ListFiltersForm(forms.Form):
    """The list's GET parameters: search, sort, category and date range.

    A value that does not parse is left out of the filter (and said so next to
    its field); the page never fails over a hand-edited URL.
    """

    q = forms.CharField(required=False, label="Search", strip=False)
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *Category.choices]
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, label) for key, label in SORT_LABELS.items()],
        initial=DEFAULT_SORT,
    )

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:200]  # a search is a few words; ignore the rest

    def filters(self) -> dict[str, Any]:
        """The valid parameters, as selectors.artifact_list takes them."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "q": data.get("q", ""),
            "sort": data.get("sort") or DEFAULT_SORT,
            "category": data.get("category", ""),
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
        }

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (a search, a category or a date)."""
        data = self.filters()
        return any(data.get(name) for name in ("q", "category", "date_from", "date_to"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(EXTENSIONS)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        # Each file is checked on its own later (services.artifacts_create_from_files),
        # so one empty or oversized file does not refuse the others here.
        return [file for file in files if file]


class UploadFilesForm(forms.Form):
    """Several files at once; each becomes an artifact (through artifact_create)."""

    files = MultipleFileField(
        label="Files",
        help_text=".txt, .md, .csv, .html, .eml, .pdf or .docx. Each file becomes one artifact, "
        "titled from its name.",
    )
    category = forms.ChoiceField(
        required=False,
        choices=[("", "By file type (email for .eml, document otherwise)"), *Category.choices],
    )
    artifact_date = forms.DateField(
        label="Date of the work",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artifact_date"].initial = latest_artifact_date
        _limit_dates(self.fields["artifact_date"])

    def clean_files(self) -> list[Any]:
        files = self.cleaned_data["files"]
        if not files:
            raise ValidationError(NO_FILES)
        return files

    def clean_artifact_date(self) -> Any:
        # The service's rule, checked once here rather than refused per file.
        day = self.cleaned_data["artifact_date"]
        try:
            validate_fields({"artifact_date": day})
        except ValidationError as error:
            raise ValidationError(error.message_dict["artifact_date"]) from error
        return day


class ConfirmSkillForm(forms.Form):
    """Confirm a suggested skill onto my profile: the evidence and my level."""

    skill = forms.IntegerField(widget=forms.HiddenInput)
    artifacts = forms.MultipleChoiceField(
        label="Evidence", widget=forms.CheckboxSelectMultiple, required=False
    )
    level = forms.ChoiceField(label="Your level", choices=Level.choices, initial=Level.PROFICIENT)

    def __init__(self, *args: Any, choices: Iterable[WorkArtifact] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artifacts"].choices = [
            (a.pk, f"{a.title} ({a.artifact_date:%b %Y})") for a in choices
        ]


class LevelForm(forms.Form):
    level = forms.ChoiceField(label="Level", choices=Level.choices)


class ShareForm(forms.Form):
    """A new read-only link: the whole portfolio or chosen artifacts, optional expiry."""

    label = forms.CharField(
        label="Label",
        max_length=SHARE_LABEL_MAX_LENGTH,
        required=False,
        help_text="Optional: who the link is for, so you can tell your links apart.",
    )
    scope = forms.ChoiceField(
        label="What to share",
        choices=[("all", "My whole portfolio"), ("chosen", "Only the artifacts I choose")],
        initial="all",
        widget=forms.RadioSelect,
    )
    artifacts = forms.MultipleChoiceField(
        label="Artifacts", widget=forms.CheckboxSelectMultiple, required=False
    )
    include_skills = forms.BooleanField(
        label="Include my confirmed skills", required=False, initial=True
    )
    expires_on = forms.DateField(
        label="Expires after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the link stops working at the end of this day (UTC).",
    )

    def __init__(self, *args: Any, choices: Iterable[WorkArtifact] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artifacts"].choices = [(a.pk, a.title) for a in choices]

    def clean_expires_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("expires_on")
        # The service checks the instant; a date years away (9999-12-31) must be
        # refused here, before the end of its day overflows a datetime.
        if day and day > datetime.date.today() + datetime.timedelta(days=SHARE_MAX_DAYS):
            raise ValidationError(EXPIRY_TOO_FAR)
        return day

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        expires_on = data.get("expires_on")
        return {
            "label": data["label"],
            "whole_portfolio": data["scope"] == "all",
            "artifact_ids": data["artifacts"],
            "include_skills": data["include_skills"],
            "expires_at": (
                datetime.datetime.combine(
                    expires_on + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
                )
                if expires_on
                else None
            ),
        }
