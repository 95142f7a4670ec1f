"""Parcel datasets (one per AOI, year and parcel type), their parcels, and AOI grants.

Geometry is kept twice, on purpose:
- `Parcel.geom` is the parcel in WGS84 (srid 4326), spatially indexed: every spatial query
  (by location, by polygon, peers) and the chips app (centroid, outline) work in lon/lat,
  whatever the dataset's national CRS, so one index serves all datasets.
- `Parcel.geom_native` is the parcel exactly as imported (after repair), as WKB in the
  dataset's own SRID (`ParcelDataset.srid`). It is only ever decoded to answer `geom` in the
  native SRID, never queried, so a plain bytes column is enough: a geometry column with
  srid 0 would invite spatial queries that mix CRSs and carry an index nobody uses, and
  re-projecting back from WGS84 would not give the source coordinates exactly.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import RegexValidator

# AOI codes are member-state or region codes: nl, at, be_fl, es_cat ...
AOI_PATTERN = r"^[a-z][a-z0-9_]{0,15}$"
PTYPE_PATTERN = r"^[a-z0-9_]{0,8}$"
aoi_validator = RegexValidator(AOI_PATTERN, "lower-case letters, digits and _ (at most 16)")
ptype_validator = RegexValidator(PTYPE_PATTERN, "lower-case letters, digits and _ (at most 8)")


def season_label(year: int, ptype: str) -> str:
    """<year>[_<ptype>]: how answers name a dataset within its AOI (/query/info's keys, the
    CSV file names after the AOI)."""
    return f"{year}_{ptype}" if ptype else str(year)


class ParcelDataset(models.Model):
    """One parcel set: an AOI's parcels of one year and one parcel type."""

    aoi = models.CharField(max_length=16, validators=[aoi_validator], help_text="e.g. nl, at")
    year = models.PositiveSmallIntegerField()
    ptype = models.CharField(
        max_length=8,
        blank=True,
        default="",
        validators=[ptype_validator],
        help_text="parcel type, e.g. b, g, m; empty for the main set",
    )
    srid = models.PositiveIntegerField(help_text="the source file's CRS, e.g. 28992")
    source = models.CharField(max_length=1000, help_text="the file it was imported from")
    attribution = models.CharField(max_length=500, blank=True)
    parcel_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["aoi", "year", "ptype"]
        constraints = [
            # Every request names its dataset by (aoi, year, ptype): one row, one index probe.
            models.UniqueConstraint(fields=["aoi", "year", "ptype"], name="dataset_aoi_year_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.aoi} {self.season_label}"

    @property
    def season_label(self) -> str:
        return season_label(self.year, self.ptype)


class Parcel(models.Model):
    """One parcel of a dataset."""

    # No separate FK index: the (dataset, pid) unique index starts with dataset_id and
    # serves `WHERE dataset_id = %s` as well (and the cascade delete of --replace).
    dataset = models.ForeignKey(
        ParcelDataset, on_delete=models.CASCADE, related_name="parcels", db_index=False
    )
    pid = models.CharField(max_length=64)
    crop_name = models.CharField(max_length=200, blank=True)
    crop_code = models.CharField(max_length=50, blank=True)
    area = models.BigIntegerField(help_text="m², in EPSG:3035 (LAEA Europe, equal-area)")
    # The centroid of the native geometry, in lon/lat: what the API answers as clon/clat
    # and what the chips app centres a parcel's chips on.
    centroid = models.PointField(srid=4326, spatial_index=False)
    # GiST (PostGIS) / R*Tree (SpatiaLite) index from spatial_index=True: it serves
    # parcelByLocation (ST_Intersects(geom, point)), parcelsByPolygon and parcelPeers (&&).
    geom = models.MultiPolygonField(srid=4326)
    geom_native = models.BinaryField(help_text="WKB in the dataset's SRID")

    class Meta:
        ordering = ["dataset", "pid"]
        constraints = [
            # parcelByID: dataset_id = %s AND pid = %s.
            models.UniqueConstraint(fields=["dataset", "pid"], name="parcel_dataset_pid_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset_id}:{self.pid}"


class AoiGrant(models.Model):
    """A user may see the parcels (and parcel chips) of this AOI; staff see every AOI."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="aoi_grants"
    )
    aoi = models.CharField(max_length=16, validators=[aoi_validator])

    class Meta:
        ordering = ["user", "aoi"]
        constraints = [
            # Per request: SELECT aoi FROM grants WHERE user_id = %s (this index's prefix).
            models.UniqueConstraint(fields=["user", "aoi"], name="aoigrant_user_aoi_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.aoi}"
