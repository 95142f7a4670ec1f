"""Parcels test fixtures: the real samples imported, a few named users, and an
independent reader of the source files (Debian GDAL through django.contrib.gis.gdal,
not the pyogrio/shapely pipeline the importer uses)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shapely
from django.contrib.auth.models import User
from django.contrib.gis.gdal import CoordTransform, DataSource, OGRGeometry, SpatialReference
from django.core.management import call_command
from django.test import Client
from pyproj import Transformer


@dataclass(frozen=True)
class Sample:
    file: str
    aoi: str
    year: int
    epsg: int
    options: dict[str, str]
    pid_field: str | None
    crop_name_field: str | None
    crop_code_field: str | None


SAMPLES = {
    "nl": Sample(
        "nl_brpgewaspercelen_2023_100.gpkg", "nl", 2023, 28992, {}, None, "gewas", "gewascode"
    ),
    "at": Sample(
        "at_inspire_schlaege_2025_100.gpkg.zip",
        "at",
        2025,
        31287,
        {},
        "GEO_ID",
        "SNAR_BEZEICHNUNG",
        "SNAR_CODE",
    ),
    "dk": Sample("dk_marker_2026_100_shp.zip", "dk", 2026, 25832, {}, None, "Afgroede", "Afgkode"),
    "fr": Sample(
        "fr_rpg_lpis_iacs_193.gpkg", "fr", 2020, 2154, {}, "id_parcel", None, "code_cultu"
    ),
}


def import_sample(real_fixtures: Path, sample: Sample, **extra: Any) -> str:
    from io import StringIO

    out = StringIO()
    options: dict[str, Any] = {"aoi": sample.aoi, "year": sample.year, "no_progress": True}
    if sample.pid_field:
        options["pid_field"] = sample.pid_field
    if sample.crop_name_field:
        options["crop_name_field"] = sample.crop_name_field
    if sample.crop_code_field:
        options["crop_code_field"] = sample.crop_code_field
    options.update(extra)
    call_command(
        "import_parcels", str(real_fixtures / "parcels" / sample.file), stdout=out, **options
    )
    return out.getvalue()


def source_path(real_fixtures: Path, sample: Sample) -> str:
    path = str(real_fixtures / "parcels" / sample.file)
    return f"/vsizip/{path}" if path.endswith(".zip") else path


def ogr_value(value: Any) -> str:
    """A field value as the API should answer it (integral numbers without '.0')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class SourceParcel:
    pid: str
    crop_name: str
    crop_code: str
    geom: OGRGeometry  # native CRS, as in the file

    def centroid_wgs84(self) -> tuple[float, float]:
        centroid = self.geom.centroid
        centroid.transform(CoordTransform(self.geom.srs, SpatialReference(4326)))
        return centroid.x, centroid.y

    def area_laea(self) -> float:
        to_laea = Transformer.from_crs(self.geom.srs.wkt, "EPSG:3035", always_xy=True)
        shape = shapely.from_wkb(bytes(self.geom.wkb))
        return shapely.area(shapely.transform(shape, to_laea.transform, interleaved=False))


def read_source(real_fixtures: Path, sample: Sample) -> dict[str, SourceParcel]:
    """Every parcel of a sample, first feature per pid, read with OGR independently."""
    layer = DataSource(source_path(real_fixtures, sample))[0]
    parcels: dict[str, SourceParcel] = {}
    for feature in layer:
        pid = ogr_value(feature.get(sample.pid_field) if sample.pid_field else feature.fid)
        if pid in parcels:
            continue
        parcels[pid] = SourceParcel(
            pid=pid,
            crop_name=ogr_value(feature.get(sample.crop_name_field))
            if sample.crop_name_field
            else "",
            crop_code=ogr_value(feature.get(sample.crop_code_field))
            if sample.crop_code_field
            else "",
            geom=feature.geom.clone(),
        )
    return parcels


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    # Basic auth hashes the password on every request; the tests need not pay PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def import_samples(real_fixtures: Path) -> None:
    for sample in SAMPLES.values():
        import_sample(real_fixtures, sample)


@pytest.fixture(scope="module")
def samples(django_db_setup: Any, django_db_blocker: Any, real_fixtures: Path) -> Iterator[Path]:
    """The four real samples, imported once per test module (committed) and removed after.

    For modules whose tests only read the samples: what a test writes still rolls back with
    its own transaction. A module whose tests replace or re-import a sample defines its
    own per-test `samples` (test_import.py).
    """
    from parcels.models import ParcelDataset

    with django_db_blocker.unblock():
        import_samples(real_fixtures)
    try:
        yield real_fixtures
    finally:
        with django_db_blocker.unblock():
            for sample in SAMPLES.values():
                ParcelDataset.objects.filter(aoi=sample.aoi, year=sample.year).delete()


@pytest.fixture
def staff(db: Any) -> User:
    return User.objects.create_user("staff", password="staff-pass", is_staff=True)


@pytest.fixture
def nl_user(db: Any) -> User:
    from parcels.services import aoi_grant

    user = User.objects.create_user("nluser", password="nl-pass")
    aoi_grant(user=user, aoi="nl")
    return user


@pytest.fixture
def at_user(db: Any) -> User:
    from parcels.services import aoi_grant

    user = User.objects.create_user("atuser", password="at-pass")
    aoi_grant(user=user, aoi="at")
    return user


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client
