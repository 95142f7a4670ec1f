"""The background tests' orthophoto, sources and servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon

from background.models import BackgroundSource
from background.tests.ortho import TILE_X, TILE_Y, tile_origin, write_ortho
from background.tests.servers import titiler
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant


@pytest.fixture(scope="session")
def ortho(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ortho(tmp_path_factory.mktemp("ortho") / "ortho.tif")


@pytest.fixture(scope="session")
def tile_server(ortho: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with titiler(tmp_path_factory.mktemp("titiler") / "log") as url:
        yield url


@pytest.fixture
def tile_cache(settings: Any, tmp_path: Path) -> Path:
    settings.BACKGROUND_TILE_CACHE = tmp_path / "tiles"
    return settings.BACKGROUND_TILE_CACHE


@pytest.fixture
def ortho_source(db: None, ortho: Path, chip_store: Path, tile_cache: Path) -> BackgroundSource:
    return BackgroundSource.objects.create(
        name="Ortho", kind="file", url=str(ortho), attribution="(c) test agency 2024",
        is_default=True,
    )  # fmt: skip


def centre_3857(dx_tiles: float = 2.0, dy_tiles: float = 2.0) -> tuple[float, float]:
    ulx, uly = tile_origin(TILE_X, TILE_Y)
    span = tile_origin(TILE_X + 1, TILE_Y)[0] - ulx
    return ulx + dx_tiles * span, uly - dy_tiles * span


@pytest.fixture
def parcel(db: None, alice: User) -> Parcel:
    """A 60 x 40 m field in the orthophoto, granted to alice (AOI nl)."""
    from django.contrib.gis.geos import Point

    cx, cy = centre_3857()
    centre = Point(cx, cy, srid=3857)
    centre.transform(4326)
    box = Polygon.from_bbox((cx - 30, cy - 20, cx + 30, cy + 20))
    box.srid = 3857
    box.transform(4326)
    geom = MultiPolygon(box, srid=4326)
    dataset = ParcelDataset.objects.create(aoi="nl", year=2024, srid=4326, source="test")
    aoi_grant(user=alice, aoi="nl")
    return Parcel.objects.create(dataset=dataset, pid="f1", crop_name="grass", crop_code="265",
                                 area=2_400, centroid=geom.centroid, geom=geom,
                                 geom_native=bytes(geom.wkb))  # fmt: skip
