"""The customer profile's fields, defined once.

The registry drives the profile's forms (admin, edit-then-accept), the
validation of every proposed or edited value, the display of values, and the
field list the assistant extracts from meeting notes. Profile values live in
`Customer.profile` (JSONB) keyed by `ProfileField.key`, always in the
normalised form `ProfileField.clean` returns, so a stored value and a proposal
compare with `==`. Adding a field is a change here, never a migration.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from assistant.base import FieldSpec
from tenancy.text import UNSTORABLE_TEXT, is_storable

KINDS = ("text", "email", "phone", "date", "integer", "choice")
PHONE_ALLOWED = re.compile(r"^\+?[\d\s().\-/]+$")
EARLIEST_BIRTH_YEAR = 1900

VALUE_REQUIRED = "Give a value."
VALUE_TOO_LONG = "At most {max_length} characters."
NOT_TEXT = "Must be text."
NOT_EMAIL = "Enter a valid email address."
NOT_PHONE = "Enter a phone number: digits, spaces, brackets or dashes, 7 to 15 digits."
NOT_DATE = "Enter a date as YYYY-MM-DD."
DATE_OUT_OF_RANGE = f"A date of birth lies between {EARLIEST_BIRTH_YEAR} and today."
NOT_INTEGER = "Enter a whole number."
INTEGER_OUT_OF_RANGE = "Enter a number from {min_value} to {max_value}."
NOT_A_CHOICE = "Choose one of: {choices}."
UNKNOWN_FIELD = "Unknown profile field “{key}”."


@dataclass(frozen=True)
class ProfileField:
    key: str
    label: str
    kind: str = "text"
    max_length: int = 200
    choices: tuple[tuple[str, str], ...] = ()  # (stored value, label)
    min_value: int = 0
    max_value: int = 0
    help_text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def clean(self, value: Any) -> Any:
        """The normalised value, or ValidationError with a message for a person."""
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValidationError(VALUE_REQUIRED)
        if self.kind == "integer":
            return self._clean_integer(value)
        if self.kind == "date" and isinstance(value, dt.date):
            value = value.isoformat()
        if not isinstance(value, str):
            raise ValidationError(NOT_TEXT)
        if not is_storable(value):  # the JSON API can send "\u0000" or "\ud800"
            raise ValidationError(UNSTORABLE_TEXT)
        value = " ".join(value.split())
        if len(value) > self.max_length:
            raise ValidationError(VALUE_TOO_LONG.format(max_length=self.max_length))
        return getattr(self, f"_clean_{self.kind}")(value)

    def _clean_text(self, value: str) -> str:
        return value

    def _clean_email(self, value: str) -> str:
        value = value.lower()
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(NOT_EMAIL) from None
        return value

    def _clean_phone(self, value: str) -> str:
        digits = re.sub(r"\D", "", value)
        if not PHONE_ALLOWED.match(value) or not 7 <= len(digits) <= 15:
            raise ValidationError(NOT_PHONE)
        # Stored as typed (spacing helps a person read it back); compared as typed.
        return value

    def _clean_date(self, value: str) -> str:
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(NOT_DATE) from None
        if not dt.date(EARLIEST_BIRTH_YEAR, 1, 1) <= day <= dt.date.today():
            raise ValidationError(DATE_OUT_OF_RANGE)
        return day.isoformat()

    def _clean_integer(self, value: Any) -> int:
        # bool is an int in Python; JSON true is not a number of dependents.
        if isinstance(value, bool):
            raise ValidationError(NOT_INTEGER)
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,6}\s*", value):
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise ValidationError(NOT_INTEGER)
        if not self.min_value <= value <= self.max_value:
            raise ValidationError(
                INTEGER_OUT_OF_RANGE.format(min_value=self.min_value, max_value=self.max_value)
            )
        return value

    def _clean_choice(self, value: str) -> str:
        for stored, label in self.choices:
            if value.lower() in (stored.lower(), label.lower()):
                return stored
        raise ValidationError(NOT_A_CHOICE.format(choices=", ".join(self.choice_values)))

    def display(self, value: Any) -> str:
        """How a stored value reads on a page ("" for no value)."""
        if value is None or value == "":
            return ""
        if self.kind == "choice":
            return dict(self.choices).get(value, str(value))
        if self.kind == "date":
            try:
                return dt.date.fromisoformat(str(value)).strftime("%-d %B %Y")
            except ValueError:
                return str(value)
        return str(value)

    def form_field(self, *, required: bool = True, initial: Any = None) -> forms.Field:
        """A form field for this profile field; `clean` still runs in the services."""
        common = {"label": self.label, "required": required, "initial": initial}
        if self.help_text:
            common["help_text"] = self.help_text
        if self.kind == "choice":
            return forms.ChoiceField(choices=[("", "—"), *self.choices], **common)
        if self.kind == "integer":
            return forms.IntegerField(min_value=self.min_value, max_value=self.max_value, **common)
        if self.kind == "date":
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if self.kind == "email":
            return forms.EmailField(max_length=self.max_length, **common)
        return forms.CharField(max_length=self.max_length, **common)

    def spec(self) -> FieldSpec:
        return FieldSpec(key=self.key, label=self.label, kind=self.kind, choices=self.choice_values)


PROFILE_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("fullName", "Full name", max_length=150),
    ProfileField("email", "Email", kind="email", max_length=254),
    ProfileField("phone", "Phone", kind="phone", max_length=30),
    ProfileField("dateOfBirth", "Date of birth", kind="date", help_text="YYYY-MM-DD"),
    ProfileField("occupation", "Occupation", max_length=120),
    ProfileField("employer", "Employer", max_length=120),
    ProfileField(
        "incomeBandAnnual",
        "Annual income band",
        kind="choice",
        choices=(
            ("under-25k", "Under 25,000"),
            ("25k-50k", "25,000 to 50,000"),
            ("50k-100k", "50,000 to 100,000"),
            ("100k-250k", "100,000 to 250,000"),
            ("250k-plus", "250,000 and over"),
        ),
    ),
    ProfileField(
        "maritalStatus",
        "Marital status",
        kind="choice",
        choices=(
            ("single", "Single"),
            ("married", "Married"),
            ("civil-partnership", "Civil partnership"),
            ("separated", "Separated"),
            ("divorced", "Divorced"),
            ("widowed", "Widowed"),
        ),
    ),
    ProfileField("dependents", "Dependents", kind="integer", min_value=0, max_value=20),
    ProfileField(
        "riskTolerance",
        "Risk tolerance",
        kind="choice",
        choices=(
            ("conservative", "Conservative"),
            ("moderate", "Moderate"),
            ("aggressive", "Aggressive"),
        ),
    ),
    ProfileField(
        "preferredContact",
        "Preferred contact",
        kind="choice",
        choices=(
            ("email", "Email"),
            ("phone", "Phone"),
            ("text", "Text message"),
            ("post", "Post"),
            ("in-person", "In person"),
        ),
    ),
    ProfileField("address", "Address", max_length=300),
)

FIELDS_BY_KEY: dict[str, ProfileField] = {f.key: f for f in PROFILE_FIELDS}
FIELD_KEYS: tuple[str, ...] = tuple(FIELDS_BY_KEY)


def get_field(key: Any) -> ProfileField:
    """The field for `key`, or ValidationError naming the unknown key."""
    if not isinstance(key, str) or key not in FIELDS_BY_KEY:
        raise ValidationError(UNKNOWN_FIELD.format(key=str(key)[:50]))
    return FIELDS_BY_KEY[key]


def field_specs() -> list[FieldSpec]:
    """What the assistant is told it may propose values for."""
    return [f.spec() for f in PROFILE_FIELDS]


def clean_profile(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a whole profile (unknown keys refused, empty values dropped)."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        try:
            field = get_field(key)
        except ValidationError as error:
            errors.setdefault("profile", []).extend(error.messages)
            continue
        if value is None or value == "":
            continue
        try:
            cleaned[key] = field.clean(value)
        except ValidationError as error:
            errors[key] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned
