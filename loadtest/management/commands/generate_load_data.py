"""manage.py generate_load_data: tenants load-00001... with content on every key page."""

from __future__ import annotations

import sys
import time
from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from loadtest.generate import PASSWORD, Shape, generate, reset, tenant_slug, user_email


class ProgressBar:
    """A one-line progress bar on stderr (a line per 10 % when stderr is not a terminal)."""

    def __init__(self, label: str, stream: Any = sys.stderr) -> None:
        self.label, self.stream = label, stream
        # A command's OutputWrapper ends every write with a newline unless told not to.
        self.write = (
            partial(stream.write, ending="") if isinstance(stream, OutputWrapper) else stream.write
        )
        self.started = time.monotonic()
        self.tty = stream.isatty()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed else 0.0
        left = (total - done) / rate if rate else 0.0
        width = 30
        filled = width * done // total
        line = (
            f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} tenants "
            f"{elapsed:.0f}s elapsed, ~{left:.0f}s left"
        )
        if self.tty:
            self.write("\r" + line + ("\n" if done == total else ""))
            self.stream.flush()
        elif done * 10 // total != self.last_tenth:
            self.last_tenth = done * 10 // total
            self.write(line + "\n")


class Command(BaseCommand):
    help = (
        "Generate load-test tenants load-00001... with users user1@load-00001.test... "
        f"(password {PASSWORD!r}) and content on every key page, set-based and under "
        "row-level security. Existing load tenants are kept (pass --reset to start afresh)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        default = Shape()
        parser.add_argument("--tenants", type=int, default=2, help="Tenants in all (default 2).")
        parser.add_argument("--users-per-tenant", type=int, default=default.users_per_tenant)
        parser.add_argument(
            "--artifacts-per-user",
            type=int,
            default=default.artifacts_per_user,
            help="Work artifacts per user (at most the app's limit of 50).",
        )
        parser.add_argument("--customers-per-user", type=int, default=default.customers_per_user)
        parser.add_argument(
            "--proposals-per-customer",
            type=int,
            default=default.proposals_per_customer,
            help="CRM artifacts per customer, in batches; the newest batches stay pending.",
        )
        parser.add_argument(
            "--proposals-per-batch",
            type=int,
            default=default.proposals_per_batch,
            help="CRM artifacts per batch, each for another profile field (at most 12).",
        )
        parser.add_argument(
            "--messages-per-user",
            type=int,
            default=default.messages_per_user,
            help="Skill-grouping messages in each user's inbox (half pending).",
        )
        parser.add_argument(
            "--workshops-per-tenant",
            type=int,
            default=None,
            help="Workshops per tenant, owned by its users in turn (default: one per user).",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Tenants written in parallel, each on its own connection (default 1; "
            "2 on a 2-core machine roughly halves the time).",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="First delete every load- tenant and all its rows.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shape = Shape(
            users_per_tenant=options["users_per_tenant"],
            artifacts_per_user=options["artifacts_per_user"],
            customers_per_user=options["customers_per_user"],
            proposals_per_customer=options["proposals_per_customer"],
            messages_per_user=options["messages_per_user"],
            workshops_per_tenant=options["workshops_per_tenant"],
            proposals_per_batch=options["proposals_per_batch"],
        )
        problems = shape.problems()
        if options["jobs"] < 1:
            problems.append("--jobs is at least 1.")
        if options["tenants"] < 0 or options["tenants"] > 99_999:
            problems.append("--tenants is between 0 and 99999.")
        if problems:
            raise CommandError(" ".join(problems))
        verbose = options["verbosity"] > 0
        if options["reset"]:
            removed = reset(
                jobs=options["jobs"],
                progress=ProgressBar("reset   ", self.stderr) if verbose else None,
            )
            self.stdout.write(f"Removed {removed} load tenants.")
        outcome = generate(
            tenants=options["tenants"],
            shape=shape,
            jobs=options["jobs"],
            progress=ProgressBar("generate", self.stderr) if verbose else None,
        )
        rows = ", ".join(f"{count:,} {name}" for name, count in outcome.rows.items() if count)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {outcome.created} load tenants ({outcome.skipped} existed) "
                f"in {outcome.seconds:.1f}s: {rows or 'nothing new'}."
            )
        )
        if options["tenants"]:
            self.stdout.write(
                f"Sign in as {user_email(1, tenant_slug(1))} (password {PASSWORD!r})."
            )
