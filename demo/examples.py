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
    first = Scene.objects.filter(level="LEVEL2A").order_by("sensing_time", "pk").first()
    if first is None:
        return urls
    # A parcel that this first scene sees whole, near the middle of the scene's data, so
    # every example answers with full chips.
    middle = first.footprint.centroid
    candidates = Parcel.objects.select_related("dataset").filter(geom__within=first.footprint)
    parcel = min(
        candidates.order_by("dataset_id", "pk")[:500],
        key=lambda p: p.geom.centroid.distance(middle),
        default=None,
    )
    centre = parcel.geom.centroid if parcel is not None else first.footprint.point_on_surface
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
        ]
    return urls
