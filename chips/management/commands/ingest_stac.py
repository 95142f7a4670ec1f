"""manage.py ingest_stac PATH...: catalogue Sentinel-2 STAC items and item collections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from chips.catalogue.ingest import Candidate, products_ingest
from chips.catalogue.sources.records import ProductError, SceneRecord
from chips.catalogue.sources.stac import StacProduct, find_stac_files, read_stac_file
from common.console import raw_stream


class Command(BaseCommand):
    help = (
        "Catalogue the Sentinel-2 STAC items in the files and folders given (folders are "
        "searched for *.json at any depth; STAC catalogs and collections in them are "
        "passed over). Earth Search v0/v1, Planetary Computer and Copernicus Data Space "
        "items are understood. Relative asset hrefs are resolved against the item file's "
        "folder; https:// and s3:// hrefs are kept. Products already catalogued are left "
        "as they are, so a second run adds nothing. A broken item (not STAC, missing "
        "facts, a missing local band file) is reported on stderr and skipped. Prints "
        "'N found, A added, U already present, B broken' on stdout. Exit status 0 when at "
        "least one item was read (added or already present), even if others were broken; "
        "1 when a path does not exist, no item was found, or every item is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="item files or folders")
        parser.add_argument(
            "--allow-missing-bands",
            action="store_true",
            help="catalogue items whose local band files are absent; by default such an "
            "item is broken (remote https:// and s3:// hrefs are never checked)",
        )

    def handle(self, *args: object, **options: object) -> None:
        paths = options["paths"]
        assert isinstance(paths, list)
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"not found: {', '.join(missing)}")
        require = not options["allow_missing_bands"]
        files = list(find_stac_files(paths))
        stream = raw_stream(self.stderr)  # tqdm needs the raw stream
        bar = tqdm(files, desc="ingest_stac", unit="file", file=stream, disable=None)

        def candidates() -> Iterator[Candidate]:
            for path in bar:
                for product in read_stac_file(path, require_band_files=require):
                    yield product.label, _reader(product)

        summary = products_ingest(
            candidates=candidates(),
            on_broken=lambda label, reason: tqdm.write(f"broken: {label}: {reason}", file=stream),
        )
        bar.close()
        self.stdout.write(summary.line())
        if not summary.read_any:
            raise CommandError("no STAC item could be read")


def _reader(product: StacProduct) -> Callable[[], SceneRecord]:
    def read() -> SceneRecord:
        if product.record is None:
            raise ProductError(product.error or "unreadable")
        return product.record

    return read
