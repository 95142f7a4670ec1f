"""/query/markers, /query/trafficLights and /query/parcelEvidence on a hand-built store:
their columns, what they find, their filters, CSV, and their errors (400 naming the
parameter, 403 before 404, 404 for a parcel not there)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.test import Client

from markers.detect import VERSION
from markers.models import TrafficLight
from markers.tests.conftest import CUT, PLOUGH
from testing.auth import basic, make_user

BASE = "aoi=nl&year=2024"
MARKER_COLUMNS = ["foi_id", "marker", "marker_type", "date_start", "date_main", "date_end",
                  "duration_days", "value_1", "value_2", "value_3", "pid", "practice",
                  "confidence", "observations", "signal", "detector"]  # fmt: skip


def get(client: Client, auth: Any, url: str, status: int = 200, **extra: Any) -> Any:
    response = client.get(url, **{**auth, **extra})
    assert response.status_code == status, response.content[:300]
    return response


def test_markers_of_a_mown_parcel(client: Client, auth: dict[str, str], marked: dict) -> None:
    body = get(client, auth, f"/query/markers?{BASE}&pid=mown").json()
    assert list(body) == MARKER_COLUMNS
    assert body["marker"] == ["mowing"]
    main = dt.date.fromisoformat(body["date_main"][0]).toordinal()
    assert abs(main - CUT) <= 3
    assert body["date_start"][0] < body["date_main"][0] <= body["date_end"][0]
    assert body["foi_id"] == body["pid"] == ["mown"] and body["practice"] == ["grassland"]
    assert body["detector"] == [VERSION] and body["signal"] == ["NDVI"]
    assert body["value_3"][0] < 0 and 0 < body["confidence"][0] <= 1


def test_markers_filters_and_csv(client: Client, auth: dict[str, str], marked: dict) -> None:
    every = get(client, auth, f"/query/markers?{BASE}&pid=ploughed").json()
    assert {"mowing", "ploughing"} <= set(every["marker"])
    only = get(client, auth, f"/query/markers?{BASE}&pid=ploughed&marker=ploughing").json()
    assert only["marker"] == ["ploughing"]
    assert abs(dt.date.fromisoformat(only["date_main"][0]).toordinal() - PLOUGH) <= 3
    late = get(client, auth, f"/query/markers?{BASE}&pid=ploughed&start_date=2024-07-01").json()
    assert "mowing" not in late["marker"]
    response = get(client, auth, f"/query/markers?{BASE}&pid=ploughed&tsformat=csv")
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == MARKER_COLUMNS and len(table) == 1 + len(every["marker"])


def test_traffic_lights(client: Client, auth: dict[str, str], marked: dict) -> None:
    for pid in ("mown", "idle", "ploughed", "wheat"):  # computed on request, one by one
        get(client, auth, f"/query/trafficLights?{BASE}&pid={pid}")
    body = get(client, auth, f"/query/trafficLights?{BASE}").json()
    assert list(body) == ["pid", "cropname", "practice", "light", "reason", "observability",
                          "clear_observations", "events", "detector", "rules"]  # fmt: skip
    lights = dict(zip(body["pid"], body["light"], strict=True))
    assert lights == {"idle": "red", "mown": "green", "ploughed": "red", "wheat": "yellow"}
    reasons = dict(zip(body["pid"], body["reason"], strict=True))
    assert reasons["idle"].startswith("expected_missing:")
    assert reasons["ploughed"].startswith("forbidden_found:")
    assert reasons["wheat"].startswith("no_rule:")
    assert set(body["rules"]) - {""} and body["clear_observations"][0] == 37
    red = get(client, auth, f"/query/trafficLights?{BASE}&light=red,yellow").json()
    assert sorted(red["pid"]) == ["idle", "ploughed", "wheat"]
    grass = get(client, auth, f"/query/trafficLights?{BASE}&practice=grassland").json()
    assert "wheat" not in grass["pid"]
    response = get(client, auth, f"/query/trafficLights?{BASE}&tsformat=csv")
    assert response.content.decode().splitlines()[0].startswith("pid,cropname,practice,light")


def test_results_are_recorded_once(client: Client, auth: dict[str, str], marked: dict) -> None:
    get(client, auth, f"/query/markers?{BASE}&pid=mown")
    first = TrafficLight.objects.get(parcel=marked["parcels"]["mown"])
    get(client, auth, f"/query/markers?{BASE}&pid=mown")
    assert (
        TrafficLight.objects.get(parcel=marked["parcels"]["mown"]).computed_at == first.computed_at
    )


def test_evidence_page(client: Client, auth: dict[str, str], marked: dict) -> None:
    html = get(client, auth, f"/query/parcelEvidence?{BASE}&pid=ploughed",
               HTTP_ACCEPT="text/html").content.decode()  # fmt: skip
    assert 'class="light red"' in html and "forbidden_found" in html
    assert html.count('class="event"') >= 2 and "<svg" in html
    assert "/query/chipsByParcelID?" in html and "start_date=" in html


def test_errors(client: Client, auth: dict[str, str], marked: dict) -> None:
    cases = [
        (f"/query/markers?{BASE}", 400, "pid"),
        (f"/query/markers?{BASE}&pid=mown&marker=dancing", 400, "marker"),
        (f"/query/markers?{BASE}&pid=mown&start_date=2024-09-01&end_date=2024-08-01", 400,
         "start_date"),
        ("/query/markers?aoi=nl&pid=mown", 400, "year"),
        (f"/query/markers?{BASE}&pid=nope", 404, "pid"),
        (f"/query/trafficLights?{BASE}&light=blue", 400, "light"),
        (f"/query/trafficLights?{BASE}&tsformat=xml", 400, "tsformat"),
        (f"/query/trafficLights?{BASE}&practice=a%20b", 400, "practice"),
        (f"/query/parcelEvidence?{BASE}&pid=mown&format=doc", 400, "format"),
        (f"/query/parcelEvidence?{BASE}&pid=nope", 404, "pid"),
    ]  # fmt: skip
    for url, status, param in cases:
        body = get(client, auth, url, status).json()
        assert body.get("param") == param and body["error"], (url, body)
    assert get(client, auth, "/query/trafficLights?aoi=nl&year=1999", 404).json()["error"]


def test_another_aoi_is_forbidden_before_anything(client: Client, marked: dict) -> None:
    make_user("carol")
    carol = basic("carol")
    for url in (f"/query/markers?{BASE}&pid=mown", f"/query/trafficLights?{BASE}",
                f"/query/parcelEvidence?{BASE}&pid=nope"):  # fmt: skip
        assert client.get(url, **carol).status_code == 403
    assert client.get(f"/query/markers?{BASE}&pid=mown").status_code == 401
