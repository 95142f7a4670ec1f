"""Set up the demo: build the demo archive and parcels, ingest both, create the demo user.

Every step reuses what is already built, so a second `make demo` starts at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from demo.examples import example_urls
from parcels.models import ParcelDataset
from parcels.services import aoi_grant

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo account
ADMIN_USER = "admin"


class Command(BaseCommand):
    help = "Build (once) and load the demo archive, parcels and users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--archive",
            type=Path,
            default=settings.DEMO_ARCHIVE,
            help="where the demo archive lives (default: DEMO_ARCHIVE)",
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help="a small archive (the size the test suite uses), for smoke runs",
        )
        parser.add_argument("--port", type=int, default=8000, help="port named in the URLs")

    def handle(self, *args: Any, archive: Path, small: bool, port: int, **options: Any) -> None:
        manifest_path = archive / "demo.json"
        if not manifest_path.exists():
            self.stdout.write(f"building the demo archive in {archive} ...")
            build_args = [str(archive), "--layout", "both"]
            if small:
                build_args.append("--small")
            call_command("make_demo_archive", *build_args, stdout=self.stdout)
        manifest = json.loads(manifest_path.read_text())

        # COGs first: the L2A products then read from cloud-optimised files; the SAFE pass
        # adds the L1C products and finds the L2A ones already present.
        call_command("ingest_stac", str(archive / "cog"), stdout=self.stdout)
        call_command("ingest_safe", str(archive / "safe"), stdout=self.stdout)

        aoi, year = manifest["aoi"], int(manifest["year"])
        if not ParcelDataset.objects.filter(aoi=aoi, year=year, ptype="").exists():
            call_command(
                "import_parcels",
                str(archive / manifest["parcels"]),
                aoi=aoi,
                year=year,
                pid_field="pid",
                crop_name_field="crop_name",
                crop_code_field="crop_code",
                layer=manifest.get("parcels_layer", "parcels"),
                stdout=self.stdout,
            )

        user_model = get_user_model()
        demo, created = user_model.objects.get_or_create(username=DEMO_USER)
        if created:
            demo.set_password(DEMO_PASSWORD)
            demo.save()
        aoi_grant(user=demo, aoi=aoi)
        if not user_model.objects.filter(username=ADMIN_USER).exists():
            user_model.objects.create_superuser(ADMIN_USER, "", ADMIN_USER)

        base = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready: user {DEMO_USER}/{DEMO_PASSWORD} (AOI {aoi}, {year}); "
                f"admin {ADMIN_USER}/{ADMIN_USER} at {base}/admin/"
            )
        )
        for label, url in example_urls():
            self.stdout.write(f"  {label}: {base}{url}")
