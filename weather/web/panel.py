"""The parcel page's weather panel (common.page_panels): daily precipitation bars and the
temperature line (mean, min..max band) of the parcel's cell, on the season plot's date axis
(chips.web.season's width and margins, so a day sits under the same x as its NDVI)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest

from chips.web.season import LEFT, RIGHT, WIDTH, date_ticks
from common.page_panels import ParcelWindow
from weather.series import weather_series

HEIGHT, TOP, BOTTOM = 150, 10, 30


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC).timestamp()


def weather_panel(request: HttpRequest, window: ParcelWindow) -> dict[str, Any] | None:
    centre = window.parcel.centroid
    answer = weather_series(centre, start=window.start, end=window.end)
    if not answer["meteo_date"]:
        return None
    t0, t1 = _midnight(window.start), _midnight(window.end + dt.timedelta(days=1))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    day_w = plot_w * 86400 / (t1 - t0)

    def px(day: dt.date) -> float:
        return round(LEFT + plot_w * (_midnight(day) - t0) / (t1 - t0), 1)

    days = [dt.date.fromisoformat(d) for d in answer["meteo_date"]]
    temps = [t for col in ("tmin", "tmax") for t in answer[col] if t is not None]
    lo, hi = (min(temps), max(temps)) if temps else (0.0, 1.0)
    lo, hi = 5 * (lo // 5), 5 * (hi // 5 + 1)
    wettest = max([p for p in answer["prec"] if p is not None] or [0.0])
    rain_top = max(10.0, wettest)

    def ty(v: float) -> float:
        return round(TOP + plot_h * (hi - v) / (hi - lo), 1)

    bars = []
    line, band_hi, band_lo = [], [], []
    for day, tmin, tmax, tmean, prec in zip(
        days, answer["tmin"], answer["tmax"], answer["tmean"], answer["prec"], strict=True
    ):
        x = px(day)
        mid = round(x + day_w / 2, 1)
        if prec:
            h = round(plot_h * prec / rain_top, 1)
            bars.append({"x": x, "y": round(TOP + plot_h - h, 1), "w": round(max(day_w - 1, 1), 1),
                         "h": h, "title": f"{day}: {prec:.1f} mm"})  # fmt: skip
        if tmean is not None:
            line.append(f"{mid},{ty(tmean)}")
        if tmin is not None and tmax is not None:
            band_hi.append(f"{mid},{ty(tmax)}")
            band_lo.append(f"{mid},{ty(tmin)}")
    return {
        "template": "weather/season_weather.html",
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM, "bars": bars, "line": " ".join(line),
        "band": " ".join(band_hi + band_lo[::-1]),
        "ticks": [(ty(v), f"{v:g}") for v in range(int(lo), int(hi) + 1, 5)],
        "months": [(px(day), label) for day, label in date_ticks(window.start, window.end)],
        "rain_top": f"{rain_top:.1f}", "total": f"{sum(p or 0 for p in answer['prec']):.0f}",
    }  # fmt: skip
