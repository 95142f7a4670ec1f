"""Sentinel-1 rows of the signature store -> the detector's input (markers.detect.series.
S1Obs). The one seam between the markers and the Sentinel-1 store.

`observations(rows)` takes the store's S1 rows of one parcel as its reader yields them:
objects with the attributes `date` (a date or datetime), `kind` ("bs": backscatter, "c6":
6-day coherence, "c12" where one satellite flew), `orbit_direction` ("ascending" /
"descending", or "ASC"/"DESC"), `relative_orbit`, `vv`, `vh` (backscatter in linear
power; coherence 0..1) and `count` (pixels; a row without any is no observation).

`read_parcels` reads many parcels' rows as the store holds them (the bulk run: the
dataset's S1 signatures are extracted beforehand, `extract_signatures --tstype bs|c6`);
`read_parcel` computes what one parcel's season lacks first, as its S2 series does.
A coherence row is dated by the second image of its pair (the detector's S1Obs.date: the
pair ends on that day, beside that day's backscatter).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from chips.signatures import s1_series
from markers.detect.series import S1Obs
from parcels.models import Parcel

COHERENCE_KINDS = ("c6", "c12")


def orbit_key(direction: str, relative_orbit: int | str) -> str:
    """ "ASC-88" / "DSC-37": one key per viewing geometry (series never mix two)."""
    d = str(direction).strip().upper()[:1]
    return f"{'ASC' if d == 'A' else 'DSC'}-{int(relative_orbit)}"


def _day(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def observations(rows: Iterable[Any]) -> list[S1Obs]:
    """One S1Obs per day and orbit from a parcel's backscatter and coherence rows."""
    per: dict[tuple[dt.date, str], dict[str, Any]] = defaultdict(dict)
    for row in rows:
        if not getattr(row, "count", 0):
            continue
        when = row.date
        if row.kind in COHERENCE_KINDS and getattr(row, "second_date", None) is not None:
            when = row.second_date
        key = (_day(when), orbit_key(row.orbit_direction, row.relative_orbit))
        if row.kind == "bs":
            per[key].update(vv_bs=row.vv, vh_bs=row.vh)
        elif row.kind in COHERENCE_KINDS:
            per[key].update(vv_coh=row.vv, vh_coh=row.vh, coh_pixels=int(row.count))
    return [S1Obs(date, orbit, **values) for (date, orbit), values in sorted(per.items())]


def read_parcels(parcel_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, list[S1Obs]]:
    """Each parcel's S1 observations of [start, end] as the signature store holds them."""
    held = s1_series.held_rows(parcel_ids, start, end)
    return {pid: observations(held.get(pid, ())) for pid in parcel_ids}


def read_parcel(parcel: Parcel, start: dt.date, end: dt.date) -> list[S1Obs]:
    """One parcel's S1 observations, what the store lacks computed first."""
    return observations(s1_series.s1_rows(parcel, start, end))
