"""The composite page's Sentinel-1 parts (plevel=CARD-BS|CARD-COH6): its legend and what
the archive holds at an empty point. chips.web.pages asks here for S1 levels only."""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.db.models import Count, Max, Min

from chips.catalogue.sar_models import SarScene
from chips.composite.plan import CompositeRequest
from chips.composite.s1_params import CHANNEL_NAMES, S1_LEVELS


def is_s1(composite: CompositeRequest) -> bool:
    return composite.level in S1_LEVELS


def legend(composite: CompositeRequest) -> list[dict[str, str]]:
    """R, G, B: what each shows and its stretch (absolute: the same for every date)."""
    lut = composite.lut
    names = CHANNEL_NAMES[composite.level]
    unit = " dB" if composite.level == "CARD-BS" else ""
    rows = []
    for i, channel in enumerate("RGB"):
        if lut.kind == "percentile":
            lo, hi = lut.ranges[0]
            scale = f"{lo:g}th to {hi:g}th percentile of each chip"
        else:
            lo, hi = lut.ranges[i]
            scale = f"{lo:g} to {hi:g}{unit}, every date"
        rows.append({"channel": channel, "band": composite.bands[i], "name": names[i],
                     "resolution": "product grid", "scale": scale})  # fmt: skip
    return rows


def coverage(composite: CompositeRequest) -> str:
    """What the archive holds here, for an empty window."""
    here = SarScene.objects.filter(
        kind=composite.level, footprint__intersects=Point(composite.lon, composite.lat, srid=4326)
    ).aggregate(first=Min("sensing_time"), last=Max("sensing_time"), n=Count("id"))
    if not here["n"]:
        return f"the archive holds no {composite.level} product here"
    return (f"the archive has {here['n']} {composite.level} products here, from "
            f"{here['first'].date():%d %b %Y} to {here['last'].date():%d %b %Y}")  # fmt: skip
