"""App config of weather."""

from django.apps import AppConfig


class WeatherConfig(AppConfig):
    name = "weather"
    verbose_name = "Weather (ERA5 daily values per grid cell)"

    def ready(self) -> None:
        from common import page_panels
        from weather.web.panel import weather_panel

        page_panels.register("weather", weather_panel, order=10)
