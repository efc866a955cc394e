from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tenancy.housekeeping import housekeeping_run, housekeeping_schedule


class Command(BaseCommand):
    help = (
        "Delete expired sessions, spent sign-in throttle rows, finished task results older "
        "than TASK_RESULT_DAYS and invitations expired or revoked a month ago. With "
        "--schedule, queue it for the database task worker instead, which then runs it "
        "every HOUSEKEEPING_INTERVAL_MINUTES."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="queue the recurring run for `manage.py db_worker` (idempotent)",
        )

    def handle(self, *args: Any, schedule: bool = False, **options: Any) -> None:
        if schedule:
            try:
                queued = housekeeping_schedule()
            except ValueError as error:
                raise CommandError(str(error)) from None
            self.stdout.write("Queued." if queued else "Already queued: nothing to do.")
            return
        counts = housekeeping_run()
        self.stdout.write("Deleted " + ", ".join(f"{n} {what}" for what, n in counts.items()))
