"""rawS1ChipsBatch and the S2 raw endpoints with plevel=CARD-BS|CARD-COH6, against the
source files read independently: the chip is a window of the product's own grid (no
resampling), float32 linear, nodata NaN where the source had its nodata, tagged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import rasterio
from django.contrib.auth.models import User
from django.test import Client
from pyproj import Transformer
from rasterio.windows import Window

from chips.models import CachedChip
from testing.auth import BasicAuth, basic
from testing.s1_archive import BS_REF, COH_REF, EPSG, PC_NODATA, RES, ULX, ULY, S1Archive

pytestmark = pytest.mark.django_db
# A point about 2000 m east and 1500 m south of the products' corner, in lon/lat.
X, Y = ULX + 2003.0, ULY - 1497.0
LON, LAT = Transformer.from_crs(EPSG, 4326, always_xy=True).transform(X, Y)
BODY = {"lon": LON, "lat": LAT, "dates": ["2019-12-01", "2019-12-31"], "chipsize": 400,
        "plevel": "CARD-BS"}  # fmt: skip


def post(client: Client, auth: BasicAuth, body: dict, status: int = 200) -> Any:
    response = client.post("/query/rawS1ChipsBatch", body, content_type="application/json",
                           **auth)  # fmt: skip
    assert response.status_code == status, response.content
    return response.json()


def dump(client: Client, url: str) -> rasterio.io.MemoryFile:
    response = client.get(url)
    assert response.status_code == 200
    return rasterio.io.MemoryFile(response.getvalue())


def expected(path: Any, chip_px: int, res: float, *, band: int = 1, nodata: float = 0.0):
    """The source window around the point, snapped to the grid, invalid as NaN."""
    with rasterio.open(path) as src:
        col, row = ~src.transform @ (X, Y)
        c0, r0 = int(np.floor(col - chip_px / 2 + 0.5)), int(np.floor(row - chip_px / 2 + 0.5))
        data = src.read(band, window=Window(c0, r0, chip_px, chip_px)).astype(np.float32)
        transform = src.window_transform(Window(c0, r0, chip_px, chip_px))
    data[(data == nodata) | (data == 0) | ~np.isfinite(data)] = np.nan
    return data, transform


def test_batch_both_passes(client: Client, alice: User, s1_catalogue: S1Archive) -> None:
    body = post(client, basic(alice.username), BODY)
    assert body["dates"] == ["20191215T004339_VH", "20191215T004339_VV",
                             "20191216T124512_VH", "20191216T124512_VV"]  # fmt: skip
    assert body["chips"][2].endswith(f"/{BS_REF}_VH.tif")
    assert all(c.startswith("/dump/") for c in body["chips"])
    files = s1_catalogue
    sources = [(files.vh, PC_NODATA), (files.vv, PC_NODATA), (files.bs_vh, 0.0),
               (files.bs_vv, 0.0)]  # fmt: skip
    for url, (path, nodata) in zip(body["chips"], sources, strict=True):
        with dump(client, url) as mem, mem.open() as chip:
            assert chip.dtypes[0] == "float32" and chip.crs.to_epsg() == EPSG
            assert np.isnan(chip.nodata)
            assert chip.width == chip.height == 400 / RES
            want, transform = expected(path, 20, RES, nodata=nodata)
            assert chip.transform == transform  # the source grid, not resampled
            np.testing.assert_array_equal(chip.read(1), want)
            tags = chip.tags()
            assert tags["POLARISATION"] == url[-6:-4] and tags["COEFFICIENT"] == "gamma0"
            assert tags["ORBIT_DIRECTION"] in ("ASCENDING", "DESCENDING")
            assert int(tags["RELATIVE_ORBIT"]) > 0 and tags["KIND"] == "CARD-BS"
    assert CachedChip.objects.filter(sar_scene__isnull=False).count() == 4
    # A repeat is answered from the client's cache, the same.
    assert post(client, basic(alice.username), BODY) == body


def test_batch_orbit_filter_and_coherence(
    client: Client, alice: User, s1_catalogue: S1Archive
) -> None:
    auth = basic(alice.username)
    one = post(client, auth, {**BODY, "orbit_direction": "DESCENDING"})
    assert one["dates"] == ["20191216T124512_VH", "20191216T124512_VV"]
    coh = post(client, auth, {**BODY, "plevel": "CARD-COH6"})
    assert coh["chips"][1].endswith(f"/{COH_REF}_VV.tif")
    with dump(client, coh["chips"][1]) as mem, mem.open() as chip:
        want, _ = expected(s1_catalogue.coh, 10, 2 * RES, band=2)  # VV is band 2
        np.testing.assert_array_equal(chip.read(1), want)
        assert chip.tags()["SECOND_TIME"] == "2019-12-21T00:43:41Z"


def test_batch_bad_bodies(client: Client, alice: User, s1_catalogue: S1Archive, settings) -> None:
    auth = basic(alice.username)
    assert post(client, auth, {**BODY, "tiles": []}, 400)["param"] == "tiles"
    assert post(client, auth, {**BODY, "": 1}, 400)["param"] == "body"
    missing = {k: v for k, v in BODY.items() if k != "plevel"}
    assert post(client, auth, missing, 400)["param"] == "plevel"
    assert post(client, auth, {**BODY, "plevel": "LEVEL2A"}, 400)["param"] == "plevel"
    assert post(client, auth, {**BODY, "dates": ["2019-12-31"]}, 400)["param"] == "dates"
    settings.MAX_S1_PRODUCTS_PER_REQUEST = 1
    error = post(client, auth, BODY, 400)
    assert error["param"] == "dates" and "2 Sentinel-1 products" in error["error"]


def test_s2_endpoint_with_s1_level(client: Client, alice: User, s1_catalogue: S1Archive) -> None:
    query = (f"lon={LON}&lat={LAT}&start_date=2019-12-01&end_date=2019-12-31&chipsize=400"
             "&plevel=CARD-BS&band=VV")  # fmt: skip
    response = client.get(f"/query/rawChipByLocation?{query}", **basic(alice.username))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dates"] == ["20191215T004339", "20191216T124512"]
    with dump(client, body["chips"][0]) as mem, mem.open() as chip:
        want, _ = expected(s1_catalogue.vv, 20, RES, nodata=PC_NODATA)
        np.testing.assert_array_equal(chip.read(1), want)
    bad = client.get(f"/query/rawChipByLocation?{query[:-2]}B04", **basic(alice.username))
    assert bad.status_code == 400 and bad.json()["param"] == "band"
