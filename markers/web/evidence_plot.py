"""The season plot of the evidence page (and the events drawn on the chipsByParcelID
plot): NDVI per acquisition (valid, not clear enough, or set aside as undetected cloud or
shadow), the events as vertical marks with their brackets, Sentinel-1 coherence and VH
backscatter per orbit where there is S1, the daily rain of the parcel's weather cell where
one is loaded, as plain numbers an inline SVG template draws (no outside resource)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from markers.detect.series import S1Orbit, S2Series
from markers.models import MarkerEvent

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 30, 24
# VH backscatter (dB) on the plot's 0..1 scale: -25 dB at 0, -5 dB at 1 (bare soil to a
# dense canopy, ../shared/reference/sentinel1.md); rain bars from the bottom, the tallest
# a quarter of the plot at RAIN_FULL_MM (or the season's wettest day if wetter).
VH_DB = (-25.0, -5.0)
RAIN_FULL_MM = 20.0
COLOURS = {"mowing": "#1565c0", "harvest": "#e65100", "ploughing": "#6d4c41",
           "emergence": "#2e7d32", "bare_soil": "#bcaaa4"}  # fmt: skip


@dataclass(frozen=True)
class Axis:
    t0: int
    t1: int

    def x(self, day: float) -> float:
        span = max(self.t1 - self.t0, 1)
        return round(LEFT + (day - self.t0) / span * (WIDTH - LEFT - RIGHT), 1)

    @staticmethod
    def y(v: float) -> float:
        v = min(max(v, -0.1), 1.0)
        return round(TOP + (1.0 - v) / 1.1 * (HEIGHT - TOP - BOTTOM), 1)


def plot(
    series: S2Series, kept: np.ndarray, artefacts: np.ndarray, events: list[MarkerEvent],
    s1: Sequence[S1Orbit] = (), rain: Sequence[tuple[dt.date, float]] = (),
    season: tuple[dt.date, dt.date] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`rain`: (day, mm) of the parcel's weather cell (weather.series); `season`: the axis
    when the parcel has no acquisition."""
    if len(series):
        t0, t1 = int(series.days.min()) - 3, int(series.days.max()) + 3
    elif season is not None:
        t0, t1 = season[0].toordinal(), season[1].toordinal()
    else:
        year = events[0].date_main.year if events else dt.date.today().year
        t0, t1 = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    ax = Axis(t0, t1)
    ndvi = series.ndvi
    kept_set, art_set = set(kept.tolist()), set(artefacts.tolist())
    points = []
    for i in range(len(series)):
        if not np.isfinite(ndvi[i]):
            continue
        kind = "valid" if i in kept_set else ("artefact" if i in art_set else "cloudy")
        clear = series.clear[i]
        points.append({
            "x": ax.x(series.days[i]), "y": ax.y(float(ndvi[i])), "kind": kind,
            "title": f"{dt.date.fromordinal(int(series.days[i]))}: NDVI {ndvi[i]:.3f}, "
                     + (f"{clear:.0f} % clear" if np.isfinite(clear) else "clear share unknown")
                     + {"valid": "", "cloudy": " (not clear enough)",
                        "artefact": " (set aside: undetected cloud or shadow)"}[kind],
        })  # fmt: skip
    line = " ".join(f"{p['x']},{p['y']}" for p in points if p["kind"] == "valid")
    marks: list[dict[str, Any]] = []
    for e in events:
        x0, x1 = ax.x(e.date_start.toordinal()), ax.x(e.date_end.toordinal())
        marks.append({
            "x": ax.x(e.date_main.toordinal()), "x0": x0, "w": max(x1 - x0, 1.0),
            "colour": COLOURS.get(e.marker, "#555"), "label": e.marker.replace("_", " "),
            "period": e.marker == "bare_soil",
            "title": f"{e.marker} {e.date_main} ({e.date_start}..{e.date_end}), "
                     f"confidence {e.confidence:.2f}, {e.marker_type}",
        })  # fmt: skip
    # Labels of events closer than 50 px take turns above the plot, so they stay legible.
    last_x, row = -1e9, 0
    for m in sorted((m for m in marks if not m["period"]), key=lambda m: m["x"]):
        row = (row + 1) % 2 if m["x"] - last_x < 50 else 0
        m["label_y"] = TOP - 6 - 9 * row
        last_x = m["x"]
    # Sentinel-1 coherence (0..1, on the NDVI axis), one line per orbit: never joined.
    coherence = [
        {"orbit": o.orbit, "line": " ".join(
            f"{ax.x(d)},{ax.y(c)}" for d, c in zip(o.days.tolist(), o.coh.tolist(), strict=True)
            if c == c and t0 <= d <= t1)}
        for o in s1
    ]  # fmt: skip
    lo, hi = VH_DB
    vh = [
        {"orbit": o.orbit, "line": " ".join(
            f"{ax.x(d)},{ax.y((v - lo) / (hi - lo))}"
            for d, v in zip(o.days.tolist(), o.vh.tolist(), strict=True)
            if v == v and t0 <= d <= t1)}
        for o in s1
    ]  # fmt: skip
    wet = [(d, float(mm)) for d, mm in rain if mm is not None and t0 <= d.toordinal() <= t1]
    full = max([RAIN_FULL_MM, *(mm for _, mm in wet)])
    bottom = HEIGHT - BOTTOM
    bars = []
    for d, mm in wet:
        if mm <= 0:
            continue
        h = round(mm / full * (HEIGHT - TOP - BOTTOM) / 4, 1)
        bars.append({"x": round(ax.x(d.toordinal()) - 1, 1), "y": round(bottom - h, 1),
                     "h": h, "mm": mm, "day": d.isoformat(),
                     "title": f"{d}: rain {mm:.1f} mm"})  # fmt: skip
    months = []
    d = dt.date.fromordinal(t0).replace(day=1)
    while d.toordinal() <= t1:
        if d.toordinal() >= t0:
            months.append((ax.x(d.toordinal()), d.strftime("%b")))
        d = (d + dt.timedelta(days=32)).replace(day=1)
    ticks = [(ax.y(v), f"{v:.1f}") for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM, "points": points, "line": line, "marks": marks,
        "months": months, "ticks": ticks, "coherence": [c for c in coherence if c["line"]],
        "vh": [v for v in vh if v["line"]], "rain": bars, "rain_full": full,
    }  # fmt: skip
