"""The true farming events of every field: what happened on the ground, and when.

This is the one place the demo's field events are drawn. `fields.greenness` and
`scene_pixels.cell_spectra` paint them into Sentinel-2; a Sentinel-1 generator reads the
same `FieldEvents` (`layout.events`) to follow them (coherence up after a cut or a harvest,
down again after ploughing); `truth()` writes them beside the archive (truth.json) for
bench/markers.py.

Per cover class (days of year, float):
- grassland: 1-4 mowings (`mow`, NaN-padded, >= 25 days apart), each removing a share of
  the canopy (`mow_depth`) that regrows with a time constant of `REGROWTH_DAYS`;
  rule breakers are never mown (abandoned) or ploughed and resown (`plough`).
- arable: `emergence` (the green-up's half-amplitude date: the crop's sowing is some
  weeks earlier, winter wheat's in the autumn before, so NaN there), senescence from
  `senescence` to `harvest` (cereals and potatoes dry down, silage maize is cut green), the
  `harvest` (canopy to stubble and straw in one day), `plough` (straw buried, moist soil
  turned up: NaN when the field is left in stubble through the archive). Winter wheat
  ploughed before 15 August (GAEC 6's soil-cover period in the demo rules) breaks a rule.

The demo rules (markers/rules/demo.json) encode the same agronomy; `Breach` says which
fields were drawn to break them, so truth.json carries the light an inspector should give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

GRASS, MAIZE, WHEAT, BEET, POTATO = range(5)
MAX_CUTS = 4
REGROWTH_DAYS = 14.0  # grass canopy regrowth time constant after a cut
STUBBLE_GREENING_DAYS = 25.0  # volunteers and weeds on stubble
GAEC6_PLOUGH_FROM = 227  # 15 August (2024 is a leap year: day 228; 227 keeps it simple)

# Truth-event names (the markers' names).
MOWING, HARVEST, PLOUGHING, EMERGENCE = "mowing", "harvest", "ploughing", "emergence"


@dataclass(frozen=True)
class FieldEvents:
    """Per cell (the layout's cells), days of year; NaN = did not happen."""

    mow: np.ndarray  # (cells, MAX_CUTS)
    mow_depth: np.ndarray  # (cells, MAX_CUTS) greenness removed by the cut
    emergence: np.ndarray
    senescence: np.ndarray
    harvest: np.ndarray
    plough: np.ndarray
    breach: np.ndarray  # object: "" or the rule the field breaks (the truth's reason)

    def of_cell(self, cell: int) -> list[tuple[str, float]]:
        """The cell's events in time order: (name, day of year)."""
        out: list[tuple[str, float]] = [
            (MOWING, float(d)) for d in self.mow[cell] if np.isfinite(d)
        ]
        for name, arr in ((EMERGENCE, self.emergence), (HARVEST, self.harvest),
                          (PLOUGHING, self.plough)):  # fmt: skip
            if np.isfinite(arr[cell]):
                out.append((name, float(arr[cell])))
        return sorted(out, key=lambda e: e[1])


def draw(cover: np.ndarray, rng: np.random.Generator) -> FieldEvents:
    """Events for every cell of a layout (cover classes from fields.py)."""
    n = len(cover)
    nan = np.full(n, np.nan)
    mow = np.full((n, MAX_CUTS), np.nan)
    depth = rng.uniform(0.30, 0.42, (n, MAX_CUTS))
    emergence, senescence, harvest, plough = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    breach = np.full(n, "", dtype=object)
    for cell in range(n):
        c = int(cover[cell])
        if c == GRASS:
            u = rng.random()
            if u < 0.07:
                breach[cell] = "no mowing"
                continue
            if u < 0.12:
                breach[cell] = "ploughed grassland"
                plough[cell] = rng.uniform(175, 240)
                continue
            cuts = int(rng.choice([1, 2, 3, 4], p=[0.2, 0.35, 0.3, 0.15]))
            day = rng.uniform(128, 165)
            for k in range(cuts):
                if day > 265:
                    break
                mow[cell, k] = day
                day += rng.uniform(25, 50)
        elif c == WHEAT:
            harvest[cell] = rng.uniform(195, 215)
            senescence[cell] = harvest[cell] - rng.uniform(22, 30)
            u = rng.random()
            if u < 0.12:
                breach[cell] = "ploughed before 15 August"
                plough[cell] = harvest[cell] + rng.uniform(5, 12)
            elif u < 0.75:
                plough[cell] = max(harvest[cell] + rng.uniform(20, 45), GAEC6_PLOUGH_FROM + 2)
        elif c == MAIZE:
            emergence[cell] = rng.uniform(140, 156)
            harvest[cell] = rng.uniform(245, 262)
            if rng.random() < 0.4:
                plough[cell] = harvest[cell] + rng.uniform(6, 14)
        elif c == POTATO:
            emergence[cell] = rng.uniform(145, 160)
            harvest[cell] = rng.uniform(225, 250)
            senescence[cell] = harvest[cell] - rng.uniform(14, 21)  # haulm killing
        elif c == BEET:
            emergence[cell] = rng.uniform(128, 148)  # lifted in October, after the archive
    return FieldEvents(mow, depth, emergence, senescence, harvest, plough, breach)


# Greenness levels (fields.greenness' units: 0.15 bare soil .. 0.9 full canopy).
BARE = 0.15
STUBBLE = 0.17
STUBBLE_GREEN = 0.16  # what volunteers add over some weeks
DRY = {WHEAT: 0.36, POTATO: 0.38}  # the dried canopy at harvest
GRASS_TOP = 0.8


def grass(ev: FieldEvents, sel: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Greenness and straw cover of grassland cells `sel` on day t."""
    g = np.full(int(sel.sum()), GRASS_TOP)
    for k in range(MAX_CUTS):
        since = t - ev.mow[sel, k]
        cut = np.isfinite(since) & (since >= 0)
        g -= np.where(
            cut, ev.mow_depth[sel, k] * np.exp(-np.where(cut, since, 0) / REGROWTH_DAYS), 0
        )
    g = np.maximum(g, 0.3)
    # Ploughed and resown: bare, then the new sward emerges after three weeks.
    since = t - ev.plough[sel]
    ploughed = np.isfinite(since) & (since >= 0)
    regrown = BARE + (0.7 - BARE) * _sigmoid((np.where(ploughed, since, 0) - 35) / 6)
    g = np.where(ploughed, regrown, g)
    return g, np.zeros_like(g)


def arable(
    ev: FieldEvents,
    sel: np.ndarray,
    t: float,
    crop: int,
    vmax: np.ndarray,
    rise: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greenness, straw cover and fresh-tillage flag of one crop's cells on day t."""
    em, sen, hv, pl = ev.emergence[sel], ev.senescence[sel], ev.harvest[sel], ev.plough[sel]
    base = 0.2
    # Winter wheat is green from the start (emerged the autumn before).
    grow = np.where(np.isfinite(em), _sigmoid((t - np.nan_to_num(em, nan=-1e3)) / rise), 1.0)
    g = base + (vmax - base) * grow
    if crop in DRY:
        frac = np.clip((t - sen) / np.maximum(hv - sen, 1), 0, 1)
        frac = np.nan_to_num(frac)
        g = g - (g - DRY[crop]) * frac
    after = np.isfinite(hv) & (t >= hv)
    stubble = STUBBLE + STUBBLE_GREEN * (1 - np.exp(-np.maximum(t - hv, 0) / STUBBLE_GREENING_DAYS))
    g = np.where(after, stubble, g)
    straw = np.where(after, 0.45 if crop in (WHEAT, MAIZE) else 0.15, 0.0)
    tilled = np.isfinite(pl) & (t >= pl)
    g = np.where(tilled, BARE, g)
    straw = np.where(tilled, 0.0, straw)
    return g, straw, tilled


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50, 50)))


def truth(
    events: FieldEvents, pid_cells: dict[str, int], cover: np.ndarray, year: int,
    start: dt.date, end: dt.date, crops: tuple[tuple[str, int], ...],
) -> dict[str, Any]:  # fmt: skip
    """truth.json: per parcel its crop, the events inside the archive's window (dated),
    and the light its declaration deserves (red when drawn to break a rule, else green)."""
    jan1 = dt.date(year, 1, 1)
    parcels: dict[str, Any] = {}
    for pid, cell in pid_cells.items():
        c = int(cover[cell])
        dated = []
        for name, day in events.of_cell(cell):
            when = jan1 + dt.timedelta(days=round(day) - 1)
            if start <= when <= end:
                dated.append({"event": name, "date": when.isoformat()})
        reason = str(events.breach[cell])
        parcels[pid] = {
            "crop_code": str(crops[c][1]),
            "crop_name": crops[c][0],
            "events": dated,
            "expected_light": "red" if reason else "green",
            "breach": reason,
        }
    return {
        "about": "true events per parcel painted into the demo archive (demo/generator/events.py)",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "parcels": parcels,
    }
