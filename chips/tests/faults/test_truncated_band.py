"""A truncated band file (its header readable, its pixels cut off): that date is reported
with its reason, the other dates are delivered, for raw chips and for composites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from django.test import Client

from chips.catalogue import planning
from chips.models import Asset
from chips.tests.web.test_pages import JSON, location_url, source_window, wait_done
from testing import composite_archive as fx
from testing.auth import BasicAuth

pytestmark = [pytest.mark.django_db(transaction=True)]


def truncate_pixels(path: Path) -> None:
    """Keep the file's header (and its directory), drop the tail of its pixel blocks."""
    data = path.read_bytes()
    with rasterio.open(path) as src:
        offsets = [int(src.get_tag_item(f"BLOCK_OFFSET_{c}_{r}", "TIFF", bidx=1) or 0)
                   for r in range(2) for c in range(2)]  # fmt: skip
    keep = sorted(o for o in offsets if o)[1]  # the first block whole, the rest gone
    path.write_bytes(data[:keep])


def broken_scene(folder: Path) -> tuple[list, Path]:
    scenes = fx.make_scenes(folder, 3)
    planning.learn_grids(list(Asset.objects.all()))  # grids known: planning reads no header
    band = folder / scenes[1].product_id / "B04.tif"
    truncate_pixels(band)
    with rasterio.open(band) as src:  # the header still reads
        assert src.width == 256
    return scenes, band


def test_raw_chips_report_the_truncated_date_and_deliver_the_rest(
    tmp_path: Path, chip_store: Path, client: Client, auth: BasicAuth
) -> None:
    scenes, band = broken_scene(tmp_path / "archive")
    lon, lat = fx.centre_lonlat()
    response = client.get(
        f"/query/rawChipByLocation?lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01"
        "&end_date=2024-06-30&band=B04",
        **auth,
    )
    body = response.json()
    assert response.status_code == 200, body
    assert body["dates"] == [s.sensing_key for s in scenes]
    reason = body["errors"][1]
    assert body["chips"][1] is None and reason
    # The date names its product and band, never where the file lives.
    assert f"{scenes[1].product_id}: B04 cannot be read" in reason and str(band) not in reason
    assert body["errors"][0] is None and body["errors"][2] is None
    for i in (0, 2):
        download = client.get(body["chips"][i])
        assert download.status_code == 200
        chip = tmp_path / "chip.tif"
        chip.write_bytes(download.getvalue())
        with rasterio.open(chip) as got:
            expected = source_window(scenes[i].product_id, "B04", tmp_path / "archive", 10)
            np.testing.assert_array_equal(got.read(1), expected)


def test_composites_report_the_truncated_date_and_deliver_the_rest(
    tmp_path: Path, chip_store: Path, staff_client: Client
) -> None:
    scenes, band = broken_scene(tmp_path / "archive")
    staff_client.get(location_url(), **JSON)
    body = wait_done(staff_client, location_url())
    items = {i["id"]: i for i in body["items"]}
    assert [f["id"] for f in body["failed"]] == [scenes[1].sensing_key], body
    error = body["failed"][0]["error"]
    assert f"{scenes[1].product_id}: B04 cannot be read" in error and "B04.tif" not in error
    assert items[scenes[1].sensing_key]["src"] is None
    assert body["dates"] == [scenes[0].sensing_key, scenes[2].sensing_key]
    for chip in body["chips"]:
        answer = staff_client.get(chip)
        assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
