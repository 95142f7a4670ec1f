"""Error texts name the product and band that failed and why, never where a file lives
(archive hrefs, the chip store): that stays in the server log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from chips.models import Scene
from chips.raster.errors import SourceUnreadable
from testing.auth import BasicAuth
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import asset_path, to_lonlat

pytestmark = pytest.mark.django_db
URL = "/query/rawChipByLocation"


def overlap_params(**extra: str) -> dict[str, str]:
    lon, lat = to_lonlat(32631, *P_OVERLAP_UTM31)
    return {"lon": f"{lon:.7f}", "lat": f"{lat:.7f}", "start_date": "2024-06-01",
            "end_date": "2024-06-30", "band": "B04", **extra}  # fmt: skip


def point_at(scene: Scene, href: Path) -> None:
    asset = scene.assets.get(band="B04")
    asset.href = str(href)
    asset.save()


def no_paths(text: str, *folders: Path) -> None:
    for folder in folders:
        assert str(folder) not in text
    assert "/tmp" not in text and "/srv" not in text and "raw-archive" not in text


def test_truncated_band_file_is_reported_by_product_and_band(
    client: Client, auth: BasicAuth, archive: dict[str, Scene], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    broken = archive["A2"]
    source = asset_path(broken, "B04")
    truncated = tmp_path / "cut-short" / source.name
    truncated.parent.mkdir()
    truncated.write_bytes(source.read_bytes()[:600])
    point_at(broken, truncated)
    response = client.get(URL, overlap_params(), **auth)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    reason = body["errors"][body["dates"].index(broken.sensing_key)]
    assert reason.startswith(f"{broken.product_id}: B04 cannot be read: ")
    no_paths(response.content.decode(), tmp_path, source.parent)
    assert str(truncated) in caplog.text  # the path is for the operators


def test_vanished_archive_file_503_says_no_path(
    client: Client, auth: BasicAuth, archive: dict[str, Scene], tmp_path: Path
) -> None:
    for scene in archive.values():
        if scene.assets.filter(band="B04").exists():
            point_at(scene, tmp_path / "vanished" / scene.product_id / "B04.tif")
    response = client.get(URL, overlap_params(), **auth)
    assert response.status_code == 503
    text = response.json()["error"]
    assert "B04 cannot be read" in text and "_MSIL2A_" in text
    no_paths(text, tmp_path)


def test_unwritable_store_503_says_no_path(
    client: Client, auth: BasicAuth, archive: dict[str, Scene], settings: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "store-is-a-file"
    blocker.write_bytes(b"")
    settings.CHIP_STORE = blocker
    response = client.get(URL, overlap_params(), **auth)
    assert response.status_code == 503
    text = response.json()["error"]
    assert "B04 cannot be stored" in text
    no_paths(text, tmp_path)


@pytest.mark.parametrize(
    "href,reason,expected",
    [
        (
            "s3://bucket/tiles/S2B_MSIL2A_20240601T104029_N0510_R008_T31UFU_20240601T1200.SAFE/"
            "GRANULE/x/IMG_DATA/R10m/T31UFU_20240601T104029_B04_10m.jp2",
            "/vsis3/bucket/tiles/S2B_MSIL2A_20240601T104029_N0510_R008_T31UFU_20240601T1200.SAFE"
            "/GRANULE/x/IMG_DATA/R10m/T31UFU_20240601T104029_B04_10m.jp2: Access Denied",
            "S2B_MSIL2A_20240601T104029_N0510_R008_T31UFU_20240601T1200: B04 cannot be read: "
            "T31UFU_20240601T104029_B04_10m.jp2: Access Denied",
        ),
        (
            "https://host/collections/s2/items/S2B_31UFU_20240601_0_L2A/B8A.tif",
            "HTTP response code: 404 (https://host/collections/s2/items/S2B_31UFU_20240601_0_L2A"
            "/B8A.tif)",
            "S2B_31UFU_20240601_0_L2A: B8A cannot be read: HTTP response code: 404 (B8A.tif)",
        ),
    ],
)
def test_remote_hrefs_are_cut_to_product_band_and_file_name(
    href: str, reason: str, expected: str
) -> None:
    assert str(SourceUnreadable(href, reason)) == expected
