"""App config of ops: connects the quota signal handlers."""

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Connects the signal handlers that clear a cached quota override when it changes,
        # in every process (web, workers, management commands), not only where the
        # middleware happens to import the module.
        from ops import quotas  # noqa: F401
