"""parcelPeers: same crop, nearest first, distances in metres, against shapely on the
source geometries in the dataset's own projected CRS (Lambert-93)."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from django.test import Client

from parcels.tests.samples import SAMPLES, read_source

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]
URL = "/query/parcelPeers"


def expected_peers(real_fixtures: Path, pid: str, distance: float) -> list[tuple[str, float]]:
    source = read_source(real_fixtures, SAMPLES["fr"])
    ref = source[pid]
    ref_shape = shapely.from_wkb(bytes(ref.geom.wkb))
    peers = []
    for other in source.values():
        if other.pid == pid or other.crop_code != ref.crop_code:
            continue
        gap = shapely.distance(ref_shape, shapely.from_wkb(bytes(other.geom.wkb)))
        if gap <= distance:
            peers.append((other.pid, gap))
    return sorted(peers, key=lambda item: item[1])


def busiest_crop_pid(real_fixtures: Path) -> str:
    source = read_source(real_fixtures, SAMPLES["fr"])
    codes = [p.crop_code for p in source.values()]
    common = max(set(codes), key=codes.count)
    return next(p.pid for p in source.values() if p.crop_code == common)


def test_peers_match_planar_distances(samples: Path, staff_client: Client) -> None:
    pid = busiest_crop_pid(samples)
    expected = expected_peers(samples, pid, 1000)
    response = staff_client.get(URL, {"aoi": "fr", "year": "2020", "pid": pid, "max": "1000"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"pids", "distance"}
    # Lambert-93's scale error here is < 0.1 %: spheroid metres match planar metres closely.
    got = dict(zip(body["pids"], body["distance"], strict=True))
    near_edge = {p for p, d in expected if d > 990}
    assert set(got) - near_edge == {p for p, _ in expected} - near_edge
    for peer, gap in expected:
        if peer in got:
            assert got[peer] == pytest.approx(gap, rel=2e-3, abs=0.5)
    assert body["distance"] == sorted(body["distance"])


def test_max_and_distance(samples: Path, staff_client: Client) -> None:
    pid = busiest_crop_pid(samples)
    expected = expected_peers(samples, pid, 300)
    body = staff_client.get(
        URL, {"aoi": "fr", "year": "2020", "pid": pid, "distance": "300", "max": "2"}
    ).json()
    assert len(body["pids"]) == min(2, len(expected))
    assert body["pids"] == [p for p, _ in expected][: len(body["pids"])]
    default = staff_client.get(URL, {"aoi": "fr", "year": "2020", "pid": pid}).json()
    assert len(default["pids"]) <= 10


@pytest.mark.parametrize(
    "params,param,status",
    [
        ({"aoi": "fr", "year": 2020}, "pid", 400),
        ({"aoi": "fr", "year": 2020, "pid": "12855", "distance": "-1"}, "distance", 400),
        ({"aoi": "fr", "year": 2020, "pid": "12855", "max": "many"}, "max", 400),
        ({"aoi": "fr", "year": 2020, "pid": "no-such"}, "pid", 404),
    ],
)
def test_bad_input(
    samples: Path, staff_client: Client, params: dict, param: str, status: int
) -> None:
    response = staff_client.get(URL, params)
    assert response.status_code == status
    assert response.json()["param"] == param
