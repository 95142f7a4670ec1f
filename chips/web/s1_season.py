"""Sentinel-1 under the parcel's NDVI on the chipsByParcelID page: VH and VV backscatter
(dB of the parcel's linear mean) and 6-day coherence per orbit, on the NDVI chart's date
axis, each point linking to that pass's Sentinel-1 composite. Drawn by
templates/chips/s1_season.html (inline SVG, no outside resource); nothing when no
Sentinel-1 product covers the parcel in the window."""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any
from urllib.parse import urlencode

from chips.catalogue.selection import utc_window
from chips.signatures import s1_series
from chips.signatures.s1_series import SarSeriesRequest
from chips.web.season import LEFT, RIGHT, WIDTH, date_ticks
from common.errors import BackendUnavailable
from parcels.models import Parcel

log = logging.getLogger(__name__)
PANEL_H, TOP, GAP, BOTTOM = 110, 10, 24, 38
DB_RANGE = (-25.0, -5.0)  # the CbM client's S1 plot draws -25..-1 dB
COLOURS = {"ASCENDING": "#c2185b", "DESCENDING": "#1565c0"}


def context(
    parcel: Parcel, *, start: dt.date, end: dt.date, hidden: list[tuple[str, str]]
) -> dict[str, Any] | None:
    """The chart's context, or None without Sentinel-1 over the parcel in the window."""
    panels = []
    try:
        for tstype in ("bs", "c6"):
            req = SarSeriesRequest(tstype=tstype, polarisations=("VH", "VV"), start=start,
                                   end=end, with_orbit=True)  # fmt: skip
            panels.append((tstype, s1_series.time_series(parcel, req)))
    except BackendUnavailable as exc:
        log.warning("Sentinel-1 season of parcel %s: %s", parcel.pk, exc)
        return None
    if not any(table["band"] for _, table in panels):
        return None
    t0, t1 = (t.timestamp() for t in utc_window(start, end))

    def px(t: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (t - t0) / (t1 - t0), 1)

    out: list[dict[str, Any]] = []
    for i, (tstype, table) in enumerate(panels):
        top = TOP + i * (PANEL_H + GAP)
        lo, hi = DB_RANGE if tstype == "bs" else (0.0, 1.0)
        out.append(_panel(tstype, table, top, lo, hi, px, hidden))
    height = TOP + 2 * PANEL_H + GAP + BOTTOM
    months = [(px(dt.datetime.combine(d, dt.time(), tzinfo=dt.UTC).timestamp()), label)
              for d, label in date_ticks(start, end)]  # fmt: skip
    return {"width": WIDTH, "height": height, "left": LEFT, "right": WIDTH - RIGHT,
            "bottom": height - BOTTOM, "top": TOP, "panels": out, "months": months,
            "colours": sorted(COLOURS.items())}  # fmt: skip


def _panel(tstype: str, table: dict[str, list[Any]], top: float, lo: float, hi: float,
           px: Any, hidden: list[tuple[str, str]]) -> dict[str, Any]:  # fmt: skip
    level = "CARD-BS" if tstype == "bs" else "CARD-COH6"

    def py(v: float) -> float:
        return round(top + PANEL_H * (hi - min(max(v, lo), hi)) / (hi - lo), 1)

    series: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for i, band in enumerate(table["band"]):
        mean = table["mean"][i]
        if mean is None or mean <= 0:
            continue
        value = 10 * math.log10(mean) if tstype == "bs" else mean
        when = dt.datetime.fromtimestamp(table["date_part"][i], tz=dt.UTC)
        key = (table["orbit_direction"][i], table["relative_orbit"][i], band[:2])
        day = when.date().isoformat()
        link = "?" + urlencode([*hidden, ("plevel", level), ("start_date", day),
                                ("end_date", day)])  # fmt: skip
        unit = " dB" if tstype == "bs" else ""
        series.setdefault(key, []).append({
            "x": px(when.timestamp()), "y": py(value), "url": link,
            "title": f"{day} {key[0].lower()} R{key[1]:03d} {band}: {value:.2f}{unit}",
        })  # fmt: skip
    lines = [{"direction": d, "orbit": o, "pol": p, "colour": COLOURS.get(d, "#555"),
              "dashed": p == "VH", "points": pts,
              "line": " ".join(f"{q['x']},{q['y']}" for q in pts)}
             for (d, o, p), pts in sorted(series.items())]  # fmt: skip
    steps = (-25, -20, -15, -10, -5) if tstype == "bs" else (0.0, 0.25, 0.5, 0.75, 1.0)
    return {"label": "backscatter, dB" if tstype == "bs" else "6-day coherence",
            "top": top, "bottom": top + PANEL_H, "lines": lines,
            "ticks": [(py(v), f"{v:g}") for v in steps]}  # fmt: skip
