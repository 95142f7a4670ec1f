"""manage.py grant_aoi USERNAME AOI [AOI ...]: let a user see these AOIs' parcels."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from parcels.models import aoi_validator
from parcels.services import aoi_grant


class Command(BaseCommand):
    help = "Grant a user access to the parcels of one or more AOIs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("aois", nargs="+", metavar="AOI")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: options["username"]})
        except user_model.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}") from None
        for aoi in options["aois"]:
            try:
                aoi_validator(aoi.lower())
            except Exception as exc:
                raise CommandError(f"AOI {aoi!r}: {exc}") from exc
            aoi_grant(user=user, aoi=aoi)
        self.stdout.write(
            f"{user}: {', '.join(sorted(user.aoi_grants.values_list('aoi', flat=True)))}"
        )
