"""parcelByID / parcelById: one parcel, every column as OGR reads it from the source."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from django.test import Client

from parcels.tests.samples import SAMPLES, read_source

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]


@pytest.mark.parametrize("url", ["/query/parcelByID", "/query/parcelById"])
@pytest.mark.parametrize("code", ["at", "fr"])
def test_answers_the_parcel(samples: Path, staff_client: Client, url: str, code: str) -> None:
    sample = SAMPLES[code]
    source = read_source(samples, sample)
    parcel = list(source.values())[7]
    response = staff_client.get(
        url,
        {"aoi": sample.aoi, "year": str(sample.year), "pid": parcel.pid, "withGeometry": "True"},
    )
    assert response.status_code == 200
    body = response.json()
    clon, clat = parcel.centroid_wgs84()
    assert body["pid"] == [parcel.pid]
    assert body["cropname"] == [parcel.crop_name]
    assert body["cropcode"] == [parcel.crop_code]
    assert body["srid"] == [sample.epsg]
    assert abs(body["area"][0] - parcel.area_laea()) <= 1
    assert body["clon"][0] == pytest.approx(clon, abs=1e-7)
    assert body["clat"][0] == pytest.approx(clat, abs=1e-7)
    native = shapely.get_parts(shapely.from_geojson(body["geom"][0]))[0]
    assert shapely.equals_exact(native, shapely.from_wkb(bytes(parcel.geom.wkb)), tolerance=1e-6)


def test_unknown_pid_is_404(samples: Path, staff_client: Client) -> None:
    response = staff_client.get("/query/parcelByID", {"aoi": "nl", "year": "2023", "pid": "nope"})
    assert response.status_code == 404
    assert response.json()["param"] == "pid"


def test_unknown_dataset_is_404(samples: Path, staff_client: Client) -> None:
    response = staff_client.get("/query/parcelByID", {"aoi": "nl", "year": "2022", "pid": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params,param",
    [
        ({"aoi": "nl", "year": 2023}, "pid"),
        ({"aoi": "nl", "year": 2023, "pid": "x" * 65}, "pid"),
        ({"aoi": "nl", "pid": "1"}, "year"),
        ({"year": 2023, "pid": "1"}, "aoi"),
        ({"aoi": "nl", "year": 2023, "pid": "1", "wgs84": "perhaps"}, "wgs84"),
    ],
)
def test_bad_input(samples: Path, staff_client: Client, params: dict, param: str) -> None:
    response = staff_client.get("/query/parcelByID", params)
    assert response.status_code == 400
    assert response.json()["param"] == param


def test_parcel_from_params_selector(samples: Path, staff) -> None:  # noqa: ANN001
    from parcels.selectors import parcel_from_params

    parcel = parcel_from_params(user=staff, params={"aoi": "NL", "year": "2023", "pid": "1"})
    assert parcel.pid == "1" and parcel.dataset.srid == 28992
    assert parcel.geom.srid == 4326 and parcel.geom.geom_type == "MultiPolygon"
