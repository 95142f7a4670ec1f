"""A parcel's Sentinel-2 series as the detector reads it (markers.detect.series.S2Series),
from the signature store: B02, B04, B08 and B11 means (DN to reflectance with the scene's
offset: every baseline on one scale) and the clear share of the parcel's SCL histogram.

Two ways in: one parcel on request (through the signature flow's public functions, which
compute what the store lacks), and a batch of parcels in bulk (the store only, one query).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection

from chips.catalogue.models import Level, Scene
from chips.raster.zonal import clear_share
from chips.signatures import series as signature_series
from chips.signatures.models import Signature
from markers.detect.series import S2Series
from parcels.models import Parcel

BANDS = ("B02", "B04", "B08", "B11", "SCL")
_FIELDS = {"B02": "blue", "B04": "red", "B08": "nir", "B11": "swir"}


def season_window(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _build(acquisitions: Iterable[tuple[dt.datetime, int, dict[str, Any]]]) -> S2Series:
    """S2Series from (sensing time, radiometric offset, {band: (mean, hist)}) per acquisition."""
    days, clear = [], []
    values: dict[str, list[float]] = {name: [] for name in _FIELDS.values()}
    classes = settings.SCL_CLEAR_CLASSES
    for when, offset, bands in acquisitions:
        if any(bands.get(b, (None, None))[0] is None for b in _FIELDS):
            continue  # a band without valid pixels: not an observation
        days.append(when.date().toordinal())
        share = clear_share(bands.get("SCL", (None, None))[1], classes)
        clear.append(np.nan if share is None else share)
        for band, name in _FIELDS.items():
            values[name].append((bands[band][0] + offset) / 10000.0)
    return S2Series(np.array(days, dtype=np.int64), np.array(clear), **{
        k: np.array(v) for k, v in values.items()})  # fmt: skip


def parcel_series(parcel: Parcel, year: int) -> S2Series:
    """One parcel on request: one scene per acquisition (the chip rule), the store's rows
    of them after the signature flow computed what it lacked."""
    start, end = season_window(year)
    scenes = signature_series.season_scenes(parcel, level=Level.L2A, start=start, end=end)
    rows = signature_series.fill_store(parcel, scenes, BANDS)
    acquisitions = []
    for scene in scenes:
        bands = {
            band: (row.mean if band != "SCL" else 0.0, row.hist)
            for band in BANDS
            if (row := rows.get((scene.pk, band))) is not None and row.count > 0
        }
        acquisitions.append((scene.sensing_time, scene.radiometric_offset, bands))
    return _build(acquisitions)


def season_scenes(year: int) -> dict[int, int]:
    """The L2A scenes of a season: pk -> radiometric offset."""
    start, end = season_window(year)
    rows = Scene.objects.filter(
        level=Level.L2A, sensing_time__date__gte=start, sensing_time__date__lte=end
    ).values_list("pk", "radiometric_offset")
    return dict(rows)


def batch_series(parcel_ids: Sequence[int], scenes: dict[int, int]) -> dict[int, S2Series]:
    """Many parcels from the store alone. Per parcel and acquisition (a sensing time) the
    scene with the most valid SCL pixels: the tile that sees most of the parcel, as the
    chip rule's coverage picks it. On PostgreSQL the choice, the clear share and the band
    pivot are one query (a row per parcel and acquisition); elsewhere row by row."""
    if connection.vendor == "postgresql":
        return _batch_sql(parcel_ids, scenes)
    rows = (
        Signature.objects.filter(
            parcel_id__in=list(parcel_ids), band__in=BANDS, scene_id__in=list(scenes)
        )  # fmt: skip
        .order_by()
        .values_list("parcel_id", "scene_id", "sensing_time", "band", "count", "mean", "hist")
    )
    per: dict[int, dict[dt.datetime, dict[int, dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for pid, scene, when, band, count, mean, hist in rows.iterator(chunk_size=20000):
        if count:
            per[pid][when].setdefault(scene, {})[band] = (
                mean if band != "SCL" else float(count), hist)  # fmt: skip
    out: dict[int, S2Series] = {}
    for pid in parcel_ids:
        acquisitions = []
        for when, by_scene in sorted(per.get(pid, {}).items()):
            scene, bands = max(
                by_scene.items(), key=lambda kv: (kv[1].get("SCL", (0.0,))[0], -kv[0])
            )
            acquisitions.append((when, scenes[scene], bands))
        out[pid] = _build(acquisitions)
    return out


# The best scene per parcel and acquisition (most valid SCL pixels, then the lower id, as
# the row-by-row path), its four band means pivoted and its clear share from the SCL
# histogram. The histogram is carried through the grouping as a value, not grouped by
# (comparing jsonb in a sort key cost half the query), and read once per acquisition.
_BATCH_SQL = """
WITH best AS (
    SELECT DISTINCT ON (parcel_id, sensing_time) parcel_id, sensing_time, scene_id
    FROM {table}
    WHERE parcel_id = ANY(%(parcels)s) AND scene_id = ANY(%(scenes)s) AND band = 'SCL'
      AND count > 0
    ORDER BY parcel_id, sensing_time, count DESC, scene_id
), pivot AS (
    SELECT b.parcel_id, b.sensing_time, b.scene_id,
        (array_agg(s.hist) FILTER (WHERE s.band = 'SCL'))[1] AS hist,
        max(s.mean) FILTER (WHERE s.band = 'B02') AS b02,
        max(s.mean) FILTER (WHERE s.band = 'B04') AS b04,
        max(s.mean) FILTER (WHERE s.band = 'B08') AS b08,
        max(s.mean) FILTER (WHERE s.band = 'B11') AS b11
    FROM best b
    JOIN {table} s ON s.parcel_id = b.parcel_id AND s.scene_id = b.scene_id
        AND s.band IN ('B02', 'B04', 'B08', 'B11', 'SCL') AND s.count > 0
    GROUP BY b.parcel_id, b.sensing_time, b.scene_id
)
SELECT p.parcel_id, p.sensing_time::date, p.scene_id,
    (SELECT 100.0 * coalesce(sum(v::bigint) FILTER (WHERE k::int = ANY(%(clear)s)), 0)
            / nullif(sum(v::bigint), 0)
       FROM jsonb_each_text(p.hist) AS h(k, v)),
    p.b02, p.b04, p.b08, p.b11
FROM pivot p
ORDER BY p.parcel_id, p.sensing_time
"""


def _batch_sql(parcel_ids: Sequence[int], scenes: dict[int, int]) -> dict[int, S2Series]:
    table = connection.ops.quote_name(Signature._meta.db_table)
    params = {"parcels": list(parcel_ids), "scenes": list(scenes),
              "clear": list(settings.SCL_CLEAR_CLASSES)}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_BATCH_SQL.format(table=table), params)
        rows = cursor.fetchall()
    per: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if None not in row[4:]:
            per[row[0]].append(row)
    out: dict[int, S2Series] = {}
    for pid in parcel_ids:
        got = per.get(pid, [])
        if not got:
            out[pid] = S2Series.empty()
            continue
        arr = np.array([r[3:] for r in got], dtype=float)
        offset = np.array([scenes[r[2]] for r in got], dtype=float)
        refl = (arr[:, 1:] + offset[:, None]) / 10000.0
        out[pid] = S2Series(
            np.array([r[1].toordinal() for r in got], dtype=np.int64), arr[:, 0],
            refl[:, 0], refl[:, 1], refl[:, 2], refl[:, 3],
        )  # fmt: skip
    return out


def missing_signatures(parcel_ids: Sequence[int], scenes: dict[int, int]) -> bool:
    """Does the store lack any band of these parcels on every scene? (bulk: fill first)"""
    held = (
        Signature.objects.filter(parcel_id__in=list(parcel_ids), band__in=BANDS,
                                 scene_id__in=list(scenes)).values("parcel_id").distinct().count()
    )  # fmt: skip
    return held < len(parcel_ids)
