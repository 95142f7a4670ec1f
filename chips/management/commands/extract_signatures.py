"""manage.py extract_signatures --aoi AOI --year YEAR: fill the signature store for a
whole parcel dataset (chips.signatures.bulk), with a progress bar and a summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from chips.catalogue.models import Level, Scene
from chips.catalogue.sar_models import SarScene
from chips.raster.bands import LEVEL_BANDS
from chips.signatures import bulk
from chips.signatures.s1_series import TSTYPE_KINDS
from chips.signatures.series import S2_BANDS
from common.console import raw_stream
from parcels.models import ParcelDataset


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Command(BaseCommand):
    help = "Compute every parcel's signatures of a dataset, one task per scene."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--aoi", required=True)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--ptype", default="")
        parser.add_argument("--start", type=_date, help="first sensing date (default Jan 1)")
        parser.add_argument("--end", type=_date, help="last sensing date (default Dec 31)")
        parser.add_argument(
            "--bands", help="comma-separated (default B02,B03,B04,B05,B08,B11 and SCL)"
        )
        parser.add_argument("--plevel", default=Level.L2A, choices=list(LEVEL_BANDS))
        parser.add_argument(
            "--tstype",
            default="s2",
            choices=["s2", "bs", "c6"],
            help="s2 (default): Sentinel-2 bands; bs: Sentinel-1 backscatter (VV, VH); c6: "
            "6-day coherence (VV, VH)",
        )

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            dataset = ParcelDataset.objects.get(aoi=o["aoi"], year=o["year"], ptype=o["ptype"])
        except ParcelDataset.DoesNotExist:
            raise CommandError(f"no dataset {o['aoi']} {o['year']} {o['ptype']!r}") from None
        start = o["start"] or dt.date(dataset.year, 1, 1)
        end = o["end"] or dt.date(dataset.year, 12, 31)
        scenes: list[Scene] | list[SarScene]
        if o["tstype"] in TSTYPE_KINDS:
            bands = o["bands"].split(",") if o["bands"] else ["VH", "VV"]
            if any(b not in ("VV", "VH") for b in bands):
                raise CommandError("Sentinel-1 bands are VV and VH")
            kind = TSTYPE_KINDS[o["tstype"]]
            scenes = bulk.sar_dataset_products(dataset, kind=kind, start=start, end=end)
        else:
            level = o["plevel"]
            default = [*S2_BANDS, "SCL"] if level == Level.L2A else list(S2_BANDS)
            bands = o["bands"].split(",") if o["bands"] else default
            unknown = [b for b in bands if b not in LEVEL_BANDS[level]]
            if unknown:
                raise CommandError(f"not {level} bands: {', '.join(unknown)}")
            scenes = bulk.dataset_scenes(dataset, level=level, start=start, end=end)
        stream = raw_stream(self.stderr)
        bar = tqdm(total=len(scenes), desc="extract_signatures", unit="scene", file=stream,
                   disable=None)  # fmt: skip

        def advance(n: int) -> None:
            bar.update(n)

        with bar:
            outcome = bulk.extract(dataset, scenes, bands, progress=advance)
        for product, reason in outcome.failed.items():
            self.stderr.write(f"failed: {product}: {reason}")
        rate = outcome.rows / outcome.seconds if outcome.seconds else 0.0
        self.stdout.write(
            f"{dataset}: {outcome.scenes} scenes, {outcome.extracted} extracted, "
            f"{outcome.already} already done, {len(outcome.failed)} failed; {outcome.rows} rows "
            f"({outcome.parcels} parcel-scenes) in {outcome.seconds:.1f} s, {rate:.0f} rows/s"
        )
