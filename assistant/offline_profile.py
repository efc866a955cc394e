"""Offline, deterministic extraction of customer profile edits from meeting notes.

Rules, not a model: each recogniser looks for one kind of fact (an email, a
phone number, an employer, an income figure...) sentence by sentence, and
quotes the sentence it came from verbatim. Fields are found by their kind and
label (a date field whose label says "birth", a choice field whose label says
"risk"), so the rules serve whatever registry the caller passes. When the
notes say something more than once, the last mention wins (notes are written
in order) and the confidence drops. Nudges are follow-up questions prompted by
cues in the notes (a wedding, a baby on the way, a move with no address).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from assistant.base import Extraction, FieldSpec, ProposedEdit
from assistant.profile_patterns import (
    ADDRESS_PATTERNS,
    AMOUNT,
    BIRTH_CUE,
    CONTACT_CUE,
    CONTACT_RULES,
    CURRENCY,
    DAY_MONTH_YEAR,
    DEPENDENT_COUNT,
    DEPENDENT_LABELLED,
    EMAIL,
    EMPLOYER_PATTERNS,
    INCOME_CUE,
    ISO_DATE,
    MARITAL_FUTURE,
    MARITAL_RULES,
    MONTH_DAY_YEAR,
    MONTHS,
    NAME_PATTERNS,
    NO_DEPENDENTS,
    NUDGE_CUES,
    NUMBER_WORDS,
    NUMERIC_DATE,
    OCCUPATION_PATTERNS,
    PHONE,
    PHONE_CUE,
    RANGE,
    RETIRED,
    RISK_CUE,
    RISK_RULES,
    TWINS,
)

MAX_QUOTE = 300
MAX_NUDGES = 4


def sentences(notes: str) -> list[str]:
    """Sentences (or lines) of the notes, each a verbatim slice of them."""
    found: list[str] = []
    for line in notes.splitlines():
        for part in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])", line):
            part = part.strip(" \t-*•")
            if part:
                found.append(part)
    return found


def _quote(sentence: str) -> str:
    return sentence if len(sentence) <= MAX_QUOTE else sentence[: MAX_QUOTE - 1].rstrip() + "…"


def _choice(spec: FieldSpec, keyword: str) -> str | None:
    """The choice of `spec` that says `keyword` (by value or label)."""
    keyword = keyword.lower()
    for choice in spec.choices:
        if keyword in choice.lower():
            return choice
    return None


def _money(number: str, unit: str | None) -> float:
    value = float(number.replace(",", ""))
    unit = (unit or "").lower()
    if unit in ("k", "thousand", "grand"):
        value *= 1_000
    elif unit in ("m", "million"):
        value *= 1_000_000
    return value


def _band_bounds(choice: str) -> tuple[float, float] | None:
    """(low, high) of an income band choice like "25k-50k", "under-25k", "250k-plus"."""
    numbers = [_money(n, u) for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*(k|m)?", choice, re.I)]
    lowered = choice.lower()
    if len(numbers) == 2:
        return numbers[0], numbers[1]
    if len(numbers) == 1 and re.search(r"under|below|less|up to", lowered):
        return 0.0, numbers[0]
    if len(numbers) == 1 and re.search(r"plus|over|above|more|\+", lowered):
        return numbers[0], float("inf")
    return None


def _band_for(spec: FieldSpec, amount: float) -> str | None:
    for choice in spec.choices:
        bounds = _band_bounds(choice)
        if bounds and bounds[0] <= amount < bounds[1]:
            return choice
    return None


# --- recognisers: (sentences, spec) -> (value, sentence, confidence) or None ---

Found = tuple[Any, str, str] | None


def _last(matches: list[tuple[Any, str, str]]) -> Found:
    """The last mention, with its confidence lowered when mentions disagree."""
    if not matches:
        return None
    value, sentence, confidence = matches[-1]
    if len({str(m[0]).lower() for m in matches}) > 1 and confidence == "high":
        confidence = "medium"
    return value, sentence, confidence


def find_email(lines: list[str], spec: FieldSpec) -> Found:
    return _last([(m.group(0).lower(), s, "high") for s in lines for m in EMAIL.finditer(s)])


def find_phone(lines: list[str], spec: FieldSpec) -> Found:
    matches = []
    for s in lines:
        for m in PHONE.finditer(s):
            candidate = m.group(1).strip()
            digits = re.sub(r"\D", "", candidate)
            if (
                not 7 <= len(digits) <= 15
                or ISO_DATE.search(candidate)
                or re.fullmatch(r"\d{4}", candidate)
            ):
                continue
            if PHONE_CUE.search(s):
                matches.append((candidate, s, "high"))
            elif candidate.startswith("+") or len(digits) >= 10:
                matches.append((candidate, s, "medium"))
    return _last(matches)


def _date(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def find_birth_date(lines: list[str], spec: FieldSpec) -> Found:
    matches = []
    for s in lines:
        if not BIRTH_CUE.search(s):
            continue
        for m in ISO_DATE.finditer(s):
            matches.append((_date(int(m[1]), int(m[2]), int(m[3])), s, "high"))
        for m in NUMERIC_DATE.finditer(s):  # day first, as written in the UK
            matches.append((_date(int(m[3]), int(m[2]), int(m[1])), s, "medium"))
        for m in DAY_MONTH_YEAR.finditer(s):
            matches.append((_date(int(m[3]), MONTHS[m[2].lower()], int(m[1])), s, "high"))
        for m in MONTH_DAY_YEAR.finditer(s):
            matches.append((_date(int(m[3]), MONTHS[m[1].lower()], int(m[2])), s, "high"))
    return _last([m for m in matches if m[0]])


def find_dependents(lines: list[str], spec: FieldSpec) -> Found:
    matches = []
    for s in lines:
        if m := DEPENDENT_LABELLED.search(s):
            matches.append((int(m[1]), s, "high"))
        elif NO_DEPENDENTS.search(s):
            matches.append((0, s, "high"))
        elif m := DEPENDENT_COUNT.search(s):
            word = m[1].lower()
            count = int(word) if word.isdigit() else NUMBER_WORDS[word]
            # "a daughter" says one child at least, not how many in all.
            matches.append((count, s, "high" if word not in ("a", "an") else "low"))
        elif m := TWINS.search(s):
            matches.append((NUMBER_WORDS[m[1].lower()], s, "medium"))
    return _last(matches)


def find_income(lines: list[str], spec: FieldSpec) -> Found:
    matches = []
    for s in lines:
        if not INCOME_CUE.search(s):
            continue
        if m := RANGE.search(s):
            low = _money(m[1], m[2] or m[4])
            high = _money(m[3], m[4])
            band = _band_for(spec, (low + high) / 2)
            exact = band and _band_bounds(band) == (low, high)
            if band:
                matches.append((band, s, "high" if exact else "medium"))
                continue
        for m in AMOUNT.finditer(s):
            amount = _money(m[1], m[2])
            if amount < 1_000 or re.fullmatch(r"(19|20)\d{2}", m[1]):  # not money, or a year
                continue
            band = _band_for(spec, amount)
            if band:
                sure = m[2] or CURRENCY.search(m.group(0)) or "," in m[1]
                matches.append((band, s, "high" if sure else "medium"))
                break
    return _last(matches)


def _find_rule(lines: list[str], spec: FieldSpec, rules, cue: re.Pattern[str] | None) -> Found:
    matches = []
    for s in lines:
        if cue is not None and not cue.search(s):
            continue
        for rule in rules:
            keyword, pattern, *rest = rule
            if re.search(pattern, s, re.I) and (choice := _choice(spec, keyword)):
                matches.append((choice, s, rest[0] if rest else "high"))
                break
    return _last(matches)


def find_marital_status(lines: list[str], spec: FieldSpec) -> Found:
    present = [s for s in lines if not MARITAL_FUTURE.search(s)]
    return _find_rule(present, spec, MARITAL_RULES, None)


def find_risk(lines: list[str], spec: FieldSpec) -> Found:
    return _find_rule(lines, spec, RISK_RULES, RISK_CUE)


def find_contact(lines: list[str], spec: FieldSpec) -> Found:
    return _find_rule(lines, spec, CONTACT_RULES, CONTACT_CUE)


def _find_patterns(lines: list[str], patterns, clean: Callable[[str], str | None]) -> Found:
    matches = []
    for s in lines:
        for pattern, confidence in patterns:
            if (m := pattern.search(s)) and (value := clean(m.group(1))):
                matches.append((value, s, confidence))
                break
    return _last(matches)


def _clean_org(text: str) -> str | None:
    text = re.sub(r"(\s+(?:and|of|&|de|la))+$", "", text.strip().rstrip(".'\u2019"))
    return text if 1 < len(text) <= 80 else None


def _clean_role(text: str) -> str | None:
    text = text.strip()
    if not text or len(text) > 60 or text.lower() in ("a", "an", "the", "well", "usual", "before"):
        return None
    return text[0].upper() + text[1:]


def find_employer(lines: list[str], spec: FieldSpec) -> Found:
    return _find_patterns(lines, EMPLOYER_PATTERNS, _clean_org)


def find_occupation(lines: list[str], spec: FieldSpec) -> Found:
    found = _find_patterns(lines, OCCUPATION_PATTERNS, _clean_role)
    retired = [("Retired", s, "medium") for s in lines if RETIRED.search(s)]
    if retired and (found is None or lines.index(retired[-1][1]) >= lines.index(found[1])):
        return retired[-1]
    return found


def find_name(lines: list[str], spec: FieldSpec) -> Found:
    return _find_patterns(lines, NAME_PATTERNS, lambda text: text.strip())


def find_address(lines: list[str], spec: FieldSpec) -> Found:
    return _find_patterns(lines, ADDRESS_PATTERNS, lambda text: " ".join(text.split()).strip(" ,"))


def _recogniser(spec: FieldSpec) -> Callable[[list[str], FieldSpec], Found] | None:
    """Which rule reads this field, from its kind and the words of its label."""
    label = f"{spec.key} {spec.label}".lower()
    by_kind = {"email": find_email, "phone": find_phone}
    if spec.kind in by_kind:
        return by_kind[spec.kind]
    rules: list[tuple[str, tuple[str, ...], Callable[[list[str], FieldSpec], Found]]] = [
        ("date", ("birth",), find_birth_date),
        ("integer", ("dependent", "dependant", "children"), find_dependents),
        ("choice", ("income", "salary"), find_income),
        ("choice", ("marital",), find_marital_status),
        ("choice", ("risk",), find_risk),
        ("choice", ("contact",), find_contact),
        ("text", ("employer", "company"), find_employer),
        ("text", ("occupation", "job title", "profession"), find_occupation),
        ("text", ("address",), find_address),
        ("text", ("name",), find_name),
    ]
    for kind, words, recogniser in rules:
        if spec.kind == kind and any(word in label for word in words):
            return recogniser
    return None


def _nudges(notes: str, lines: list[str], edits: list[ProposedEdit]) -> list[str]:
    nudges = [message for cue, message in NUDGE_CUES if cue.search(notes)]
    emails = {m.group(0).lower() for s in lines for m in EMAIL.finditer(s)}
    if len(emails) > 1:
        nudges.append("Several email addresses appear in the notes: check which one is current.")
    if not edits:
        nudges.append("Nothing in these notes maps to a profile field. Anything to record?")
    return nudges[:MAX_NUDGES]


def extract_profile_edits(notes: str, fields: list[FieldSpec]) -> Extraction:
    """At most one proposed value per field, each quoting the sentence it came from."""
    lines = sentences(notes)
    edits: list[ProposedEdit] = []
    for spec in fields:
        recogniser = _recogniser(spec)
        found = recogniser(lines, spec) if recogniser else None
        if found is None:
            continue
        value, sentence, confidence = found
        edits.append(
            ProposedEdit(
                field_key=spec.key,
                proposed_value=value,
                source_text=_quote(sentence),
                confidence=confidence,  # type: ignore[arg-type]
            )
        )
    return Extraction(edits=edits, nudges=_nudges(notes, lines, edits))
