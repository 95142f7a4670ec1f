"""manage.py import_parcels FILE --aoi AOI --year YEAR [...]: load a parcel file."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from common.console import raw_stream
from parcels.load import ParcelFileError
from parcels.models import aoi_validator, ptype_validator
from parcels.services import DatasetExists, parcels_import


class Command(BaseCommand):
    help = (
        "Import a parcel file (GeoPackage, Shapefile or zipped Shapefile, GeoJSON, GML, "
        "FlatGeobuf; any CRS) as the dataset AOI/YEAR/PTYPE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--aoi", required=True, help="AOI code, e.g. nl")
        parser.add_argument("--year", required=True, type=int)
        parser.add_argument("--ptype", default="", help="parcel type; empty for the main set")
        parser.add_argument("--layer", help="layer name (needed when the file has several)")
        parser.add_argument("--pid-field", help="parcel id column (default: the feature id)")
        parser.add_argument("--crop-name-field", help="crop name column")
        parser.add_argument("--crop-code-field", help="crop code column")
        parser.add_argument("--srid", type=int, help="EPSG code, for files without a CRS")
        parser.add_argument("--attribution", default="", help="data licence attribution")
        parser.add_argument("--replace", action="store_true", help="replace an existing dataset")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        aoi = options["aoi"].lower()
        for validator, value, name in (
            (aoi_validator, aoi, "--aoi"),
            (ptype_validator, options["ptype"], "--ptype"),
        ):
            try:
                validator(value)
            except Exception as exc:
                raise CommandError(f"{name} {value!r}: {exc}") from exc
        bar = tqdm(
            unit=" parcels",
            disable=options["no_progress"],
            file=raw_stream(self.stderr),
            leave=False,
        )
        started = time.perf_counter()
        try:
            report = parcels_import(
                path=options["file"],
                aoi=aoi,
                year=options["year"],
                ptype=options["ptype"],
                layer=options["layer"],
                pid_field=options["pid_field"],
                crop_name_field=options["crop_name_field"],
                crop_code_field=options["crop_code_field"],
                srid=options["srid"],
                attribution=options["attribution"],
                replace=options["replace"],
                progress=bar.update,
                total=lambda n: setattr(bar, "total", n),
            )
        except (ParcelFileError, DatasetExists) as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        seconds = time.perf_counter() - started
        dataset = report.dataset
        self.stdout.write(
            f"{dataset}: {report.imported} parcels imported from {report.features} features "
            f"(EPSG:{dataset.srid}) in {seconds:.1f} s"
        )
        self.stdout.write(f"repaired invalid geometries: {report.repaired}")
        self.stdout.write(f"duplicate pids (first kept): {len(report.duplicate_pids)}")
        if report.duplicate_pids:
            self.stdout.write(f"  e.g. {', '.join(report.duplicate_pids[:10])}")
        if report.missing_pids:
            self.stdout.write(f"features without a pid (skipped): {report.missing_pids}")
        if report.dropped_pids:
            self.stdout.write(
                f"features without a polygon (skipped): {len(report.dropped_pids)}: "
                f"{', '.join(report.dropped_pids[:10])}"
            )
