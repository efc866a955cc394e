from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from crm_artifacts.services.follow_ups import follow_up_ensure, follow_ups_missing
from tenancy.context import tenant_context
from tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Write the follow-up of every accepted proposal whose workflow records one and that "
        "has none (decided before follow-ups were written with the decision, or restored "
        "from a backup). Idempotent: run it as often as you like, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        written = 0
        for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
            with tenant_context(tenant_id):
                missing = list(follow_ups_missing(tenant_id=tenant_id).values_list("pk", flat=True))
            for artifact_id in missing:
                # One transaction per proposal: it holds one customer's lock at a time,
                # so it can never wait on decisions in a cycle.
                with tenant_context(tenant_id):
                    written += follow_up_ensure(artifact_id=artifact_id, tenant_id=tenant_id)
        self.stdout.write(f"{written} missing follow-up(s) written.")
