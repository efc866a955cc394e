from __future__ import annotations

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
from portfolio.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Category, WorkArtifact

FILE_HELP = "Optional. .txt, .md, .csv, .html, .eml, .pdf or .docx; the text is read from it."

# Fields the services take as they are (the file is extracted first).
SERVICE_FIELDS = ["title", "description", "category", "artifact_date", "estimated_hours_saved"]


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
        data = {name: self.cleaned_data[name] for name in SERVICE_FIELDS}
        data["description"] = data["description"] or ""
        if self.cleaned_data.get("file"):
            data["file"] = self.cleaned_data["file"]
        return data

    @classmethod
    def initial_for(cls, artifact: WorkArtifact) -> dict[str, Any]:
        return {name: getattr(artifact, name) for name in SERVICE_FIELDS}
