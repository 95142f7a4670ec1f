"""backgroundByLocation / backgroundByParcelID over a COG source: the CbM client's path (an
absolute URL as text/plain, downloaded without credentials, named <tms>.<format>), the
GeoTIFF's georeferencing, tags and pixels against an independent read, the cache, the
outline, the sources a user may use, and the errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.test import Client
from PIL import Image
from rasterio.transform import from_bounds

from background.models import BackgroundSource
from background.sources import default_source_name
from background.tests.conftest import centre_3857
from background.tests.ortho import Z18, independent_read
from chips.store.cache import flush_cache
from parcels.models import Parcel
from testing.auth import BasicAuth, basic

pytestmark = pytest.mark.django_db


def lonlat(x: float, y: float) -> tuple[float, float]:
    p = Point(x, y, srid=3857)
    p.transform(4326)
    return p.x, p.y


def square(x: float, y: float, extend: float) -> tuple[float, float, float, float]:
    return (x - extend / 2, y - extend / 2, x + extend / 2, y + extend / 2)


def download(url: str) -> bytes:
    """As the CbM client does: a GET without credentials."""
    response: Any = Client().get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, response
    return b"".join(response.streaming_content)


def test_geotiff_for_the_cbm_client(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, ortho: Path
) -> None:
    x, y = centre_3857()
    lon, lat = lonlat(x, y)
    extend, size = 256 * Z18, 256  # the native resolution
    url = (
        f"/query/backgroundByLocation?lon={lon}&lat={lat}&chipsize={size}&extend={extend}"
        "&tms=ORTHO&iformat=tif"
    )
    response = client.get(url, HTTP_ACCEPT="text/plain", **auth)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    link = response.content.decode()
    assert link.startswith("http://testserver/dump/") and link.endswith("/ortho.tif")
    with rasterio.MemoryFile(download(link)) as mem, mem.open() as tif:
        assert tif.crs.to_epsg() == 3857 and tif.count == 3 and tif.dtypes[0] == "uint8"
        assert (tif.width, tif.height) == (size, size)
        bounds = square(*lonlat_back(lon, lat), extend)
        assert tif.transform.almost_equals(from_bounds(*bounds, size, size), precision=1e-3)
        tags = tif.tags()
        assert tags["SOURCE"] == "Ortho" and tags["ATTRIBUTION"] == "(c) test agency 2024"
        pixels = tif.read()
    want = independent_read(ortho, bounds, size)
    assert np.abs(pixels.astype(int) - want).mean() < 1.0
    # A repeat is answered from the cache, even with the source gone.
    moved = ortho.with_suffix(".away")
    ortho.rename(moved)
    try:
        assert client.get(url, **auth).content.decode() == link
    finally:
        moved.rename(ortho)
    # Flushed with the chips: the link answers 404 after the flush.
    flush_cache()
    assert Client().get(link.removeprefix("http://testserver")).status_code == 404


def lonlat_back(lon: float, lat: float) -> tuple[float, float]:
    p = Point(lon, lat, srid=4326)
    p.transform(3857)
    return p.x, p.y


def test_downsampled_png_and_html_page(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, ortho: Path
) -> None:
    x, y = centre_3857()
    lon, lat = lonlat(x, y)
    base = f"/query/backgroundByLocation?lon={lon}&lat={lat}&chipsize=128&extend=400"
    raw = client.get(f"{base}&raw=True", **auth)
    link = raw.content.decode()
    assert link.endswith("/ortho.png")  # the default source, lower-cased
    image = np.asarray(Image.open(io.BytesIO(download(link))))
    assert image.shape == (128, 128, 3)
    want = independent_read(ortho, square(*lonlat_back(lon, lat), 400), 128)
    # 400 m over 128 px is ~5 source pixels a pixel: GDAL reads the overview, the
    # independent read the full band; both average the same smooth field.
    assert np.abs(image.astype(int) - np.moveaxis(want, 0, -1)).mean() < 6
    page = client.get(base, **auth, HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert link.removeprefix("http://testserver") in html and "(c) test agency 2024" in html


def test_parcel_outline_on_the_png(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, parcel: Parcel, bob: User
) -> None:
    url = "/query/backgroundByParcelID?aoi=nl&year=2024&pid=f1&chipsize=200&extend=100"
    plain = download(client.get(f"{url}&raw=1", **auth).content.decode())
    drawn = download(client.get(f"{url}&raw=1&withGeometry=True", **auth).content.decode())
    a = np.asarray(Image.open(io.BytesIO(plain)))
    b = np.asarray(Image.open(io.BytesIO(drawn)))
    yellow = (b == (255, 255, 0)).all(axis=-1)
    # The 60 x 40 m field over 100 m at 2 px/m: its edges at columns 40 and 160.
    cols = np.flatnonzero(yellow.sum(axis=0) > 40)
    assert abs(cols.min() - 40) <= 2 and abs(cols.max() - 160) <= 2
    assert (a[~yellow] == b[~yellow]).all()
    # Outside the caller's grant: 403, the same whether or not the parcel exists.
    bob_auth = basic(bob.username)
    denied = client.get(url, **bob_auth)
    missing = client.get(url.replace("pid=f1", "pid=zz"), **bob_auth)
    assert denied.status_code == missing.status_code == 403
    assert json.loads(denied.content) == json.loads(missing.content)


def test_sources_a_user_may_use(
    client: Client, auth: BasicAuth, alice: User, ortho_source: BackgroundSource, staff: User
) -> None:
    BackgroundSource.objects.create(name="AtOrtho", kind="file", url="/nowhere.tif", aois="at")
    BackgroundSource.objects.create(name="Off", kind="file", url="/nowhere.tif", enabled=False)
    info = json.loads(client.get("/query/info", **auth).content)
    assert info["backgrounds"] == [
        {"name": "Ortho", "kind": "file", "attribution": "(c) test agency 2024", "default": True}
    ]
    assert default_source_name(alice) == "Ortho" and default_source_name(staff) == "Ortho"
    for tms in ("AtOrtho", "Off", "nope"):
        answer = client.get(f"/query/backgroundByLocation?lon=6&lat=52&tms={tms}", **auth)
        assert answer.status_code == 400
        body = json.loads(answer.content)
        assert body["param"] == "tms" and body["choices"] == ["Ortho"]
        assert body["error"].endswith("(yours: Ortho)")
    ortho_source.delete()
    assert default_source_name(alice) is None
    assert default_source_name(staff) == "AtOrtho"


@pytest.mark.parametrize(
    ("query", "param"),
    [("chipsize=8", "chipsize"), ("extend=20000", "extend"), ("iformat=jpg", "iformat"),
     ("lon=200", "lon"), ("lat=89", "lat")],
)  # fmt: skip
def test_bad_parameters(
    client: Client, auth: BasicAuth, ortho_source: BackgroundSource, query: str, param: str
) -> None:
    base = {"lon": "6.05", "lat": "52.61"}
    key, value = query.split("=")
    base[key] = value
    qs = "&".join(f"{k}={v}" for k, v in base.items())
    answer = client.get(f"/query/backgroundByLocation?{qs}", **auth)
    assert answer.status_code == 400 and json.loads(answer.content)["param"] == param
    # JSON whatever the client asked for (the URL answer is text/plain).
    for accept, extra in (("text/plain", ""), ("*/*", "&format=txt")):
        answer = client.get(f"/query/backgroundByLocation?{qs}{extra}", HTTP_ACCEPT=accept,
                            **auth)  # fmt: skip
        assert answer["Content-Type"] == "application/json"
        assert json.loads(answer.content)["param"] == param
    assert client.get(f"/query/backgroundByLocation?{qs}").status_code == 401
