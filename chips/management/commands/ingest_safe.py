"""manage.py ingest_safe ROOT: catalogue every Sentinel-2 .SAFE product under ROOT."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from chips.catalogue.ingest import products_ingest
from chips.catalogue.sources.safe import find_safe_products, read_safe
from common.console import raw_stream


class Command(BaseCommand):
    help = (
        "Catalogue every *.SAFE product (L1C and L2A) under ROOT, at any depth (e.g. the "
        "eodata layout Sentinel-2/MSI/L2A/YYYY/MM/DD/). Products already catalogued are "
        "left as they are, so a second run adds nothing. A broken product (unreadable "
        "metadata, a missing band file, a *.SAFE folder that is not a product) is reported "
        "on stderr and skipped. Prints 'N found, A added, U already present, B broken' on "
        "stdout. Exit status 0 when at least one product was read (added or already "
        "present), even if others were broken; 1 when ROOT does not exist, holds no "
        "product, or every product in it is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("root", type=Path, help="folder to search for *.SAFE products")
        parser.add_argument(
            "--allow-missing-bands",
            action="store_true",
            help="catalogue products whose band files are absent (metadata-only copies), "
            "with the band paths their metadata lists; by default such a product is broken",
        )

    def handle(self, *args: object, **options: object) -> None:
        root = options["root"]
        assert isinstance(root, Path)
        if not root.exists():
            raise CommandError(f"{root} does not exist")
        require = not options["allow_missing_bands"]
        products = list(find_safe_products(root))
        stream = raw_stream(self.stderr)  # tqdm needs the raw stream
        bar = tqdm(products, desc="ingest_safe", unit="product", file=stream, disable=None)
        summary = products_ingest(
            candidates=((str(p), partial(read_safe, p, require_band_files=require)) for p in bar),
            on_broken=lambda label, reason: tqdm.write(f"broken: {label}: {reason}", file=stream),
        )
        bar.close()
        self.stdout.write(summary.line())
        if not summary.read_any:
            raise CommandError(f"no product could be read under {root}")
