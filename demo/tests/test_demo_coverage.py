"""The demo's parcels lie inside its imagery, and the parcels it offers as examples
(/query/info's id_examples, the front page's) are ones every tile's 1280 m chips cover
whole. Checked against the generated files: the band files' valid pixels read with
rasterio, the parcels with pyogrio, reprojected with pyproj."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyogrio.raw
import pytest
import rasterio
import rasterio.features
import shapely
from django.core.management import call_command
from pyproj import Transformer

from demo.examples import example_urls

CHIP_M = 1280
# A chip's window snaps onto the band grid: its edges may move by half a 10 m pixel.
SNAP_M = 5.0


@pytest.fixture(scope="module")
def archive(demo_archive: Path) -> Path:
    return demo_archive


@cache
def valid_areas(root: Path) -> tuple[tuple[int, shapely.Geometry], ...]:
    """(EPSG, the union of its valid pixels) of every L2A B04 band file (COG layout)."""
    areas = []
    for path in sorted((root / "cog").rglob("B04.tif")):
        with rasterio.open(path) as src:
            valid = (src.read(1) != 0).astype(np.uint8)
            shapes = rasterio.features.shapes(
                valid, mask=valid.astype(bool), transform=src.transform
            )
            area = shapely.union_all([shapely.geometry.shape(g) for g, _ in shapes])
            areas.append((src.crs.to_epsg(), area))
    assert len(areas) >= 3
    return tuple(areas)


@cache
def parcels(root: Path) -> dict[str, shapely.Geometry]:
    """pid -> polygon in the national CRS (EPSG:28992), as the generator wrote it."""
    manifest = json.loads((root / "demo.json").read_text())
    meta, _, geometry, fields = pyogrio.raw.read(
        str(root / manifest["parcels"]), layer=manifest["parcels_layer"]
    )
    assert meta["crs"] == "EPSG:28992"
    pids = fields[list(meta["fields"]).index("pid")]
    return dict(zip(pids, shapely.from_wkb(geometry), strict=True))


def in_crs(geom: Any, epsg: int) -> Any:
    """A geometry (or an array of them) from the national CRS into `epsg`."""
    tr = Transformer.from_crs(28992, epsg, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def chip_covers_whole(root: Path, polygon: shapely.Geometry) -> bool:
    """Every product's 1280 m chip around the parcel's centroid holds all of the parcel and
    lies inside that product's valid pixels."""
    for epsg, area in valid_areas(root):
        native = in_crs(polygon, epsg)
        centre = shapely.centroid(native)
        cx, cy = shapely.get_x(centre), shapely.get_y(centre)
        h = CHIP_M / 2
        inner = shapely.box(cx - h + SNAP_M, cy - h + SNAP_M, cx + h - SNAP_M, cy + h - SNAP_M)
        outer = shapely.box(cx - h - SNAP_M, cy - h - SNAP_M, cx + h + SNAP_M, cy + h + SNAP_M)
        if not (shapely.within(native, inner) and shapely.within(outer, area)):
            return False
    return True


def test_every_parcel_lies_inside_every_products_valid_pixels(archive: Path) -> None:
    found = parcels(archive)
    assert len(found) > 50
    pids = list(found)
    for epsg, area in valid_areas(archive):
        # All parcels through one transformer, against the area prepared once.
        shapely.prepare(area)
        inside = shapely.within(in_crs(np.array([found[p] for p in pids]), epsg), area)
        outside = [pid for pid, ok in zip(pids, inside.tolist(), strict=True) if not ok]
        assert not outside, (epsg, outside[:5])


def test_the_first_ids_are_covered_whole_by_every_chip(archive: Path) -> None:
    """/query/info offers the first pids in id order."""
    found = parcels(archive)
    for pid in sorted(found)[:3]:
        assert chip_covers_whole(archive, found[pid]), pid


@pytest.mark.django_db
def test_the_front_page_parcel_is_covered_whole(archive: Path) -> None:
    manifest = json.loads((archive / "demo.json").read_text())
    call_command("ingest_stac", str(archive / "cog"), verbosity=0)
    call_command(
        "import_parcels", str(archive / manifest["parcels"]), aoi="nl", year=2024,
        pid_field="pid", crop_name_field="crop_name", crop_code_field="crop_code",
        layer=manifest["parcels_layer"], verbosity=0,
    )  # fmt: skip
    urls = dict(example_urls())
    pid = parse_qs(urlsplit(urls["The same parcel by id"]).query)["pid"][0]
    assert re.fullmatch(r"NL-DEMO-\d{5}", pid)
    assert chip_covers_whole(archive, parcels(archive)[pid])
    at = parse_qs(urlsplit(urls["Scenes over the point"]).query)
    point = shapely.Point(float(at["lon"][0]), float(at["lat"][0]))
    assert shapely.contains(in_crs(parcels(archive)[pid], 4326), point)
