"""App config of chips."""

from django.apps import AppConfig


class ChipsConfig(AppConfig):
    name = "chips"
    verbose_name = "Scenes and chips"
