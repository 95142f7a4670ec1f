"""Background sources read over real services on loopback: TiTiler serving the test
orthophoto as XYZ tiles and as WMTS, MapServer serving it as a WMS; the images against an
independent read of the orthophoto. A service that hangs or answers 500: 503 naming the
source, in time, and nothing recorded."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from background.models import BackgroundSource
from background.tests.conftest import centre_3857
from background.tests.ortho import Z18, independent_read
from background.tests.servers import MAPFILE, failing_service, hanging_service, mapserver_wms
from background.tests.test_background_file import download, lonlat, square
from chips.models import CachedChip
from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db


def image_of(client: Client, auth: BasicAuth, tms: str, *, extend: float, size: int) -> tuple:
    x, y = centre_3857()
    lon, lat = lonlat(x, y)
    url = (f"/query/backgroundByLocation?lon={lon}&lat={lat}&chipsize={size}&extend={extend}"
           f"&tms={tms}&raw=True")  # fmt: skip
    response = client.get(url, **auth)
    assert response.status_code == 200, response.content
    link = response.content.decode()
    assert link.endswith(f"/{tms.lower()}.png")
    rgb = np.moveaxis(np.asarray(Image.open(io.BytesIO(download(link)))), -1, 0)
    from background.tests.test_background_file import lonlat_back

    return rgb, square(*lonlat_back(lon, lat), extend)


def close_to(rgb: np.ndarray, want: np.ndarray, mean: float) -> None:
    diff = np.abs(rgb.astype(int) - want.astype(int))
    assert diff.mean() < mean, diff.mean()


@pytest.fixture
def service_source(db: None, chip_store: Path, tile_cache: Path) -> Any:
    def make(name: str, kind: str, url: str, **extra: Any) -> BackgroundSource:
        return BackgroundSource.objects.create(name=name, kind=kind, url=url, max_zoom=18,
                                               **extra)  # fmt: skip

    return make


def test_xyz_from_titiler(
    client: Client, auth: BasicAuth, service_source: Any, tile_server: str, ortho: Path,
    tile_cache: Path,
) -> None:  # fmt: skip
    template = f"{tile_server}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}.png?url={ortho}"
    service_source("Tiles", "xyz", template, attribution="TiTiler")
    extend, size = 200 * Z18, 200
    rgb, bounds = image_of(client, auth, "Tiles", extend=extend, size=size)
    close_to(rgb, independent_read(ortho, bounds, size), 2.0)
    # Coarser than the native grid: the service's zoom 16/17 tiles.
    rgb, bounds = image_of(client, auth, "Tiles", extend=500, size=128)
    close_to(rgb, independent_read(ortho, bounds, 128), 8.0)
    # The source's own tile cache (GDAL's) holds what was fetched.
    assert [p for p in tile_cache.rglob("*") if p.is_file() and "gdal" in p.parts]


def test_wmts_from_titiler(
    client: Client, auth: BasicAuth, service_source: Any, tile_server: str, ortho: Path
) -> None:
    capabilities = f"{tile_server}/WMTSCapabilities.xml?url={ortho}&tile_format=png"
    # TiTiler names a layer per tile matrix set: <url>_<set>_default.
    service_source("Wmts", "wmts", capabilities, layer=f"{ortho}_WebMercatorQuad_default",
                   tile_matrix_set="WebMercatorQuad")  # fmt: skip
    rgb, bounds = image_of(client, auth, "Wmts", extend=200 * Z18, size=200)
    close_to(rgb, independent_read(ortho, bounds, 200), 2.0)


def test_wms_from_mapserver(
    client: Client, auth: BasicAuth, service_source: Any, ortho: Path, tmp_path: Path
) -> None:
    import rasterio

    with rasterio.open(ortho) as src:
        b = src.bounds
    mapfile = tmp_path / "ortho.map"
    mapfile.write_text(MAPFILE.format(minx=b.left, miny=b.bottom, maxx=b.right, maxy=b.top,
                                      path=ortho))  # fmt: skip
    with mapserver_wms(mapfile) as url:
        service_source("Wms", "wms", f"{url}/?", layer="ortho", image_format="image/png")
        rgb, bounds = image_of(client, auth, "Wms", extend=200 * Z18, size=200)
    close_to(rgb, independent_read(ortho, bounds, 200), 2.0)


def test_a_service_that_hangs_answers_503_in_time(
    client: Client, auth: BasicAuth, service_source: Any
) -> None:
    with hanging_service() as url:
        service_source("Stuck", "xyz", f"{url}/{{z}}/{{x}}/{{y}}.png", timeout=1, retries=0)
        started = time.monotonic()
        answer = client.get("/query/backgroundByLocation?lon=6.05&lat=52.61&tms=stuck", **auth)
        took = time.monotonic() - started
    assert answer.status_code == 503
    body = json.loads(answer.content)
    assert "'Stuck'" in body["error"] and body["param"] == "tms"
    assert took < 10  # the deadline: 1 s a try, no retry, and a little
    assert not CachedChip.objects.exists()


def test_a_service_that_fails_answers_503(
    client: Client, auth: BasicAuth, service_source: Any, chip_store: Path
) -> None:
    with failing_service(500) as url:
        service_source("Broken", "wms", f"{url}/?", layer="x", timeout=2, retries=0)
        answer = client.get(
            "/query/backgroundByLocation?lon=6.05&lat=52.61&tms=Broken&iformat=tif", **auth
        )
    assert answer.status_code == 503
    assert "'Broken' failed" in json.loads(answer.content)["error"]
    assert not CachedChip.objects.exists()
    assert not list(chip_store.rglob("*.tif"))  # nothing half-written


def test_reads_of_a_source_are_bounded(tile_cache: Path) -> None:
    """max_fetches reads of a source at once: a read past its caller's deadline keeps its
    slot until GDAL's own timeout ends it, and a further read then finds none free."""
    from background.fetch import SourceBusy, SourceTimeout, fetch_image
    from background.imagery import SourceSpec

    with hanging_service() as url:
        spec = SourceSpec(key="bounded", kind="xyz", url=f"{url}/{{z}}/{{x}}/{{y}}.png",
                          timeout=6, retries=0, cache_dir=tile_cache / "b")  # fmt: skip
        bounds = (673000.0, 6910600.0, 673100.0, 6910700.0)
        started = time.monotonic()
        with pytest.raises(SourceTimeout):
            fetch_image(spec, bounds, 64, max_fetches=1, deadline=1)
        with pytest.raises(SourceBusy):
            fetch_image(spec, bounds, 64, max_fetches=1, deadline=1)
        assert time.monotonic() - started < 4
