"""App config of weather."""

from django.apps import AppConfig


class WeatherConfig(AppConfig):
    name = "weather"
    verbose_name = "Weather (ERA5 daily values per grid cell)"
