from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tenancy.demo import DEMO_PASSWORD, PEOPLE, seed_people


class Command(BaseCommand):
    help = (
        "Create the demo tenants, users and data (idempotent). Each app adds its own data "
        "through a `seed(demo)` function in its `demo.py`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even when DEBUG is off (never in production)."
        )

    def handle(self, *args: Any, force: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off; pass --force if you mean it."
            )
        with transaction.atomic():
            demo = seed_people()
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if config.name == "tenancy" or importlib.util.find_spec(module_name) is None:
                    continue
                module = importlib.import_module(module_name)
                if hasattr(module, "seed"):
                    note = module.seed(demo)  # a line to print, such as a link it made
                    self.stdout.write(f"  seeded {config.label}")
                    if note:
                        self.stdout.write(note)
        logins = ", ".join(email for email, _, _ in PEOPLE)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready. Logins: {logins} (password {DEMO_PASSWORD!r})")
        )
