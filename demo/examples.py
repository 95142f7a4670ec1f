"""Example request URLs built from what is loaded here, for the front page and the demo's
start-up message: a parcel of the first dataset that every scene's 1280 m chips cover whole,
and a date window holding a handful of acquisitions over it (well under the per-request
chip limit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.contrib.gis.geos import GEOSGeometry, Polygon

from chips.catalogue import selection
from chips.models import SarScene, Scene
from parcels.models import Parcel

EXAMPLE_WINDOW_DAYS = 20
EXAMPLE_CHIPSIZE = 1280  # the default chip of every chip endpoint
# Parcels looked at for the example, most central first (the demo numbers them so).
CANDIDATES = 200


def chip_square(*, epsg: int, lon: float, lat: float, chipsize: float) -> Polygon:
    """The chip square around lon/lat as a scene in `epsg` cuts it, in lon/lat."""
    cx, cy = selection.lonlat_to(epsg, lon, lat)
    h = chipsize / 2
    xs, ys = selection.transformer(epsg, 4326).transform(
        [cx - h, cx + h, cx + h, cx - h, cx - h], [cy - h, cy - h, cy + h, cy + h, cy - h]
    )
    return Polygon(list(zip(xs, ys, strict=True)), srid=4326)


def covered_whole(parcel: Parcel, footprints: Mapping[str, tuple[int, GEOSGeometry]]) -> bool:
    """Whether every scene's chip of the parcel (centred on its centroid) holds all of it,
    and lies inside that scene's data."""
    lon, lat = parcel.centroid.x, parcel.centroid.y
    for epsg, footprint in footprints.values():
        square = chip_square(epsg=epsg, lon=lon, lat=lat, chipsize=EXAMPLE_CHIPSIZE)
        if not (parcel.geom.within(square) and square.within(footprint)):
            return False
    return True


def _example_parcel() -> Parcel | None:
    """The first parcel (by id) of the first dataset that every L2A scene's chips cover whole
    (none: the first by id)."""
    footprints = {
        scene.footprint.wkb.hex(): (scene.epsg, scene.footprint)
        for scene in Scene.objects.filter(level="LEVEL2A").only("epsg", "footprint")
    }
    candidates = list(
        Parcel.objects.select_related("dataset").order_by("dataset_id", "pid")[:CANDIDATES]
    )
    found = next((p for p in candidates if covered_whole(p, footprints)), None)
    return found or (candidates[0] if candidates else None)


def example_urls() -> list[tuple[str, str]]:
    """(label, relative URL) pairs that work on the data loaded here."""
    urls: list[tuple[str, str]] = [("Service and datasets you can see", "/query/info")]
    first = Scene.objects.filter(level="LEVEL2A").order_by("sensing_time", "pk").first()
    if first is None:
        return urls
    parcel = _example_parcel()
    centre = parcel.centroid if parcel is not None else first.footprint.point_on_surface
    lon, lat = round(centre.x, 6), round(centre.y, 6)
    start = first.sensing_time.astimezone(dt.UTC).date()
    end = start + dt.timedelta(days=EXAMPLE_WINDOW_DAYS)
    window = f"start_date={start.isoformat()}&end_date={end.isoformat()}"
    at = f"lon={lon}&lat={lat}"
    urls += [
        ("Scenes over the point", f"/query/rawChipByLocation?{at}&{window}&band=B04&onlylist=True"),
        ("SCL chips as GeoTIFFs", f"/query/rawChipByLocation?{at}&{window}&band=SCL"),
        ("False-colour chips in the browser", f"/query/chipsByLocation?{at}&{window}"),
    ]
    if parcel is not None:
        ds = parcel.dataset
        which = f"aoi={ds.aoi}&year={ds.year}" + (f"&ptype={ds.ptype}" if ds.ptype else "")
        urls += [
            ("The parcel at the point", f"/query/parcelByLocation?{which}&{at}"),
            ("The same parcel by id", f"/query/parcelByID?{which}&pid={parcel.pid}"),
            (
                "Its chips with the outline",
                f"/query/chipsByParcelID?{which}&pid={parcel.pid}&{window}",
            ),
            (
                "It on the orthophoto (background)",
                f"/query/backgroundByParcelID?{which}&pid={parcel.pid}&withGeometry=True",
            ),
            ("Its daily weather (ERA5)", f"/query/weatherTimeSeries?{which}&pid={parcel.pid}"),
        ]
        if SarScene.objects.exists():  # the demo's Sentinel-1 (docs/sentinel1.md)
            urls += [
                (
                    "Its Sentinel-1 backscatter per pass",
                    f"/query/parcelTimeSeries?{which}&pid={parcel.pid}&tstype=bs&orbit=True"
                    f"&{window}",
                ),
                (
                    "Sentinel-1 composites (VV, VH, VV/VH in dB)",
                    f"/query/chipsByLocation?{at}&{window}&plevel=CARD-BS",
                ),
            ]
    return urls
