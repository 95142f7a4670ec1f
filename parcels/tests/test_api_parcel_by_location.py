"""parcelByLocation: columns checked against OGR reading the source files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from django.contrib.gis.gdal import CoordTransform, OGRGeometry, SpatialReference
from django.contrib.gis.gdal.geometries import Point
from django.test import Client

from parcels.tests.samples import SAMPLES, read_source

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]
URL = "/query/parcelByLocation"
COLUMNS = {"pid", "cropname", "cropcode", "srid", "area", "clon", "clat"}


def inside_point(geom: OGRGeometry) -> tuple[float, float]:
    """A point inside the parcel (GEOS point-on-surface in the native CRS), to lon/lat by GDAL."""
    x, y = shapely.get_coordinates(shapely.point_on_surface(shapely.from_wkb(bytes(geom.wkb))))[0]
    assert geom.srs is not None
    point = OGRGeometry(f"POINT ({x} {y})", srs=geom.srs)
    assert isinstance(point, Point)
    point.transform(CoordTransform(geom.srs, SpatialReference(4326)))
    return point.x, point.y


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_answers_every_column_as_the_source_says(
    samples: Path, staff_client: Client, code: str
) -> None:
    sample = SAMPLES[code]
    source = read_source(samples, sample)
    parcel = next(iter(source.values()))
    lon, lat = inside_point(parcel.geom)
    response = staff_client.get(
        URL, {"aoi": sample.aoi, "year": str(sample.year), "lon": str(lon), "lat": str(lat)}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == COLUMNS
    assert len({len(column) for column in body.values()}) == 1
    i = body["pid"].index(parcel.pid)
    clon, clat = parcel.centroid_wgs84()
    assert body["cropname"][i] == parcel.crop_name
    assert body["cropcode"][i] == parcel.crop_code
    assert body["srid"][i] == sample.epsg
    assert abs(body["area"][i] - parcel.area_laea()) <= 1 and isinstance(body["area"][i], int)
    assert body["clon"][i] == pytest.approx(clon, abs=1e-7)
    assert body["clat"][i] == pytest.approx(clat, abs=1e-7)


def test_geometry_native_and_wgs84(samples: Path, staff_client: Client) -> None:
    sample = SAMPLES["nl"]
    parcel = read_source(samples, sample)["1"]
    lon, lat = inside_point(parcel.geom)
    params = {
        "aoi": "nl",
        "year": "2023",
        "lon": str(lon),
        "lat": str(lat),
        "withGeometry": "True",
    }
    native = staff_client.get(URL, params).json()
    geom = shapely.from_geojson(native["geom"][0])
    source = shapely.from_wkb(bytes(parcel.geom.wkb))
    assert geom.geom_type == "MultiPolygon"
    assert shapely.equals_exact(shapely.get_parts(geom)[0], source, tolerance=1e-6)
    wgs84 = staff_client.get(URL, {**params, "wgs84": "true"}).json()
    in_wgs84 = parcel.geom.clone()
    assert parcel.geom.srs is not None
    in_wgs84.transform(CoordTransform(parcel.geom.srs, SpatialReference(4326)))
    expected = shapely.from_wkb(bytes(in_wgs84.wkb))
    got = shapely.get_parts(shapely.from_geojson(wgs84["geom"][0]))[0]
    # Datum shift RD -> WGS84 differs between PROJ pipelines by < 1 m (1e-5 degree).
    assert shapely.hausdorff_distance(got, expected) < 1e-5
    assert isinstance(native["geom"][0], str) and json.loads(native["geom"][0])["type"]


def test_no_match_is_empty_columns(samples: Path, staff_client: Client) -> None:
    response = staff_client.get(URL, {"aoi": "nl", "year": "2023", "lon": "0.0", "lat": "0.0"})
    assert response.status_code == 200
    assert response.json() == {name: [] for name in COLUMNS}
    with_geometry = staff_client.get(
        URL, {"aoi": "nl", "year": "2023", "lon": "0.0", "lat": "0.0", "withGeometry": "1"}
    ).json()
    assert with_geometry == {name: [] for name in [*COLUMNS, "geom"]}


@pytest.mark.parametrize(
    "params,param",
    [
        ({"year": 2023, "lon": 5, "lat": 52}, "aoi"),
        ({"aoi": "n l", "year": 2023, "lon": 5, "lat": 52}, "aoi"),
        ({"aoi": "nl", "lon": 5, "lat": 52}, "year"),
        ({"aoi": "nl", "year": "2023x", "lon": 5, "lat": 52}, "year"),
        ({"aoi": "nl", "year": 2023, "lat": 52}, "lon"),
        ({"aoi": "nl", "year": 2023, "lon": "east", "lat": 52}, "lon"),
        ({"aoi": "nl", "year": 2023, "lon": 5, "lat": 91}, "lat"),
        ({"aoi": "nl", "year": 2023, "lon": 5, "lat": "nan"}, "lat"),
        ({"aoi": "nl", "year": 2023, "lon": 5, "lat": 52, "ptype": "B!"}, "ptype"),
        ({"aoi": "nl", "year": 2023, "lon": 5, "lat": 52, "withGeometry": "maybe"}, "withGeometry"),
    ],
)
def test_bad_input_names_the_parameter(
    samples: Path, staff_client: Client, params: dict, param: str
) -> None:
    response = staff_client.get(URL, params)
    assert response.status_code == 400
    assert response.json()["param"] == param


def test_unknown_dataset_is_404(samples: Path, staff_client: Client) -> None:
    """404 naming what to change, with the values that exist (the AOI's datasets as the
    database lists them, asked independently of the endpoint)."""
    from parcels.models import ParcelDataset

    nl = ParcelDataset.objects.filter(aoi="nl")
    years = sorted(set(nl.filter(ptype="").values_list("year", flat=True)))
    ptypes = sorted(set(nl.values_list("ptype", flat=True)))
    assert years
    for params, param, choices in (
        ({"aoi": "nl", "year": "2019", "lon": "5", "lat": "52"}, "year", years),
        ({"aoi": "nl", "year": "2023", "ptype": "g", "lon": "5", "lat": "52"}, "ptype", ptypes),
        ({"aoi": "zz", "year": "2023", "lon": "5", "lat": "52"}, "aoi", None),
    ):
        response = staff_client.get(URL, params)
        assert response.status_code == 404
        body = response.json()
        assert "no parcel dataset" in body["error"]
        assert body["param"] == param and body.get("choices") == choices
