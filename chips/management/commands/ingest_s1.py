"""manage.py ingest_s1 PATH...: catalogue Sentinel-1 products (STAC items, JRC CARD folders)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chips.catalogue.ingest import Candidate, products_ingest
from chips.catalogue.sar_ingest import sar_ingest
from chips.catalogue.sources import s1_card, s1_stac
from chips.catalogue.sources.records import ProductError
from chips.catalogue.sources.s1_records import SarRecord
from chips.catalogue.sources.stac import find_stac_files


class Command(BaseCommand):
    help = (
        "Catalogue the Sentinel-1 products in the files and folders given: STAC items "
        "(Planetary Computer sentinel-1-rtc, Copernicus Data Space style, cbmweb coherence "
        "items; *.json at any depth) and JRC CARD folders (CARD-BS <ref>.data/Gamma0_VV.img, "
        "CARD-COH6 <ref>.tif). Products already catalogued are left as they are, so a second "
        "run adds nothing; a broken one is reported on stderr and skipped. Prints 'N found, "
        "A added, U already present, B broken'. Exit status 1 when a path does not exist or "
        "no product could be read."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="item files or folders")
        parser.add_argument(
            "--allow-missing-bands",
            action="store_true",
            help="catalogue STAC items whose local band files are absent",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[Path] = options["paths"]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"not found: {', '.join(missing)}")
        require = not options["allow_missing_bands"]

        def candidates() -> Iterator[Candidate]:
            for path in find_stac_files(paths):
                for label, found in s1_stac.read_items(path, require_band_files=require):
                    yield label, _reader(found)
            dirs = [p for p in paths if p.is_dir()]
            for kind, path in s1_card.find_products(dirs):
                yield str(path), _card_reader(kind, path)

        summary = products_ingest(
            candidates=candidates(),
            on_broken=lambda label, reason: self.stderr.write(f"broken: {label}: {reason}"),
            ingest=sar_ingest,
        )
        self.stdout.write(summary.line())
        if not summary.read_any:
            raise CommandError("no Sentinel-1 product could be read")


def _reader(found: SarRecord | str) -> Callable[[], SarRecord]:
    def read() -> SarRecord:
        if isinstance(found, str):
            raise ProductError(found)
        return found

    return read


def _card_reader(kind: str, path: Path) -> Callable[[], SarRecord]:
    return lambda: s1_card.read_product(kind, path)
