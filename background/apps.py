"""App config of background."""

from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "background"
    verbose_name = "Background imagery sources"

    def ready(self) -> None:
        from background.sources import info_section
        from background.web.panel import background_panel
        from common import info_sections, page_panels

        info_sections.register("backgrounds", info_section)
        page_panels.register("background", background_panel, order=20)
