"""Ground truth: a generated field pattern in the national CRS, and seasonal curves per crop.

Fields are rectangles in blocks, rotated like a polder allotment: columns of random width,
each split into fields of random length, with 8 m ditches and tracks between them. A field
id is found for any ground point by two sorted look-ups, so every tile grid samples the same
ground exactly, whatever its CRS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from demo.generator import events as field_events

# Cover classes. Crops carry the Dutch BRP crop name and code (gewas, gewascode).
CROPS: tuple[tuple[str, int], ...] = (
    ("Grasland, blijvend", 265),
    ("Mais, snij-", 259),
    ("Tarwe, winter-", 233),
    ("Bieten, suiker-", 256),
    ("Aardappelen, consumptie", 2014),
)
GRASS, MAIZE, WHEAT, BEET, POTATO = range(5)
FOREST, URBAN, WATER, VERGE = 5, 6, 7, 8
COVER_SHARES = np.array([0.34, 0.2, 0.12, 0.09, 0.1, 0.06, 0.05, 0.04])
DITCH_HALF_WIDTH_M = 4.0


@dataclass(frozen=True)
class FieldLayout:
    origin: tuple[float, float]  # national CRS
    angle: float  # radians, rotation of the allotment
    u_edges: np.ndarray  # column edges along u
    v_keys: np.ndarray  # per-column row edges, offset by column * _KEY_STRIDE
    v_start: np.ndarray  # index into v_keys of each column's first edge
    cell_column: np.ndarray
    cell_v0: np.ndarray
    cell_v1: np.ndarray
    cover: np.ndarray  # cover class per cell
    sos_shift: np.ndarray  # days, per cell
    eos_shift: np.ndarray
    vmax: np.ndarray
    soil: np.ndarray  # soil brightness factor per cell
    phase: np.ndarray  # texture phase per cell
    events: field_events.FieldEvents  # what happened on each field (the truth)

    @property
    def n_cells(self) -> int:
        return len(self.cover)

    def to_uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = x - self.origin[0], y - self.origin[1]
        c, s = math.cos(self.angle), math.sin(self.angle)
        return dx * c + dy * s, -dx * s + dy * c

    def from_uv(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        return self.origin[0] + u * c - v * s, self.origin[1] + u * s + v * c

    def cell_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cell index at ground points; n_cells (the verge class) on ditches and tracks."""
        u, v = self.to_uv(x, y)
        col = np.clip(np.searchsorted(self.u_edges, u, side="right") - 1, 0, len(self.u_edges) - 2)
        key = col * _KEY_STRIDE + v
        pos = np.searchsorted(self.v_keys, key, side="right") - 1
        cell = pos - col  # each column has one more edge than cells
        cell = np.clip(cell, 0, self.n_cells - 1)
        inside = (
            (u - self.u_edges[col] > DITCH_HALF_WIDTH_M)
            & (self.u_edges[col + 1] - u > DITCH_HALF_WIDTH_M)
            & (v - self.cell_v0[cell] > DITCH_HALF_WIDTH_M)
            & (self.cell_v1[cell] - v > DITCH_HALF_WIDTH_M)
            & (self.cell_column[cell] == col)
        )
        return np.where(inside, cell, self.n_cells)

    def cell_polygon(self, cell: int) -> list[tuple[float, float]]:
        """The field's ring (national CRS), inside its ditches."""
        col = int(self.cell_column[cell])
        m = DITCH_HALF_WIDTH_M
        u0, u1 = self.u_edges[col] + m, self.u_edges[col + 1] - m
        v0, v1 = self.cell_v0[cell] + m, self.cell_v1[cell] - m
        us = np.array([u0, u1, u1, u0, u0])
        vs = np.array([v0, v0, v1, v1, v0])
        xs, ys = self.from_uv(us, vs)
        return [(round(float(a), 3), round(float(b), 3)) for a, b in zip(xs, ys, strict=True)]


_KEY_STRIDE = 1.0e7


def make_layout(
    bbox: tuple[float, float, float, float], rng: np.random.Generator, scale: float = 1.0
) -> FieldLayout:
    """Fields covering bbox (national CRS, with room to spare for the rotation). `scale`
    shrinks the fields' sides (1: blocks of about 12 ha, 0.3: about 1 ha, the size of small
    farm parcels), the ditches staying 8 m."""
    w, s, e, n = bbox
    origin = ((w + e) / 2, (s + n) / 2)
    angle = math.radians(rng.uniform(15, 35))
    half = math.hypot(e - w, n - s) / 2 + 100
    low_u, high_u = 280 * scale, 700 * scale
    low_v, high_v = 110 * scale, 420 * scale
    widths = rng.uniform(low_u, high_u, size=int(2 * half / low_u) + 2)
    u_edges = np.concatenate([[-half], -half + np.cumsum(widths)])
    u_edges = u_edges[: np.searchsorted(u_edges, half) + 1]
    keys: list[np.ndarray] = []
    starts: list[int] = []
    cols: list[np.ndarray] = []
    v0s: list[np.ndarray] = []
    v1s: list[np.ndarray] = []
    total = 0
    for col in range(len(u_edges) - 1):
        lengths = rng.uniform(low_v, high_v, size=int(2 * half / low_v) + 2)
        edges = np.concatenate([[-half], -half + np.cumsum(lengths)])
        edges = edges[: np.searchsorted(edges, half) + 1]
        starts.append(total)
        keys.append(col * _KEY_STRIDE + edges)
        cols.append(np.full(len(edges) - 1, col))
        v0s.append(edges[:-1])
        v1s.append(edges[1:])
        total += len(edges)
    n_cells = sum(len(c) for c in cols)
    cover = rng.choice(len(COVER_SHARES), size=n_cells, p=COVER_SHARES / COVER_SHARES.sum())
    sos_shift = rng.normal(0, 6, n_cells)
    eos_shift = rng.normal(0, 5, n_cells)
    vmax = rng.uniform(0.8, 0.9, n_cells)
    soil = rng.uniform(0.85, 1.15, n_cells)
    phase = rng.uniform(0, 2 * math.pi, n_cells)
    # Drawn last, from the same stream: the layout's own draws stay what they were.
    events = field_events.draw(cover, rng)
    return FieldLayout(
        origin=origin,
        angle=angle,
        u_edges=u_edges,
        v_keys=np.concatenate(keys),
        v_start=np.array(starts),
        cell_column=np.concatenate(cols),
        cell_v0=np.concatenate(v0s),
        cell_v1=np.concatenate(v1s),
        cover=cover,
        sos_shift=sos_shift,
        eos_shift=eos_shift,
        vmax=vmax,
        soil=soil,
        phase=phase,
        events=events,
    )


# Green-up rise (days) per crop: how fast the canopy closes.
_RISE = {WHEAT: 12.0, MAIZE: 8.0, BEET: 9.0, POTATO: 7.0}


def ground_state(layout: FieldLayout, day_of_year: float) -> tuple[np.ndarray, ...]:
    """Greenness (NDVI-like, 0.15 bare .. 0.9 full canopy), straw cover (0..1) and the
    freshly-tilled flag of every cell (plus the verge class last) on one day, from the
    fields' true events (events.py)."""
    t = float(day_of_year)
    n = layout.n_cells + 1
    g = np.empty(n)
    straw = np.zeros(n)
    tilled = np.zeros(n, dtype=bool)
    cover = layout.cover
    ev = layout.events
    for crop, rise in _RISE.items():
        sel = np.append(cover == crop, False)
        g[sel], straw[sel], tilled[sel] = field_events.arable(
            ev, sel[:-1], t, crop, layout.vmax[sel[:-1]], rise
        )
    sel = np.append(cover == GRASS, False)
    g[sel], _ = field_events.grass(ev, sel[:-1], t)
    tilled[sel] = np.isfinite(ev.plough[sel[:-1]]) & (t >= ev.plough[sel[:-1]]) & (g[sel] < 0.3)
    g[:-1][cover == FOREST] = 0.82
    g[:-1][cover == URBAN] = 0.15
    g[:-1][cover == WATER] = -0.3
    g[-1] = 0.55  # grassy verges, tracks and ditches
    return g, straw, tilled


def greenness(layout: FieldLayout, day_of_year: float) -> np.ndarray:
    """NDVI-like greenness of every cell (plus the verge class last) on one day."""
    return ground_state(layout, day_of_year)[0]
