"""Example request URLs built from what is in the catalogue, for the front page and the
demo's start-up message."""

from __future__ import annotations

from django.db.models import Max, Min

from chips.models import Scene


def example_urls() -> list[tuple[str, str]]:
    """(label, relative URL) pairs that work on the data loaded here."""
    urls: list[tuple[str, str]] = [("Service and datasets you can see", "/query/info")]
    scene = Scene.objects.filter(level="LEVEL2A").order_by("sensing_time").first()
    if scene is None:
        return urls
    span = Scene.objects.aggregate(first=Min("sensing_time"), last=Max("sensing_time"))
    centre = scene.footprint.point_on_surface
    lon, lat = round(centre.x, 5), round(centre.y, 5)
    start = span["first"].date().isoformat()
    end = span["last"].date().isoformat() if span["last"] else start
    window = f"lon={lon}&lat={lat}&start_date={start}&end_date={end}"
    urls += [
        ("Which scenes hold the point", f"/query/rawChipByLocation?{window}&band=B04&onlylist=True"),
        ("SCL chips as GeoTIFFs", f"/query/rawChipByLocation?{window}&band=SCL"),
        ("False-colour chips in the browser", f"/query/chipsByLocation?{window}"),
    ]
    return urls
