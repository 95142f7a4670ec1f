"""The four real parcel samples: how each is imported, and an independent reader of the
source files (Debian GDAL through django.contrib.gis.gdal, not the pyogrio/shapely
pipeline the importer uses)."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any, cast

import shapely
from django.contrib.gis.gdal import CoordTransform, DataSource, OGRGeometry, SpatialReference
from django.core.management import call_command
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

    @property
    def srs(self) -> SpatialReference:
        # Every layer of the samples has a CRS, so every geometry read from it has one.
        return cast(SpatialReference, self.geom.srs)

    def centroid_wgs84(self) -> tuple[float, float]:
        centroid = self.geom.centroid
        centroid.transform(CoordTransform(self.srs, SpatialReference(4326)))
        return centroid.x, centroid.y

    def area_laea(self) -> float:
        to_laea = Transformer.from_crs(self.srs.wkt, "EPSG:3035", always_xy=True)
        shape = shapely.from_wkb(bytes(self.geom.wkb))
        projected = shapely.transform(
            shape,
            to_laea.transform,  # type: ignore[arg-type]  # types-shapely types no (x, y) callable
            interleaved=False,
        )
        return shapely.area(projected)


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


def import_samples(real_fixtures: Path) -> None:
    for sample in SAMPLES.values():
        import_sample(real_fixtures, sample)
