"""Every write to the portfolio and its rules: limits, validation, ownership.

Pages, the admin and `import_artifacts` all come through here, so the
50-artifact limit and the field limits hold on every path. Text extraction
(portfolio.extraction) happens before these are called, outside the lock.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, Func, JSONField, Value

from config.errors import NotFound
from portfolio.extraction.extract import (
    ExtractedFile,
    ExtractionError,
    extract,
    too_large_message,
)
from portfolio.models import (
    DESCRIPTION_MAX_LENGTH,
    EARLIEST_ARTIFACT_DATE,
    FILE_NAME_MAX_LENGTH,
    FILE_TYPE_MAX_LENGTH,
    HOURS_MAX,
    HOURS_MIN,
    MAX_ARTIFACTS_PER_USER,
    MAX_SUGGESTIONS,
    SEARCH_CONFIG,
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Category,
    WorkArtifact,
    latest_artifact_date,
)
from tenancy.context import tenant_context
from tenancy.models import User
from tenancy.text import UNSTORABLE_TEXT, is_storable

LIMIT_REACHED = f"Maximum {MAX_ARTIFACTS_PER_USER} artifacts allowed"
TITLE_REQUIRED = "Give the artifact a title."
TITLE_TOO_LONG = f"A title has at most {TITLE_MAX_LENGTH} characters."
DESCRIPTION_TOO_LONG = f"A description has at most {DESCRIPTION_MAX_LENGTH} characters."
CATEGORY_INVALID = "Choose one of: " + ", ".join(Category.values) + "."
DATE_REQUIRED = "Give the date the work was done."
DATE_IN_FUTURE = "The date of the work cannot be in the future."
DATE_TOO_EARLY = f"The date of the work cannot be before {EARLIEST_ARTIFACT_DATE.year}."
FILE_NAME_TOO_LONG = f"A file name has at most {FILE_NAME_MAX_LENGTH} characters."
FILE_TYPE_TOO_LONG = f"A file type has at most {FILE_TYPE_MAX_LENGTH} characters."
TEXT_TOO_LONG = f"The extracted text has at most {TEXT_MAX_LENGTH:,} characters."
HOURS_OUT_OF_RANGE = f"Hours saved must be between {HOURS_MIN} and {HOURS_MAX:,}."
TEXT_TRUNCATED = (
    "The file holds more text than we keep; only its beginning was saved "
    f"(up to {TEXT_MAX_LENGTH:,} characters)."
)
NOT_FOUND = "No such artifact."
NOT_SUGGESTED = "That skill is not among this artifact's suggestions."


class ArtifactNotFound(NotFound, ObjectDoesNotExist):
    """Not the caller's artifact (or no such id): the same answer either way."""


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()

# Fields whose change alters what the artifact is about.
_TEXT_FIELDS = {"title", "description", "extracted_text"}


def validate_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the given fields (any subset); raise ValidationError by field."""
    errors: dict[str, str] = {}
    clean = dict(fields)
    if "title" in fields:
        clean["title"] = title = (fields["title"] or "").strip()
        if not title:
            errors["title"] = TITLE_REQUIRED
        elif len(title) > TITLE_MAX_LENGTH:
            errors["title"] = TITLE_TOO_LONG
    if "description" in fields:
        clean["description"] = (fields["description"] or "").strip()
        if len(clean["description"]) > DESCRIPTION_MAX_LENGTH:
            errors["description"] = DESCRIPTION_TOO_LONG
    if "category" in fields and fields["category"] not in Category.values:
        errors["category"] = CATEGORY_INVALID
    if "artifact_date" in fields:
        day = fields["artifact_date"]
        if isinstance(day, datetime.datetime):  # a date is the precision we keep
            clean["artifact_date"] = day = day.date()
        if not isinstance(day, datetime.date):
            errors["artifact_date"] = DATE_REQUIRED
        elif day > latest_artifact_date():
            errors["artifact_date"] = DATE_IN_FUTURE
        elif day < EARLIEST_ARTIFACT_DATE:
            errors["artifact_date"] = DATE_TOO_EARLY
    if len(fields.get("file_name") or "") > FILE_NAME_MAX_LENGTH:
        errors["file"] = FILE_NAME_TOO_LONG
    if len(fields.get("file_type") or "") > FILE_TYPE_MAX_LENGTH:
        errors["file"] = FILE_TYPE_TOO_LONG
    if len(fields.get("extracted_text") or "") > TEXT_MAX_LENGTH:
        errors["extracted_text"] = TEXT_TOO_LONG
    # Forms refuse NUL, but the admin and import_artifacts come here too.
    for name in ("title", "description", "extracted_text", "file_name", "file_type"):
        if not is_storable(clean.get(name) or ""):
            errors.setdefault("file" if name.startswith("file_") else name, UNSTORABLE_TEXT)
    if fields.get("estimated_hours_saved") is not None:
        hours = fields["estimated_hours_saved"]
        try:
            hours = float(hours)
        except (TypeError, ValueError):
            hours = math.nan
        if not (math.isfinite(hours) and HOURS_MIN <= hours <= HOURS_MAX):
            errors["estimated_hours_saved"] = HOURS_OUT_OF_RANGE
        clean["estimated_hours_saved"] = hours
    if errors:
        raise ValidationError(errors)
    return clean


def _file_fields(file: ExtractedFile | None) -> dict[str, Any]:
    if file is None:
        return {}
    return {
        "file_name": file.file_name,
        "file_type": file.file_type,
        "extracted_text": file.text,
        "text_truncated": file.truncated,
    }


def _refuse_at_limit(user: User) -> None:
    if WorkArtifact.objects.owned_by(user).count() >= MAX_ARTIFACTS_PER_USER:
        raise ValidationError(LIMIT_REACHED)


def check_limit(*, user: User) -> None:
    """Raise when the user is at the limit: an early answer for forms; artifact_create decides."""
    _refuse_at_limit(user)


@transaction.atomic
def artifact_create(
    *,
    user: User,
    title: str,
    category: str,
    artifact_date: datetime.date,
    description: str = "",
    estimated_hours_saved: float | None = None,
    file: ExtractedFile | None = None,
    file_name: str = "",
    file_type: str = "",
    extracted_text: str = "",
) -> WorkArtifact:
    """Record an artifact for `user`, at most MAX_ARTIFACTS_PER_USER of them.

    Either pass an uploaded `file` (already extracted) or the source's raw
    file_name/file_type/extracted_text fields.
    """
    fields = validate_fields(
        {
            "title": title,
            "description": description,
            "category": category,
            "artifact_date": artifact_date,
            "estimated_hours_saved": estimated_hours_saved,
            "file_name": file_name,
            "file_type": file_type,
            "extracted_text": extracted_text,
            **_file_fields(file),
        }
    )
    # Count-then-insert is only safe when creates for one user take turns:
    # lock the user's row first (a global table, no RLS). FOR NO KEY UPDATE
    # does not block other tables' foreign-key checks against the user.
    get_user_model().objects.select_for_update(no_key=True).only("pk").get(pk=user.pk)
    _refuse_at_limit(user)
    artifact = WorkArtifact.objects.create(tenant_id=user.tenant_id, user=user, **fields)
    suggestions_refresh(artifact=artifact)
    return artifact


def _owned(*, user: User, artifact_id: str) -> WorkArtifact:
    if not is_storable(str(artifact_id)):  # no id holds one, and PostgreSQL cannot compare it
        raise ArtifactNotFound(NOT_FOUND)
    artifact = (
        WorkArtifact.objects.owned_by(user)
        .select_for_update()
        .defer("search_vector")
        .filter(pk=artifact_id)
        .first()
    )
    if artifact is None:
        raise ArtifactNotFound(NOT_FOUND)
    return artifact


@transaction.atomic
def artifact_update(
    *,
    user: User,
    artifact_id: str,
    title: str = UNSET,
    description: str = UNSET,
    category: str = UNSET,
    artifact_date: datetime.date = UNSET,
    estimated_hours_saved: float | None = UNSET,
    file: ExtractedFile | None = None,
    extracted_text: str = UNSET,
) -> WorkArtifact:
    """Change only the fields given; only the owner may (anyone else: ArtifactNotFound)."""
    given = {
        "title": title,
        "description": description,
        "category": category,
        "artifact_date": artifact_date,
        "estimated_hours_saved": estimated_hours_saved,
        "extracted_text": extracted_text,
    }
    changes = validate_fields(
        {name: value for name, value in given.items() if value is not UNSET} | _file_fields(file)
    )
    artifact = _owned(user=user, artifact_id=artifact_id)
    if "extracted_text" in changes and file is None:
        changes["text_truncated"] = False
    for name, value in changes.items():
        setattr(artifact, name, value)
    artifact.save(update_fields=[*changes, "updated_at"])
    if _TEXT_FIELDS & changes.keys():
        suggestions_refresh(artifact=artifact)
    return artifact


def title_for_file(file_name: str) -> str:
    """A title from a file's name: "q3_board-report.pdf" -> "Q3 board report"."""
    path = PurePath(file_name)
    words = re.sub(r"[_\-.]+", " ", path.stem).strip() or path.name
    return (words[0].upper() + words[1:])[:TITLE_MAX_LENGTH]


def category_for_file(file_name: str) -> str:
    return Category.EMAIL if PurePath(file_name).suffix.lower() == ".eml" else Category.DOCUMENT


@dataclass(frozen=True)
class FileResult:
    """What became of one uploaded file: its artifact, or why it was refused."""

    file_name: str
    artifact: WorkArtifact | None = None
    error: str = ""


def artifacts_create_from_files(
    *, user: User, files: Iterable[Any], artifact_date: datetime.date, category: str = ""
) -> list[FileResult]:
    """Each uploaded file becomes its own artifact through `artifact_create`.

    Every file is checked on its own (size, type, text, the limit): one bad
    file is reported and the others are still added. Each file's text is
    extracted with no transaction open (the upload page runs outside the
    request's), then its `artifact_create` runs in a short transaction of its
    own in the user's tenant, so a refusal undoes only that file. Once the
    limit refuses one, the rest are refused without reading them.
    """
    results: list[FileResult] = []
    full = False
    for upload in files:
        name = upload.name
        try:
            if full:
                raise ValidationError(LIMIT_REACHED)
            if getattr(upload, "oversized", False):  # portfolio.uploads kept none of it
                raise ExtractionError(too_large_message())
            extracted = extract(file_name=name, data=upload.read())
            with tenant_context(user.tenant_id):
                artifact = artifact_create(
                    user=user,
                    title=title_for_file(name),
                    category=category or category_for_file(name),
                    artifact_date=artifact_date,
                    file=extracted,
                )
        except ExtractionError as error:
            results.append(FileResult(name, error=error.message))
        except ValidationError as error:
            reason = " ".join(error.messages)
            full = full or reason == LIMIT_REACHED
            results.append(FileResult(name, error=reason))
        else:
            results.append(FileResult(name, artifact=artifact))
    return results


@transaction.atomic
def artifacts_delete_owned(*, user: User, artifact_ids: Iterable[str]) -> int:
    """Delete several of the user's artifacts in one statement: all of them or none.

    An id that is not the user's (a teammate's, another tenant's, a made-up
    one) refuses the whole request with ArtifactNotFound, so nobody learns
    which of them exist.
    """
    ids = {str(i) for i in artifact_ids}
    if not ids or not all(is_storable(i) for i in ids):
        raise ArtifactNotFound(NOT_FOUND)
    deleted = (
        WorkArtifact.objects.owned_by(user).filter(pk__in=ids)._raw_delete(WorkArtifact.objects.db)
    )
    if deleted != len(ids):
        transaction.set_rollback(True)
        raise ArtifactNotFound(NOT_FOUND)
    return deleted


@transaction.atomic
def artifacts_delete(*, tenant_id: int, artifact_ids: list[str]) -> int:
    """A tenant admin's bulk delete: one statement, within the tenant."""
    deleted, _ = WorkArtifact.objects.filter(tenant_id=tenant_id, pk__in=artifact_ids).delete()
    return deleted


@transaction.atomic
def artifact_delete(*, user: User, artifact_id: str) -> None:
    deleted, _ = WorkArtifact.objects.owned_by(user).filter(pk=artifact_id).delete()
    if not deleted:
        raise ArtifactNotFound(NOT_FOUND)


# A skill is suggested when the artifact contains at least a quarter of the
# skill's own words (name and description, stemmed): one shared common word
# such as "report" is not enough to suggest a seven-word skill. Ties go to
# ts_rank of the skill's words (as an OR query) against the artifact's search
# vector. One statement; the tenant test is explicit, RLS is the fence behind.
#
# With each suggestion the statement stores why (suggestion_reasons): the
# skill's words found in the artifact, a snippet of the artifact's text around
# them (ts_headline, computed for the five kept skills only) and the confidence,
# the share of the skill's words present. Stored now, so a page never recomputes it.
SUGGESTION_MIN_COVERAGE = 0.25
SNIPPET_WORDS = 25
MAX_REASON_TERMS = 8
_SUGGEST_SQL = f"""
WITH art AS (
    SELECT a.search_vector, a.dismissed_skill_ids,
           concat_ws(' ', a.title, a.description, a.extracted_text) AS doc
    FROM {WorkArtifact._meta.db_table} AS a
    WHERE a.id = %(id)s AND a.tenant_id = %(tenant)s
), matched AS (
    SELECT s.id::text AS id, s.name, w.words, w.query,
           ts_rank(art.search_vector, w.query) AS rank,
           (SELECT count(*) FROM unnest(w.lexemes) AS lexeme
            WHERE art.search_vector @@ plainto_tsquery('simple', lexeme))::float
           / greatest(cardinality(w.lexemes), 1) AS coverage
    FROM art, skills_skill AS s,
         LATERAL (
             SELECT
                 s.name || ' ' || s.description AS words,
                 tsvector_to_array(
                     to_tsvector('{SEARCH_CONFIG}', s.name || ' ' || s.description)
                 ) AS lexemes,
                 websearch_to_tsquery(
                     '{SEARCH_CONFIG}',
                     regexp_replace(s.name || ' ' || s.description, '[^[:alnum:]]+', ' or ', 'g')
                 ) AS query
         ) AS w
    WHERE s.tenant_id = %(tenant)s
      AND art.search_vector @@ w.query
      AND NOT (s.id::text = ANY (art.dismissed_skill_ids))
), kept AS (
    SELECT * FROM matched
    WHERE coverage >= {SUGGESTION_MIN_COVERAGE}
    ORDER BY coverage DESC, rank DESC, name
    LIMIT {MAX_SUGGESTIONS}
), reasons AS (
    SELECT kept.id, kept.coverage, kept.rank, kept.name,
           ARRAY(
               SELECT word FROM (
                   SELECT DISTINCT word
                   FROM regexp_split_to_table(lower(kept.words), '[^[:alnum:]]+') AS word
                   WHERE length(word) > 1
                     AND art.search_vector @@ plainto_tsquery('{SEARCH_CONFIG}', word)
               ) AS found
               ORDER BY word
               LIMIT {MAX_REASON_TERMS}
           ) AS terms,
           ts_headline(
               '{SEARCH_CONFIG}', art.doc, kept.query,
               'MaxWords={SNIPPET_WORDS}, MinWords=10, MaxFragments=1, StartSel="", StopSel=""'
           ) AS snippet
    FROM kept, art
)
UPDATE {WorkArtifact._meta.db_table} AS a
SET suggested_skill_ids = ARRAY(
        SELECT id FROM reasons ORDER BY coverage DESC, rank DESC, name
    ),
    suggestion_reasons = (
        SELECT coalesce(
            jsonb_object_agg(
                id,
                jsonb_build_object(
                    'terms', to_jsonb(terms),
                    'snippet', snippet,
                    'confidence', round(coverage::numeric, 2)
                )
            ),
            '{{}}'::jsonb
        )
        FROM reasons
    )
WHERE a.id = %(id)s AND a.tenant_id = %(tenant)s
RETURNING a.suggested_skill_ids, a.suggestion_reasons
"""


def suggestions_refresh(*, artifact: WorkArtifact) -> list[str]:
    """Rank the tenant's skills against the artifact; keep the best five (dismissed
    excluded), each with its reason."""
    with connection.cursor() as cursor:
        cursor.execute(_SUGGEST_SQL, {"id": artifact.pk, "tenant": artifact.tenant_id})
        row = cursor.fetchone()
    artifact.suggested_skill_ids = list(row[0]) if row else []
    reasons = row[1] if row else {}
    artifact.suggestion_reasons = json.loads(reasons) if isinstance(reasons, str) else reasons
    return artifact.suggested_skill_ids


@transaction.atomic
def suggestion_dismiss(*, user: User, artifact_id: str, skill_id: str) -> WorkArtifact:
    """Drop one suggestion for good (it stays out when suggestions are recomputed)."""
    artifact = _owned(user=user, artifact_id=artifact_id)
    skill_id = str(skill_id)
    if skill_id not in artifact.suggested_skill_ids:
        raise ValidationError(NOT_SUGGESTED)
    # One statement: the array edit happens in the database, under the row lock.
    WorkArtifact.objects.filter(pk=artifact.pk, tenant_id=artifact.tenant_id).update(
        suggested_skill_ids=_ArrayRemove(F("suggested_skill_ids"), Value(skill_id)),
        dismissed_skill_ids=_ArrayAppend(F("dismissed_skill_ids"), Value(skill_id)),
        suggestion_reasons=_JsonbDelete(
            F("suggestion_reasons"), Value(skill_id, output_field=CharField())
        ),
    )
    artifact.suggested_skill_ids.remove(skill_id)
    artifact.suggestion_reasons.pop(skill_id, None)
    artifact.dismissed_skill_ids.append(skill_id)
    return artifact


class _ArrayRemove(Func):
    function = "array_remove"
    output_field = ArrayField(CharField(max_length=20))


class _ArrayAppend(Func):
    function = "array_append"
    output_field = ArrayField(CharField(max_length=20))


class _JsonbDelete(Func):
    """`jsonb - key`: the object without that key."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = JSONField()
