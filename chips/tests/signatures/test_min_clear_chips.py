"""min_clear on rawChipByParcelID (onlylist too) and chipsByParcelID: only the chips of the
acquisitions where the parcel's SCL pixels are clear enough, the shares computed
independently from the source SCL files."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely
from django.test import Client

from chips.models import Scene, Signature
from chips.tests.signatures.conftest import expected_stats
from testing.auth import BasicAuth

pytestmark = pytest.mark.django_db
PARCEL = "aoi=zz&year=2024&pid=inA&start_date=2024-06-01&end_date=2024-06-30"


def clear_dates(archive: dict[str, Scene], parcels: dict[str, shapely.Polygon]) -> tuple:
    """(threshold, sensing keys kept, all keys): the middle share of the three June dates."""
    scenes = [archive["A1"], archive["A2"], archive["A3new"]]
    shares = []
    for scene in scenes:
        scl = expected_stats(scene.assets.get(band="SCL").href, parcels["inA"], scene.epsg)
        shares.append(100 * np.isin(scl, (4, 5, 6, 7)).sum() / scl.size)
    threshold = sorted(shares)[1]
    kept = [s.sensing_key for s, v in zip(scenes, shares, strict=True) if v >= threshold]
    assert 0 < len(kept) < 3
    return threshold, kept, [s.sensing_key for s in scenes]


def test_raw_chips_and_onlylist_of_the_clear_dates(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    threshold, kept, every = clear_dates(archive, parcels)
    base = f"/query/rawChipByParcelID?{PARCEL}&band=B04"
    assert client.get(f"{base}&onlylist=True", **auth).json()["dates"] == every
    listed = client.get(f"{base}&onlylist=True&min_clear={threshold}", **auth)
    assert listed.status_code == 200, listed.content
    assert listed.json()["dates"] == kept
    cut = client.get(f"{base}&min_clear={threshold}", **auth).json()
    assert cut["dates"] == kept and len(cut["chips"]) == len(kept)
    # Through the same store as parcelTimeSeries: the parcel's SCL rows.
    assert Signature.objects.filter(parcel__pid="inA", band="SCL").count() == 3
    bad = client.get(f"{base}&min_clear=x", **auth)
    assert bad.status_code == 400 and bad.json()["param"] == "min_clear"
    l1c = client.get(f"{base}&plevel=LEVEL1C&min_clear=10", **auth)
    assert l1c.status_code == 400 and l1c.json()["param"] == "min_clear"


@pytest.mark.django_db(transaction=True)  # the page's job runs in a thread of its own
def test_composite_page_of_the_clear_dates(
    client: Client, archive: dict[str, Scene], parcels: dict[str, shapely.Polygon],
    auth: BasicAuth,
) -> None:  # fmt: skip
    threshold, kept, every = clear_dates(archive, parcels)
    base = f"/query/chipsByParcelID?{PARCEL}&bands=B04_B04_B04&format=json"
    every_items = settled(client, base, auth)["items"]
    assert [i["id"] for i in every_items] == every
    answer = settled(client, f"{base}&min_clear={threshold}", auth)
    assert [i["id"] for i in answer["items"]] == kept
    assert answer["state"] == "done" and len(answer["chips"]) == len(kept)


def settled(client: Client, url: str, auth: BasicAuth) -> dict:
    """The page's JSON once its job (made beside the request) is over."""
    deadline = time.monotonic() + 30
    while True:
        response = client.get(url, **auth)
        assert response.status_code == 200, response.content
        body = response.json()
        if body["state"] != "running" or time.monotonic() > deadline:
            return body
        time.sleep(0.2)
