"""Import files (or folders of files) as one member's work artifacts."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolio import services
from portfolio.extraction.extract import ExtractionError, extract_path
from portfolio.models import Category
from tenancy.context import tenant_context
from tenancy.models import User

BAR_WIDTH = 20


def collect(paths: list[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files to import, in a stable order, and the paths that name nothing."""
    found: list[Path] = []
    missing: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and not _hidden(p, path))
        elif path.is_file():
            found.append(path)
        else:
            missing.append((raw, "No such file or folder."))
    return found, missing


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


class Command(BaseCommand):
    help = (
        "Import files (or every file in a folder) as a member's work artifacts, extracting "
        "their text and honouring the 50-artifact limit. Reports each file that failed and why."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files or folders.")
        parser.add_argument("--user", required=True, help="The member's email address.")
        parser.add_argument(
            "--category",
            choices=Category.values,
            help="Category for every file (default: email for .eml, document otherwise).",
        )
        parser.add_argument(
            "--date",
            type=datetime.date.fromisoformat,
            help="Date of the work, YYYY-MM-DD (default: each file's modification date).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["user"].strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {options['user']!r}.")
        files, failed = collect(options["paths"])
        imported = 0
        limit_reached = False
        for number, path in enumerate(files, start=1):
            self._progress(number, len(files), path)
            if limit_reached:
                failed.append((str(path), services.LIMIT_REACHED))
                continue
            try:
                self._import(user, path, options)
            except (ExtractionError, ValidationError, OSError) as error:
                reason = _reason(error)
                limit_reached = reason == services.LIMIT_REACHED
                failed.append((str(path), reason))
            else:
                imported += 1
        if files and self.stdout.isatty():
            self.stdout.write("")  # end the progress line redrawn in place
        for path, reason in failed:
            self.stderr.write(f"  failed: {path}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(f"Imported {imported} of {len(files)} file(s) for {user.email}.")
        )
        if failed:
            raise CommandError(f"{len(failed)} file(s) could not be imported (listed above).")

    def _import(self, user: User, path: Path, options: dict[str, Any]) -> None:
        # Extraction first and outside any transaction: it may take seconds.
        extracted = extract_path(path)
        artifact_date = options["date"] or datetime.date.fromtimestamp(path.stat().st_mtime)
        with tenant_context(user.tenant_id):
            services.artifact_create(
                user=user,
                title=services.title_for_file(path.name),
                category=options["category"] or services.category_for_file(path.name),
                artifact_date=artifact_date,
                file=extracted,
            )

    def _progress(self, number: int, total: int, path: Path) -> None:
        done = round(BAR_WIDTH * number / total)
        bar = "#" * done + "-" * (BAR_WIDTH - done)
        line = f"[{bar}] {number}/{total} {path.name}"
        # On a terminal the bar redraws in place; in a log, one line per file.
        if self.stdout.isatty():
            self.stdout.write(f"\r{line[:100]:<100}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)


def _reason(error: Exception) -> str:
    if isinstance(error, ExtractionError):
        return error.message
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)
