"""import_parcels: the real samples, formats, repair, duplicates, --replace."""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection

from parcels import services
from parcels.load import chunks, read_source
from parcels.models import Parcel, ParcelDataset
from parcels.tests.samples import SAMPLES, import_sample, import_samples
from parcels.tests.samples import read_source as ogr_read

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]


@pytest.fixture
def samples(db: Any, real_fixtures: Path) -> Path:
    """Per test, inside its transaction: other tests here import and replace the samples."""
    import_samples(real_fixtures)
    return real_fixtures


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_real_sample_imports_with_counts_crs_crops_centroids_areas(
    real_fixtures: Path, code: str
) -> None:
    sample = SAMPLES[code]
    output = import_sample(real_fixtures, sample)
    expected = ogr_read(real_fixtures, sample)
    dataset = ParcelDataset.objects.get(aoi=sample.aoi, year=sample.year)
    assert dataset.srid == sample.epsg
    assert dataset.parcel_count == len(expected)
    assert Parcel.objects.filter(dataset=dataset).count() == len(expected)
    assert f"{len(expected)} parcels imported" in output
    stored = {p.pid: p for p in Parcel.objects.filter(dataset=dataset)}
    assert set(stored) == set(expected)
    for pid, source in expected.items():
        parcel = stored[pid]
        assert (parcel.crop_name, parcel.crop_code) == (source.crop_name, source.crop_code)
        lon, lat = source.centroid_wgs84()
        assert parcel.centroid.x == pytest.approx(lon, abs=1e-7)
        assert parcel.centroid.y == pytest.approx(lat, abs=1e-7)
        assert abs(parcel.area - source.area_laea()) <= 1
        assert parcel.geom.valid


def test_real_crop_names(samples: Path) -> None:
    names = {
        aoi: set(Parcel.objects.filter(dataset__aoi=aoi).values_list("crop_name", flat=True))
        for aoi in ("nl", "at", "dk", "fr")
    }
    assert "Sloot" in names["nl"]
    assert "MÄHWIESE/-WEIDE DREI UND MEHR NUTZUNGEN" in names["at"]
    assert "Poppel" in names["dk"]
    assert names["fr"] == {""}  # the French sample carries codes only
    assert Parcel.objects.filter(dataset__aoi="fr", crop_code="BOR").exists()


def test_native_geometry_kept_exactly(samples: Path, real_fixtures: Path) -> None:
    expected = ogr_read(real_fixtures, SAMPLES["nl"])
    parcel = Parcel.objects.get(dataset__aoi="nl", pid="1")
    native = shapely.from_wkb(bytes(parcel.geom_native))
    source = shapely.from_wkb(bytes(expected["1"].geom.wkb))
    assert shapely.equals_exact(shapely.get_parts(native)[0], source, tolerance=0)


def test_duplicate_pids_reported_first_kept(real_fixtures: Path) -> None:
    # The Danish field numbers (Marknr) repeat across farms: 38 duplicates of 100.
    output = import_sample(real_fixtures, SAMPLES["dk"], pid_field="Marknr")
    assert "duplicate pids (first kept): 38" in output
    assert Parcel.objects.filter(dataset__aoi="dk").count() == 62
    first = ogr_read(
        real_fixtures, SAMPLES["dk"].__class__(**{**SAMPLES["dk"].__dict__, "pid_field": "Marknr"})
    )
    assert Parcel.objects.get(dataset__aoi="dk", pid="1-0").crop_name == first["1-0"].crop_name


def _geojson(path: Path, features: list[tuple[str, dict[str, Any]]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"pid": pid, "crop": "wheat"}, "geometry": g}
                    for pid, g in features
                ],
            }
        )
    )
    return path


def test_invalid_geometry_repaired_and_counted(tmp_path: Path) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[5, 52], [5.01, 52.01], [5.01, 52], [5, 52.01], [5, 52]]],
    }
    square = {
        "type": "Polygon",
        "coordinates": [[[5, 52], [5.01, 52], [5.01, 52.01], [5, 52.01], [5, 52]]],
    }
    path = _geojson(tmp_path / "p.geojson", [("a", bowtie), ("b", square)])
    out = StringIO()
    call_command(
        "import_parcels",
        str(path),
        aoi="xx",
        year=2024,
        pid_field="pid",
        crop_name_field="crop",
        no_progress=True,
        stdout=out,
    )
    assert "repaired invalid geometries: 1" in out.getvalue()
    parcel = Parcel.objects.get(pid="a")
    assert parcel.geom.valid and parcel.geom.num_geom == 2
    repaired = shapely.make_valid(shapely.from_geojson(json.dumps(bowtie)))
    laea = shapely.transform(
        repaired,
        __import__("pyproj").Transformer.from_crs(4326, 3035, always_xy=True).transform,
        interleaved=False,
    )
    assert abs(parcel.area - shapely.area(laea)) <= 1
    assert Parcel.objects.get(pid="b").crop_name == "wheat"


@pytest.mark.parametrize(
    "driver,suffix", [("FlatGeobuf", "fgb"), ("GML", "gml"), ("GeoJSON", "geojson")]
)
def test_other_formats(real_fixtures: Path, tmp_path: Path, driver: str, suffix: str) -> None:
    source = real_fixtures / "parcels" / SAMPLES["nl"].file
    target = tmp_path / f"nl.{suffix}"
    subprocess.run(["ogr2ogr", "-f", driver, str(target), str(source), "-nln", "nl"], check=True)
    call_command(
        "import_parcels",
        str(target),
        aoi="nl",
        year=2023,
        crop_name_field="gewas",
        no_progress=True,
        stdout=StringIO(),
    )
    dataset = ParcelDataset.objects.get(aoi="nl")
    # ogr2ogr keeps RD New in every format (GeoJSON with its legacy "crs" member).
    assert dataset.srid == 28992
    assert dataset.parcel_count == 100
    assert set(Parcel.objects.values_list("crop_name", flat=True)) >= {"Sloot"}


def test_existing_dataset_needs_replace(real_fixtures: Path) -> None:
    import_sample(real_fixtures, SAMPLES["nl"])
    with pytest.raises(CommandError, match="--replace"):
        import_sample(real_fixtures, SAMPLES["nl"])
    output = import_sample(real_fixtures, SAMPLES["nl"], replace=True, crop_name_field="category")
    assert "100 parcels imported" in output
    assert ParcelDataset.objects.count() == 1
    assert Parcel.objects.get(pid="1").crop_name == "Landschapselement"


def test_replace_is_atomic(real_fixtures: Path, tmp_path: Path) -> None:
    import_sample(real_fixtures, SAMPLES["nl"])
    before = list(Parcel.objects.order_by("pid").values_list("pid", "crop_name", "area"))
    dataset_id = ParcelDataset.objects.get().pk
    square = {
        "type": "Polygon",
        "coordinates": [[[5, 52], [5.01, 52], [5.01, 52.01], [5, 52.01], [5, 52]]],
    }
    # The second parcel's pid is too long for the column: the write fails part-way.
    path = _geojson(tmp_path / "bad.geojson", [("ok", square), ("x" * 65, square)])
    with pytest.raises(Exception):  # noqa: B017 - the database's own error, whichever
        call_command(
            "import_parcels",
            str(path),
            aoi="nl",
            year=2023,
            pid_field="pid",
            replace=True,
            no_progress=True,
            stdout=StringIO(),
        )
    assert ParcelDataset.objects.get().pk == dataset_id
    assert list(Parcel.objects.order_by("pid").values_list("pid", "crop_name", "area")) == before


def test_bulk_create_path_matches_copy(real_fixtures: Path) -> None:
    """SpatiaLite's writer (bulk_create) stores what PostGIS's COPY stores."""
    sample = SAMPLES["fr"]
    import_sample(real_fixtures, sample)
    table = read_source(
        real_fixtures / "parcels" / sample.file, pid_field="id_parcel", crop_code_field="code_cultu"
    )
    other = ParcelDataset.objects.create(aoi="fr", year=1999, srid=table.srid, source="x")
    report = services.ImportReport(dataset=other)
    services._bulk_create(other, chunks(table), report, None)
    assert report.imported == 193
    copy_rows = Parcel.objects.filter(dataset__year=2020).order_by("pid")
    bulk_rows = Parcel.objects.filter(dataset=other).order_by("pid")
    for a, b in zip(copy_rows, bulk_rows, strict=True):
        assert (a.pid, a.crop_code, a.area) == (b.pid, b.crop_code, b.area)
        assert a.geom.equals_exact(b.geom, 1e-12) and bytes(a.geom_native) == bytes(b.geom_native)


def test_bad_arguments(real_fixtures: Path) -> None:
    path = str(real_fixtures / "parcels" / SAMPLES["nl"].file)
    with pytest.raises(CommandError, match="pid-field"):
        call_command(
            "import_parcels", path, aoi="nl", year=2023, pid_field="nope", no_progress=True
        )
    with pytest.raises(CommandError, match="layer"):
        call_command("import_parcels", path, aoi="nl", year=2023, layer="nope", no_progress=True)
    with pytest.raises(CommandError, match="--aoi"):
        call_command("import_parcels", path, aoi="N L", year=2023, no_progress=True)
    assert connection.vendor == "postgresql"


def test_ewkb_writers_match_shapely(real_fixtures: Path) -> None:
    """The COPY's EWKB shortcuts encode exactly what shapely does with the SRID set."""
    from pyproj import Transformer

    from parcels.load import AREA_CRS, ewkb_multipolygons, ewkb_points, process

    table = read_source(real_fixtures / "parcels" / SAMPLES["fr"].file)
    chunk = process(
        table,
        0,
        len(table),
        to_wgs84=Transformer.from_crs(table.srid, 4326, always_xy=True),
        to_area=Transformer.from_crs(4326, AREA_CRS, always_xy=True),
    )
    expected = shapely.to_wkb(shapely.set_srid(chunk.geoms_wgs84, 4326), include_srid=True)
    assert isinstance(expected, np.ndarray)
    assert ewkb_multipolygons(chunk.geoms_wgs84, 4326) == expected.tolist()
    points = shapely.set_srid(shapely.points(chunk.centroids), 4326)
    points_wkb = shapely.to_wkb(points, include_srid=True)
    assert isinstance(points_wkb, np.ndarray)
    assert ewkb_points(chunk.centroids, 4326) == points_wkb.tolist()
