"""App config of background."""

from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "background"
    verbose_name = "Background imagery sources"

    def ready(self) -> None:
        from background.sources import info_section
        from common import info_sections

        info_sections.register("backgrounds", info_section)
