"""manage.py extract_markers --aoi AOI --year YEAR [--ptype P]: events and a traffic light
for every parcel of a dataset (markers.bulk), with a progress bar and a summary."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from common.console import raw_stream
from markers import bulk
from markers.detect import VERSION
from parcels.models import ParcelDataset


class Command(BaseCommand):
    help = "Detect every parcel's events and judge its light (signatures first where missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--aoi", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--ptype", default="")
        parser.add_argument("--batch", type=int, default=None, help="parcels per unit")
        parser.add_argument("--force", action="store_true", help="recompute every parcel")
        parser.add_argument(
            "--no-signatures", action="store_true", help="use the store as it is (no fill)"
        )

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            dataset = ParcelDataset.objects.get(aoi=o["aoi"], year=o["year"], ptype=o["ptype"])
        except ParcelDataset.DoesNotExist:
            raise CommandError(f"no dataset {o['aoi']} {o['year']} {o['ptype']!r}") from None
        batch = o["batch"] or settings.MARKERS_BATCH
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        stream = raw_stream(self.stderr)
        bar = tqdm(total=0, desc="extract_markers", unit="parcel", file=stream, disable=None)

        def started(todo: int, total: int) -> None:
            bar.reset(total=todo)

        def advance(n: int) -> None:
            bar.update(n)

        with bar:
            outcome = bulk.extract(
                dataset, batch=batch, force=o["force"], signatures=not o["no_signatures"],
                progress=advance, started=started,
            )  # fmt: skip
        for product, reason in outcome.failed.items():
            self.stderr.write(f"failed: {product}: {reason}")
        rate = outcome.computed / outcome.seconds if outcome.seconds else 0.0
        lights = ", ".join(f"{n} {light}" for light, n in outcome.lights.items())
        self.stdout.write(
            f"{dataset}: {outcome.parcels} parcels, {outcome.computed} computed in "
            f"{outcome.batches} batches, {outcome.already} already current ({VERSION}); "
            f"signatures: {outcome.signature_scenes} scenes extracted "
            f"({outcome.signature_seconds:.1f} s); lights: {lights}; {outcome.seconds:.1f} s, "
            f"{rate:.0f} parcels/s"
        )
