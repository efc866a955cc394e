from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # Registers the row-level security system check and the per-task log line.
        from django.db.backends.signals import connection_created

        from config import logs  # noqa: F401
        from tenancy import checks  # noqa: F401
        from tenancy.citus import bind_on_the_client_on_citus

        connection_created.connect(bind_on_the_client_on_citus)
