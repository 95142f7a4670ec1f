"""Example request URLs built from what is loaded here, for the front page and the demo's
start-up message: a parcel of the first dataset, and a date window holding a handful of
acquisitions over it (well under the per-request chip limit)."""

from __future__ import annotations

import datetime as dt

from chips.models import Scene
from parcels.models import Parcel

EXAMPLE_WINDOW_DAYS = 20


def example_urls() -> list[tuple[str, str]]:
    """(label, relative URL) pairs that work on the data loaded here."""
    urls: list[tuple[str, str]] = [("Service and datasets you can see", "/query/info")]
    parcel = Parcel.objects.select_related("dataset").order_by("dataset_id", "pk").first()
    if parcel is not None:
        centre = parcel.geom.centroid
        lon, lat = round(centre.x, 6), round(centre.y, 6)
        first = Scene.objects.filter(level="LEVEL2A", footprint__intersects=centre).first()
    else:
        first = Scene.objects.filter(level="LEVEL2A").first()
        if first is None:
            return urls
        centre = first.footprint.point_on_surface
        lon, lat = round(centre.x, 6), round(centre.y, 6)
    if first is None:
        return urls
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
        ]
    return urls
