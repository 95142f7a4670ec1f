"""rawChipByLocation, rawChipByParcelID and rawChipsBatch over HTTP, pixels included."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import rasterio
from django.test import Client
from pyproj import Transformer

from chips.models import CachedChip
from testing.rasters import expected_window
from testing.raw_archive import P_BORDER_LONLAT, P_OVERLAP_UTM31
from testing.scenes import asset_path, to_lonlat

pytestmark = pytest.mark.django_db
URL = "/query/rawChipByLocation"


def get(client: Client, auth: dict, **params) -> tuple[int, dict]:
    response = client.get(URL, params, **auth)
    return response.status_code, response.json()


def params_at(lonlat: tuple[float, float], **kw) -> dict:
    lon, lat = lonlat
    return {"lon": lon, "lat": lat, "start_date": "2024-06-01", "end_date": "2024-06-30",
            "band": "B04", **kw}  # fmt: skip


def download(client: Client, chip: str) -> bytes:
    response = client.get(chip)  # no credentials, as the CbM client does
    assert response.status_code == 200, chip
    return response.getvalue()


def test_chips_by_location_answer_and_pixels(client, auth, archive, tmp_path) -> None:
    lonlat = to_lonlat(32631, *P_OVERLAP_UTM31)
    status, body = get(client, auth, **params_at(lonlat))
    assert status == 200
    chosen = [archive[k] for k in ("B1", "A2", "A3new")]
    assert body["dates"] == [s.sensing_key for s in chosen]
    for chip, scene in zip(body["chips"], chosen, strict=True):
        _, dump, token, name = chip.split("/")
        assert dump == "dump" and len(token) >= 22
        assert name == f"{scene.product_id}.B04.tif"
        assert name.split("_")[2] == scene.sensing_key and name.split(".")[-2] == "B04"
        out = tmp_path / name
        out.write_bytes(download(client, chip))
        x, y = Transformer.from_crs(4326, scene.epsg, always_xy=True).transform(*lonlat)
        with rasterio.open(out) as got:
            assert got.crs.to_epsg() == scene.epsg and got.shape == (128, 128)
            expected = expected_window(asset_path(scene, "B04"), x, y, 1280)
            np.testing.assert_array_equal(got.read(1), expected)
            assert got.tags()["PRODUCT"] == scene.product_id
            assert got.tags()["BOA_ADD_OFFSET"] == "-1000"


def test_scl_chip_size_follows_resolution(client, auth, archive, tmp_path) -> None:
    status, body = get(client, auth, **params_at(to_lonlat(32631, *P_OVERLAP_UTM31), band="SCL"))
    assert status == 200
    out = tmp_path / "scl.tif"
    out.write_bytes(download(client, body["chips"][0]))
    with rasterio.open(out) as got:
        assert got.shape == (64, 64) and got.dtypes == ("uint8",)
        assert got.colormap(1)[4][:3] == (0, 160, 0)


def test_zone_border_chips_in_their_own_crs(client, auth, archive, tmp_path) -> None:
    status, body = get(
        client, auth,
        **params_at(P_BORDER_LONLAT, start_date="2024-07-01", end_date="2024-07-31"),
    )  # fmt: skip
    assert status == 200 and len(body["chips"]) == 2
    for chip, key in zip(body["chips"], ("Z31", "Z32"), strict=True):
        scene = archive[key]
        out = tmp_path / f"{key}.tif"
        out.write_bytes(download(client, chip))
        x, y = Transformer.from_crs(4326, scene.epsg, always_xy=True).transform(*P_BORDER_LONLAT)
        with rasterio.open(out) as got:
            assert got.crs.to_epsg() == scene.epsg
            left, bottom, right, top = got.bounds
            assert abs((left + right) / 2 - x) <= 5 and abs((bottom + top) / 2 - y) <= 5
            np.testing.assert_array_equal(
                got.read(1), expected_window(asset_path(scene, "B04"), x, y, 1280)
            )


def test_onlylist_cuts_nothing(client, auth, archive, chip_store) -> None:
    status, body = get(client, auth, **params_at(to_lonlat(32631, *P_OVERLAP_UTM31),
                                                onlylist="True"))  # fmt: skip
    assert status == 200
    assert body["chips"] == [archive[k].product_id for k in ("B1", "A2", "A3new")]
    assert not CachedChip.objects.exists() and not chip_store.exists()


def test_limit_counts_only_uncached_chips(client, auth, archive, settings) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 2
    lonlat = to_lonlat(32631, *P_OVERLAP_UTM31)
    status, body = get(client, auth, **params_at(lonlat))
    assert status == 400 and body["param"] == "end_date"
    assert "3 chips" in body["error"] and "shorten" in body["error"]
    # Two days first, then the whole month: only the third chip is new.
    status, first = get(client, auth, **params_at(lonlat, end_date="2024-06-05"))
    assert status == 200 and len(first["chips"]) == 2
    status, whole = get(client, auth, **params_at(lonlat))
    assert status == 200 and whole["chips"][:2] == first["chips"] and len(whole["chips"]) == 3
    # onlylist is never limited.
    assert get(client, auth, **params_at(lonlat, onlylist="true", band="SCL"))[0] == 200


def test_cache_reuse_and_refresh(client, auth, archive, chip_store) -> None:
    lonlat = to_lonlat(32631, *P_OVERLAP_UTM31)
    _, body = get(client, auth, **params_at(lonlat))
    first = {c.file_name: c.created for c in CachedChip.objects.all()}
    paths = {p: p.stat().st_mtime_ns for p in chip_store.rglob("*.tif")}
    _, again = get(client, auth, **params_at(lonlat))
    assert again == body
    assert {p: p.stat().st_mtime_ns for p in chip_store.rglob("*.tif")} == paths  # nothing recut
    _, refreshed = get(client, auth, **params_at(lonlat, refresh="True"))
    assert refreshed == body
    assert all(p.stat().st_mtime_ns > t for p, t in paths.items())
    assert CachedChip.objects.count() == len(first) == 3


def test_other_place_other_token(client, auth, archive) -> None:
    _, here = get(client, auth, **params_at(to_lonlat(32631, *P_OVERLAP_UTM31)))
    _, there = get(client, auth, **params_at(to_lonlat(32631, 601000, 5797000)))
    assert here["chips"][0].split("/")[2] != there["chips"][0].split("/")[2]
    assert download(client, here["chips"][0]) != download(client, there["chips"][0])


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"lon": "abc"}, "lon"),
        ({"lat": "91"}, "lat"),
        ({"band": "B99"}, "band"),
        ({"band": "B10"}, "band"),
        ({"plevel": "LEVEL3"}, "plevel"),
        ({"chipsize": "5"}, "chipsize"),
        ({"start_date": "2024-13-01"}, "start_date"),
        ({"start_date": "2024-07-01"}, "start_date"),
        ({"refresh": "maybe"}, "refresh"),
    ],
)
def test_bad_parameters_answer_400(client, auth, archive, change, param) -> None:
    status, body = get(client, auth, **{**params_at((5.0, 52.0)), **change})
    assert status == 400 and body["param"] == param and body["error"]


def test_credentials_required(client, archive) -> None:
    response = client.get(URL, params_at((5.0, 52.0)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="cbmweb"'


def test_batch_lists_exactly_what_was_asked(client, auth, archive, tmp_path) -> None:
    lon, lat = to_lonlat(32631, *P_OVERLAP_UTM31)
    tiles = [archive["A1"].product_id, archive["B1"].product_id]
    body = {"lon": lon, "lat": lat, "tiles": tiles, "bands": ["B04", "SCL"], "chipsize": 640}
    response = client.post("/query/rawChipsBatch", body, content_type="application/json", **auth)
    assert response.status_code == 200
    answer = response.json()
    t1 = archive["A1"].sensing_key
    assert answer["dates"] == [f"{t1}_B04", f"{t1}_SCL"] * 2
    names = [c.split("/")[3] for c in answer["chips"]]
    assert names == [f"{p}.{b}.tif" for p in tiles for b in ("B04", "SCL")]
    x, y = Transformer.from_crs(4326, 32631, always_xy=True).transform(lon, lat)
    out = tmp_path / "b.tif"
    out.write_bytes(download(client, answer["chips"][3]))
    with rasterio.open(out) as got:
        assert got.shape == (32, 32)
        expected = expected_window(asset_path(archive["B1"], "SCL"), x, y, 640)
        np.testing.assert_array_equal(got.read(1), expected)
    # Unknown products: 404 naming the parameter; malformed bodies: 400.
    bad = {**body, "tiles": ["S2A_MSIL2A_NOPE"]}
    response = client.post("/query/rawChipsBatch", bad, content_type="application/json", **auth)
    assert response.status_code == 404 and response.json()["param"] == "tiles"
    broken_parts: list[tuple[dict[str, object], str]] = [
        ({"bands": []}, "bands"),
        ({"tiles": "x"}, "tiles"),
        ({"lon": None}, "lon"),
    ]
    for broken, param in broken_parts:
        response = client.post("/query/rawChipsBatch", {**body, **broken},
                               content_type="application/json", **auth)  # fmt: skip
        assert response.status_code == 400 and response.json()["param"] == param


def test_archive_file_gone_is_503(client, auth, archive, tmp_path) -> None:
    scene = archive["Z31"]
    asset = scene.assets.get(band="B04")
    asset.href = str(tmp_path / "vanished" / "B04.tif")
    asset.save()
    status, body = get(client, auth, **params_at(P_BORDER_LONLAT, start_date="2024-07-01",
                                                 end_date="2024-07-01"))  # fmt: skip
    assert status == 503 and "unavailable" in body["error"]


def test_failed_write_leaves_no_record(client, auth, archive, settings, tmp_path) -> None:
    blocker = tmp_path / "store-is-a-file"
    blocker.write_bytes(b"")
    settings.CHIP_STORE = blocker
    status, _ = get(client, auth, **params_at(to_lonlat(32631, *P_OVERLAP_UTM31)))
    assert status == 503
    assert not CachedChip.objects.exists()


def test_parcel_endpoint_both_spellings(client, auth, archive) -> None:
    selectors = pytest.importorskip("parcels.selectors")
    assert hasattr(selectors, "parcel_from_params")
    for name in ("rawChipByParcelID", "rawChipByParcelId"):
        response = client.get(f"/query/{name}", {"aoi": "zz", "year": 2024, "pid": "1",
                              "start_date": "2024-06-01", "end_date": "2024-06-30",
                              "band": "B04"}, **auth)  # fmt: skip
        assert response.status_code in (403, 404), response.content
        assert "error" in response.json()


def test_dates_sorted_and_in_utc(client, auth, archive) -> None:
    _, body = get(client, auth, **params_at(to_lonlat(32631, *P_OVERLAP_UTM31)))
    assert body["dates"] == sorted(body["dates"])
    assert body["dates"][0] == dt.datetime(2024, 6, 1, 10, 40, 31).strftime("%Y%m%dT%H%M%S")
