"""The parcel's season on the chipsByParcelID page: NDVI per acquisition from the B08 and
B04 means of the signature store (harmonised: reflectance, whatever the baseline), its
spread, the clear and cloudy dates from the parcel's SCL histogram, as an inline SVG
drawn by templates/chips/season.html (no outside resource)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from chips.catalogue.models import Level
from chips.catalogue.selection import utc_window
from chips.composite.plan import CompositeRequest
from chips.raster.zonal import clear_share
from chips.signatures.series import SeriesRequest, time_series
from common.errors import BackendUnavailable
from parcels.models import Parcel

log = logging.getLogger(__name__)
WIDTH, HEIGHT = 640, 196
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 10, 38
# Without min_clear, a date is drawn clear when at least this share of its pixels is.
DEFAULT_CLEAR = 50.0


# The SCL classes the parcel's badges name apart (sen2cor legend), besides the clear ones.
SKY_CLASSES = {"cloud": (8, 9), "cirrus": (10,), "shadow": (3,), "snow": (11,)}
# Windows up to this many days get a tick per few days, longer ones one per month.
DAY_TICKS_UP_TO = 62


@dataclass(frozen=True)
class Sky:
    """The parcel's own SCL pixels on one date, in percent: what its chip's badge says."""

    clear: float
    cloud: float
    cirrus: float
    shadow: float
    snow: float

    @property
    def badge(self) -> str:
        return "clear" if self.clear >= 90 else "some" if self.clear >= 50 else "cloudy"

    @property
    def detail(self) -> str:
        """What is not clear, named: `cloud 20 % · cirrus 16 %` ("" when nothing is)."""
        named = [(name, getattr(self, name)) for name in SKY_CLASSES]
        return " · ".join(f"{name} {value:.0f} %" for name, value in named if value >= 0.5)


def parcel_sky(hist: dict[int, int], clear: list[int]) -> Sky | None:
    """Shares of the parcel's SCL pixels: clear (the settings' classes), and cloud, cirrus,
    shadow and snow named apart; None without a pixel."""
    total = sum(hist.values())
    if not total:
        return None

    def share(classes: tuple[int, ...] | list[int]) -> float:
        return round(100.0 * sum(n for c, n in hist.items() if c in classes) / total, 1)

    return Sky(clear=share(clear), **{name: share(c) for name, c in SKY_CLASSES.items()})


@dataclass(frozen=True)
class SeasonPoint:
    key: str  # the chip's id on the page (sensing time, 20240601T104031)
    date: str
    ndvi: float
    spread: float | None  # None where the store has no standard deviation (bulk rows)
    clear: float | None  # percent of the parcel's SCL pixels in the clear classes
    x: float
    y: float
    y_lo: float
    y_hi: float
    is_clear: bool
    linked: bool


def ndvi(
    nir: float | None, red: float | None, s_nir: float | None, s_red: float | None
) -> tuple[float, float | None]:
    """NDVI of the means and its spread: one standard deviation, propagated to first
    order from the bands' standard deviations (taken as independent). The spread is None
    where a band's deviation is (rows stored without it): no error bar rather than a
    made-up one; a missing mean gives NaN (the date is left out)."""
    if nir is None or red is None or nir + red <= 0:
        return math.nan, None
    total = nir + red
    value = (nir - red) / total
    if s_nir is None or s_red is None:
        return value, None
    spread = 2 / total**2 * math.hypot(red * s_nir, nir * s_red)
    return value, spread


def season(
    parcel: Parcel, *, level: str, start: dt.date, end: dt.date, min_clear: float | None,
    chips: set[str],
) -> dict[str, Any] | None:  # fmt: skip
    """The chart's context, or None when the store and the archive cannot give it."""
    req = SeriesRequest(tstype="s2", bands=("B04", "B08"), with_hist=level == Level.L2A,
                        with_reference=False, level=level, start=start, end=end,
                        harmonize=True)  # fmt: skip
    try:
        table = time_series(parcel, req)
    except BackendUnavailable as exc:
        log.warning("season of parcel %s: %s", parcel.pk, exc)
        return None
    dates: dict[int, dict[str, Any]] = {}
    for i, when in enumerate(table["date_part"]):
        dates.setdefault(when, {})[table["band"][i]] = i
    threshold = DEFAULT_CLEAR if min_clear is None else min_clear
    raw: list[tuple[dt.datetime, float, float | None, float | None]] = []
    skies: dict[str, Sky] = {}
    for when, bands in sorted(dates.items()):
        if "hist" in table and bands:
            key = dt.datetime.fromtimestamp(when, tz=dt.UTC).strftime("%Y%m%dT%H%M%S")
            text = table["hist"][next(iter(bands.values()))]
            sky = parcel_sky(_hist(text), settings.SCL_CLEAR_CLASSES) if text else None
            if sky is not None:
                skies[key] = sky
        if "B04" not in bands or "B08" not in bands:
            continue
        r, n = bands["B04"], bands["B08"]
        value, spread = ndvi(table["mean"][n], table["mean"][r], table["std"][n], table["std"][r])
        if math.isnan(value):
            continue
        hist = table["hist"][r] if "hist" in table else None
        share = clear_share(_hist(hist), settings.SCL_CLEAR_CLASSES) if hist else None
        raw.append((dt.datetime.fromtimestamp(when, tz=dt.UTC), value, spread, share))
    if not raw:
        return {"sky": skies} if skies else None
    return {**_layout(raw, start, end, threshold, chips, min_clear), "sky": skies}


def _hist(text: str) -> dict[int, int]:
    return {int(k): int(v) for k, v in json.loads(text).items()}


def _layout(
    raw: list[tuple[dt.datetime, float, float | None, float | None]], start: dt.date, end: dt.date,
    threshold: float, chips: set[str], min_clear: float | None,
) -> dict[str, Any]:  # fmt: skip
    t0, t1 = (t.timestamp() for t in utc_window(start, end))
    lo = min(-0.2, min(v - (s or 0.0) for _, v, s, _ in raw))
    hi = max(1.0, max(v + (s or 0.0) for _, v, s, _ in raw))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(t: float) -> float:
        return round(LEFT + plot_w * (t - t0) / (t1 - t0), 1)

    def py(v: float) -> float:
        return round(TOP + plot_h * (hi - v) / (hi - lo), 1)

    points = []
    for when, value, spread, share in raw:
        key = when.strftime("%Y%m%dT%H%M%S")
        half = spread or 0.0
        points.append(SeasonPoint(
            key=key, date=when.date().isoformat(), ndvi=round(value, 3),
            spread=None if spread is None else round(spread, 3),
            clear=None if share is None else round(share, 1),
            x=px(when.timestamp()), y=py(value), y_lo=py(value - half), y_hi=py(value + half),
            is_clear=share is not None and share >= threshold, linked=key in chips,
        ))  # fmt: skip
    ticks = [(py(v), f"{v:.1f}") for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) if lo <= v <= hi]
    months = [(px(_midnight(day)), label) for day, label in date_ticks(start, end)]
    line = " ".join(f"{p.x},{p.y}" for p in points if p.is_clear)
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "top": TOP, "bottom": HEIGHT - BOTTOM, "points": points, "ticks": ticks,
        "months": months, "line": line, "threshold": threshold, "min_clear": min_clear,
    }  # fmt: skip


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def date_ticks(start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Ticks of the date axis: on a short window every few days (about eight ticks, on
    days of the month that read easily), on a longer one the first of each month."""
    days = (end - start).days + 1
    if days <= DAY_TICKS_UP_TO:
        step = next(s for s in (1, 2, 5, 7, 10) if days / s <= 9)
        out, day = [], start
        while day <= end:
            out.append((day, f"{day:%d %b}" if day == start or day.day <= step else f"{day:%d}"))
            day += dt.timedelta(days=step)
        return out
    out = []
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            out.append((month, month.strftime("%b")))
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def season_fields(
    hidden: list[tuple[str, str]], composite: CompositeRequest
) -> list[tuple[str, str]]:
    """The page's parameters but min_clear: what the min_clear control sends again."""
    return [
        *hidden,
        ("plevel", composite.level),
        ("chipsize", str(composite.chipsize)),
        ("start_date", composite.start.isoformat()),
        ("end_date", composite.end.isoformat()),
        ("bands", "_".join(composite.bands)),
        ("lut", composite.lut.to_param()),
    ]
