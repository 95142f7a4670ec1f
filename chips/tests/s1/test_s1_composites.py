"""chipsByLocation with plevel=CARD-BS|CARD-COH6: a composite per pass, against the source
windows read independently (rasterio) and stretched as documented. The composite job runs
beside the request on its own connection: committed data (transactional_db)."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image

from chips.tests.s1.test_s1_chips import LAT, LON, expected
from testing.auth import BasicAuth, basic
from testing.s1_archive import PC_NODATA, RES, S1Archive

pytestmark = pytest.mark.django_db(transaction=True)


def composite_json(client: Client, auth: BasicAuth, query: str) -> dict:
    for _ in range(300):
        response = client.get(f"/query/chipsByLocation?{query}&format=json", **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        if body["state"] != "running":
            return body
        time.sleep(0.1)
    raise AssertionError("composite job still running")


def test_bs_composite_vv_vh_ratio(client: Client, alice: User, s1_catalogue: S1Archive) -> None:
    """CARD-BS composites: R = VV dB (-15..-3), G = VH dB (-20..-8), B = VV/VH dB (3..13),
    transparent where the source has nodata; every pass a composite."""
    auth = basic(alice.username)
    query = (f"lon={LON}&lat={LAT}&start_date=2019-12-01&end_date=2019-12-31&chipsize=400"
             "&plevel=CARD-BS")  # fmt: skip
    body = composite_json(client, auth, query)
    assert body["state"] == "done" and body["dates"] == ["20191215T004339", "20191216T124512"]
    files = s1_catalogue
    sources = [(files.vv, files.vh, PC_NODATA), (files.bs_vv, files.bs_vh, 0.0)]
    for chip, (vv_path, vh_path, nodata) in zip(body["chips"], sources, strict=True):
        response = client.get(chip)
        rgba = np.asarray(Image.open(io.BytesIO(response.getvalue())))
        vv, _ = expected(vv_path, 20, RES, nodata=nodata)
        vh, _ = expected(vh_path, 20, RES, nodata=nodata)
        vv_db, vh_db = 10 * np.log10(vv.astype(float)), 10 * np.log10(vh.astype(float))
        valid = np.isfinite(vv_db) & np.isfinite(vh_db)
        assert (rgba[..., 3] == np.where(valid, 255, 0)).all()
        for i, (layer, lo, hi) in enumerate(((vv_db, -15, -3), (vh_db, -20, -8),
                                             (vv_db - vh_db, 3, 13))):  # fmt: skip
            want = np.clip((layer - lo) / (hi - lo) * 255, 0, 255)
            assert np.abs(rgba[..., i][valid] - want[valid]).max() <= 1


def test_coh_composite_and_s2_bands_ignored(
    client: Client, alice: User, s1_catalogue: S1Archive
) -> None:
    auth = basic(alice.username)
    query = (f"lon={LON}&lat={LAT}&start_date=2019-12-01&end_date=2019-12-31&chipsize=400"
             "&plevel=CARD-COH6&lut=0_1_0_1_0_1")  # fmt: skip
    body = composite_json(client, auth, query)
    assert body["dates"] == ["20191215T004339"]
    rgba = np.asarray(Image.open(io.BytesIO(client.get(body["chips"][0]).getvalue())))
    vv, _ = expected(s1_catalogue.coh, 10, 2 * RES, band=2)
    valid = np.isfinite(vv)
    assert np.abs(rgba[..., 0][valid] - np.clip(vv[valid] * 255, 0, 255)).max() <= 1
    page = client.get(f"/query/chipsByLocation?{query}", **auth)
    assert page.status_code == 200 and b"VV coherence" in page.content


def test_parcel_page_s1_season(
    client: Client, alice: User, s1_catalogue: S1Archive, s1_parcels: dict
) -> None:
    """The parcel page draws VH/VV dB and coherence per orbit, each point linking to that
    pass's Sentinel-1 composite; the dB is of the parcel's linear mean (independent read)."""
    import re

    from chips.tests.s1.conftest import parcel_values

    query = "aoi=sx&year=2019&pid=f1&start_date=2019-12-01&end_date=2019-12-31"
    page = client.get(f"/query/chipsByParcelID?{query}", **basic(alice.username))
    assert page.status_code == 200, page.content
    html = page.content.decode()
    assert 'id="s1-season-chart"' in html
    titles = re.findall(r"<title>(2019-12-\d\d) (\w+) R(\d{3}) (V[VH][bc]): (-?[\d.]+)", html)
    assert len(titles) == 2 * 2 + 2  # bs: two passes x VV, VH; c6: one pass
    vv = parcel_values(s1_catalogue.vv, s1_parcels["f1"], nodata=PC_NODATA)
    want = f"{10 * np.log10(vv.mean()):.2f}"
    assert ("2019-12-15", "ascending", "005", "VVb", want) in titles
    assert "plevel=CARD-BS&amp;start_date=2019-12-16&amp;end_date=2019-12-16" in html
