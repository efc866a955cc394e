from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def restore_step_definitions(sender: AppConfig, using: str, **kwargs: Any) -> None:
    """Put the shipped step definitions back after a flush.

    They are reference data loaded by a data migration; `flush` (which the test
    runner uses after every transactional test) empties every table and then
    emits post_migrate without a plan. A real `migrate` passes its plan, and
    there the migrations alone decide, so migrating backwards stays honest.
    """
    if kwargs.get("plan") is not None:
        return
    steps = import_module("workshops.migrations.0002_step_definitions")
    step_definition = sender.get_model("StepDefinition")
    if step_definition.objects.using(using).count() < len(steps.STEPS):
        steps.load_steps(sender.apps, None)
        # Migration 0004 adds the fields' titles, which the artifact form shows.
        import_module("workshops.migrations.0004_step_versions").add_titles(sender.apps, None)


class WorkshopsConfig(AppConfig):
    name = "workshops"

    def ready(self) -> None:
        post_migrate.connect(restore_step_definitions, sender=self)
