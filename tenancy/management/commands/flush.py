"""`flush` empties the tables as the owner role: the serving role has no TRUNCATE.

TRUNCATE ignores row-level security, so granting it to the serving role would
let one SQL statement empty every tenant's rows. The test runner flushes after
every transactional test through this command.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal, sql_flush
from django.db import connections

from tenancy.roles import new_owner_connection


class Command(flush.Command):
    help = flush.Command.help + " Runs as the owner role (DATABASE_OWNER_URL)."

    def handle(self, **options: Any) -> None:
        if options["interactive"]:
            answer = input(
                "This will IRREVERSIBLY DESTROY all data in the database, every tenant's.\n"
                "Type 'yes' to continue, or 'no' to cancel: "
            )
            if answer != "yes":
                self.stdout.write("Flush cancelled.")
                return
        # The statements come from the serving connection's view of the
        # catalogue (which it may read); only the owner may run them.
        statements = sql_flush(
            no_style(),
            connections[options["database"]],
            reset_sequences=options.get("reset_sequences", True),
            allow_cascade=options.get("allow_cascade", False),
        )
        owner = new_owner_connection()
        try:
            for statement in statements:
                owner.execute(statement)
        except Exception as error:
            raise CommandError(f"The database could not be flushed: {error}") from error
        finally:
            owner.close()
        # Apps put back their reference data as the serving role, which may insert.
        if statements and not options.get("inhibit_post_migrate", False):
            emit_post_migrate_signal(options["verbosity"], False, options["database"])
