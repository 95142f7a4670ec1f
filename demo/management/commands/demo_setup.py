"""Set up the demo: build the demo archive and parcels, ingest both, create the demo user.

Every step reuses what is already built, so a second `make demo` starts at once. Outside
demo mode (settings.DEMO false) the well-known passwords are refused: the command runs only
with passwords given (--admin-password/--demo-password or DEMO_ADMIN_PASSWORD and
DEMO_USER_PASSWORD in the environment).
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from background.models import BackgroundSource
from demo.examples import example_urls
from demo.generator.era5_like import write_era5_like
from demo.generator.ortho import write_ortho
from markers.models import RuleSet
from parcels.models import ParcelDataset
from parcels.services import aoi_grant
from weather.models import WeatherDay

DEMO_USER = "demo"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo account
ADMIN_USER = "admin"
DEMO_RULES = Path(__file__).resolve().parents[3] / "markers" / "rules" / "demo.json"


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
        parser.add_argument(
            "--admin-password",
            default=os.environ.get("DEMO_ADMIN_PASSWORD", ""),
            help="the admin's password (default: DEMO_ADMIN_PASSWORD; 'admin' in demo mode)",
        )
        parser.add_argument(
            "--markers",
            action="store_true",
            help="compute the events and traffic lights (extract_markers, about half a minute): "
            "the dataset map's colours and the review list (make demo passes it)",
        )
        parser.add_argument(
            "--demo-password",
            default=os.environ.get("DEMO_USER_PASSWORD", ""),
            help="the demo user's password (default: DEMO_USER_PASSWORD; 'demo' in demo mode)",
        )

    def handle(
        self,
        *args: Any,
        archive: Path,
        small: bool,
        port: int,
        admin_password: str,
        demo_password: str,
        markers: bool = False,
        **options: Any,
    ) -> None:
        admin_password, demo_password = passwords(admin_password, demo_password)
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
        if (archive / "s1").is_dir():  # STAC items and JRC CARD folders alike
            call_command("ingest_s1", str(archive / "s1"), stdout=self.stdout)

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

        # The demo's marker rules (markers/rules/demo.json), once: the admin may edit them.
        dataset = ParcelDataset.objects.get(aoi=aoi, year=year, ptype="")
        if not RuleSet.objects.filter(dataset=dataset).exists():
            call_command("load_marker_rules", str(DEMO_RULES), aoi=aoi, year=year,
                         stdout=self.stdout)  # fmt: skip
        if markers:  # idempotent: a second run finds every light current
            call_command("extract_markers", aoi=aoi, year=year, stdout=self.stdout)

        demo_background_and_weather(archive, manifest, stdout=self.stdout)

        user_model = get_user_model()
        demo, created = user_model.objects.get_or_create(username=DEMO_USER)
        if created:
            demo.set_password(demo_password)
            demo.save()
        aoi_grant(user=demo, aoi=aoi)
        if not user_model.objects.filter(username=ADMIN_USER).exists():
            user_model.objects.create_superuser(ADMIN_USER, "", admin_password)

        base = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"demo ready: user {DEMO_USER} (AOI {aoi}, {year}); "
                f"admin {ADMIN_USER} at {base}/admin/"
                + (f" (passwords {demo_password}, {admin_password})" if settings.DEMO else "")
            )
        )
        for label, url in example_urls():
            self.stdout.write(f"  {label}: {base}{url}")


def demo_background_and_weather(archive: Path, manifest: dict[str, Any], *, stdout: Any) -> None:
    """The demo's orthophoto as its default background source, and ERA5-like weather over
    the area for the season: each made once beside the archive, registered/loaded once."""
    ortho = archive / "ortho" / "demo_ortho.tif"
    if not ortho.exists():
        stdout.write("drawing the demo orthophoto (0.5 m) ...")
        write_ortho(ortho, manifest)
    if not BackgroundSource.objects.filter(name__iexact="ortho").exists():
        BackgroundSource.objects.create(
            name="Ortho",
            kind="file",
            url=str(ortho.resolve()),
            attribution="cbmweb demo orthophoto (synthetic, 0.5 m)",
            is_default=not BackgroundSource.objects.filter(is_default=True).exists(),
        )
    era5 = archive / "weather" / "era5_demo.nc"
    if not era5.exists():
        w, s, e, n = manifest["bbox_wgs84"]
        start, end = date.fromisoformat(manifest["start"]), date.fromisoformat(manifest["end"])
        write_era5_like(era5, west=w - 0.25, south=s - 0.25, east=e + 0.25, north=n + 0.25,
                        start=start, end=end, seed=int(manifest["seed"]))  # fmt: skip
    if not WeatherDay.objects.exists():
        call_command("load_weather", str(era5), stdout=stdout)


def passwords(admin_password: str, demo_password: str) -> tuple[str, str]:
    """The two passwords to set: the well-known ones in demo mode only; outside it both must
    be given, or a public site would get the superuser admin/admin."""
    if settings.DEMO:
        return admin_password or ADMIN_USER, demo_password or DEMO_PASSWORD
    if not (admin_password and demo_password):
        raise CommandError(
            "demo_setup outside demo mode (CBMWEB_DEMO is not set) would create the "
            "superuser admin/admin and demo/demo: give --admin-password and --demo-password "
            "(or DEMO_ADMIN_PASSWORD and DEMO_USER_PASSWORD), or set CBMWEB_DEMO=1"
        )
    return admin_password, demo_password
