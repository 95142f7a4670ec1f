"""The inspector's pages: find (one match lands on the parcel's page over its dataset's
season, more are listed, none is a 404), the start page, the map page's settings, the review
list (its order, previous and next, the decision form with its CSRF token), and the parcel
page's hub (light, reason, events, decision, the light changed since)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from inspection.models import Decision
from inspection.tests.conftest import SIZE, corner, set_light
from markers.models import MarkerEvent, TrafficLight
from testing.auth import basic, make_user

NL = "aoi=nl&year=2024"


def get(client: Client, url: str, status: int = 200, user: str = "alice", **extra: Any) -> Any:
    response = client.get(url, **basic(user), **extra)
    assert response.status_code == status, response.content[:400]
    return response


def test_find_by_id_lands_on_the_parcel_page(client: Client, lit: dict) -> None:
    response = get(client, "/inspect/find?q=p02", 302)
    assert response["Location"] == (
        "/query/chipsByParcelID?aoi=nl&year=2024&pid=p02&start_date=2024-01-01&end_date=2024-12-31"
    )
    # p01 is in nl 2024 and nl 2023 (be's is not alice's): both listed, newest first.
    page = get(client, "/inspect/find?q=p01", HTTP_ACCEPT="text/html").content.decode()
    assert page.count("pid=p01") == 2 and page.index("year=2024") < page.index("year=2023")
    assert "aoi=be" not in page
    # Only 2023: one match, landing on the 2023 season.
    assert "start_date=2023-01-01" in get(client, "/inspect/find?q=p01&year=2023", 302)["Location"]
    missing = get(client, "/inspect/find?q=p0", 404, HTTP_ACCEPT="text/html").content.decode()
    assert "No parcel for parcel id" in missing and "pid=p06" in missing  # the ids that start so


def test_find_by_point(client: Client, lit: dict) -> None:
    lon, lat = corner("p03")
    response = get(client, f"/inspect/find?lon={lon + SIZE / 2}&lat={lat + SIZE / 2}", 302)
    assert "pid=p03" in response["Location"]
    get(client, f"/inspect/find?lon={lon - 0.001}&lat={lat}", 404, HTTP_ACCEPT="text/html")
    assert get(client, "/inspect/find?lon=5.1", 400).json()["param"] == "lat"
    assert get(client, "/inspect/find", 400).json()["param"] == "q"
    assert get(client, "/inspect/find?q=p01&aoi=be", 403).json()["param"] == "aoi"


def test_front_page_and_start_page(client: Client, lit: dict) -> None:
    home = client.get("/").content.decode()
    assert 'id="find-q"' in home and 'data-suggest="/query/parcelSuggest"' in home
    assert 'src="/static/inspection/search.js"' in home
    start = get(client, "/inspect/").content.decode()
    assert "nl 2024" in start and "be 2024" not in start
    assert "/inspect/map?aoi=nl&amp;year=2024" in start
    # The lights counted per dataset: two red, two yellow, one green.
    row = start[start.index("nl 2024") :]
    assert re.search(r'light red" title="red">2<.*light yellow" title="yellow">2<.*>1<', row)


def test_map_page(client: Client, lit: dict) -> None:
    page = get(client, f"/inspect/map?{NL}&pid=p03").content.decode()
    assert 'href="/static/leaflet/leaflet.css"' in page and "/static/inspection/map.js" in page
    assert "<script>" not in page.replace("<script src", "")  # nothing inline but JSON
    assert '"data": "/query/parcelMap?aoi=nl\\u0026year=2024"' in page
    assert "No background imagery is configured" in page  # no background app here
    assert get(client, f"/inspect/map?{NL}&pid=nope", 404).json()["param"] == "pid"
    assert get(client, "/inspect/map?aoi=be&year=2024", 403).json()["param"] == "aoi"


def review(client: Client, query: str = "", status: int = 200) -> str:
    return get(client, f"/inspect/review?{NL}{query}", status).content.decode()


def test_review_order_and_neighbours(client: Client, lit: dict) -> None:
    page = review(client)
    # Red first, then yellow, each by id; green and unassessed parcels are not listed.
    assert re.findall(r'<tr[^>]*data-pid="(\w+)"', page) == ["p01", "p04", "p02", "p06"]
    assert 'class="current" aria-current="true" data-pid="p01"' in page
    assert 'id="review-prev"' not in page and "pid=p04" in page.split('id="review-next"')[0][-200:]
    middle = review(client, "&pid=p02")
    assert 'id="review-position">3 of 4<' in middle
    assert re.search(r'href="[^"]*pid=p04" id="review-prev"', middle)
    assert re.search(r'href="[^"]*pid=p06" id="review-next"', middle)
    assert "the red reason" not in middle and "the yellow reason" in middle
    yellow = review(client, "&light=yellow&pid=p06")
    assert re.findall(r'<tr[^>]*data-pid="(\w+)"', yellow) == ["p02", "p06"]
    assert get(client, f"/inspect/review?{NL}&pid=p03", 404).json()["param"] == "pid"
    assert get(client, f"/inspect/review?{NL}&light=blue", 400).json()["param"] == "light"


def test_a_decision_is_stored_and_shown(lit: dict, alice: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    page = get(client, f"/inspect/review?{NL}&pid=p04").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    url = f"/inspect/review?{NL}&pid=p04"
    form = {"verdict": "overturned", "comment": "grass, not arable", "next": "1"}
    refused = client.post(url, form, **basic("alice"))
    assert refused.status_code == 403 and refused.json()["param"] == "csrf"
    assert not Decision.objects.exists()
    lights_before = list(TrafficLight.objects.values_list("parcel__pid", "light", "reason"))
    response = client.post(url, {**form, "csrfmiddlewaretoken": token[1]}, **basic("alice"))
    assert response.status_code == 302 and response["Location"].endswith("pid=p02#decided")
    decision = Decision.objects.get()
    assert (decision.pid, decision.verdict, decision.comment) == (
        "p04",
        "overturned",
        "grass, not arable",
    )
    assert decision.user == alice and decision.username == "alice" and decision.light == "red"
    # The detector's rows are as they were.
    assert list(TrafficLight.objects.values_list("parcel__pid", "light", "reason")) == lights_before
    listed = review(client, "&pid=p04")
    assert re.search(r'data-pid="p04">.*?<td>overturned</td>', listed, re.S)
    assert "grass, not arable" in listed and "alice" in listed
    bad = client.post(url, {"verdict": "maybe", "csrfmiddlewaretoken": token[1]}, **basic("alice"))
    assert bad.status_code == 400 and bad.json()["param"] == "verdict"
    # A parcel the markers have not assessed has no light to decide on.
    unlit = client.post(
        f"/inspect/review?{NL}&pid=p05",
        {"verdict": "confirmed", "csrfmiddlewaretoken": token[1]},
        **basic("alice"),
    )
    assert unlit.status_code == 400 and unlit.json()["param"] == "pid"
    assert Decision.objects.count() == 1


def parcel_page(client: Client, pid: str) -> str:
    url = f"/query/chipsByParcelID?{NL}&pid={pid}&start_date=2024-06-01&end_date=2024-06-10"
    return get(client, url, HTTP_ACCEPT="text/html").content.decode()


def test_parcel_page_hub(client: Client, lit: dict, alice: Any) -> None:
    page = parcel_page(client, "p01")
    assert 'id="parcel-hub"' in page
    assert re.search(r'id="hub-light-value">red<', page) and "red_reason: the red reason" in page
    assert "ploughing" in page and "2024-07-18" in page  # the recorded event
    assert 'id="hub-decision" class="muted">None yet' in page
    for name in ("hub-evidence-link", "hub-ts-csv", "hub-markers-csv", "hub-raw-chips"):
        assert f'id="{name}"' in page
    assert "/query/parcelTimeSeries?aoi=nl&amp;year=2024&amp;pid=p01&amp;tsformat=csv" in page
    assert "start_date=2024-06-01" in page.split('id="hub-raw-chips"')[0][-300:]
    Decision.objects.create(parcel=lit["parcels"]["p01"], year=2024, verdict="field_visit",
                            comment="check the ditch", user=alice, username="alice",
                            light="red")  # fmt: skip
    page = parcel_page(client, "p01")
    assert "field visit needed</strong> by alice" in page and "check the ditch" in page
    assert 'id="hub-light-changed"' not in page
    # A markers run that turns p01 green keeps the decision and flags it.
    set_light(lit["parcels"]["p01"], "green")
    MarkerEvent.objects.filter(parcel=lit["parcels"]["p01"]).delete()
    page = parcel_page(client, "p01")
    assert 'id="hub-light-changed"' in page and Decision.objects.count() == 1
    unassessed = parcel_page(client, "p05")
    assert 'id="hub-no-light"' in unassessed and 'id="hub-review-link"' not in unassessed


def test_admin_lists_decisions(lit: dict, alice: Any) -> None:
    admin = make_user("root", is_staff=True, is_superuser=True)
    staff_client = Client()
    staff_client.force_login(admin)
    Decision.objects.create(parcel=lit["parcels"]["p02"], year=2024, verdict="confirmed",
                            user=alice, username="alice", light="yellow")  # fmt: skip
    set_light(lit["parcels"]["p02"], "red")
    page = staff_client.get("/admin/inspection/decision/").content.decode()
    assert "p02" in page and "confirmed" in page and "icon-yes" in page  # light changed
    assert staff_client.get("/admin/inspection/decision/add/").status_code == 403


def test_review_of_a_long_list_walks_without_counting(
    client: Client, lit: dict, monkeypatch: Any
) -> None:
    """Past POSITION_UP_TO rows in a light, the page does not count the parcel's place (a
    million-row count a page): it shows the totals, and the neighbours are still walked."""
    from inspection import review as review_module

    monkeypatch.setattr(review_module, "POSITION_UP_TO", 1)
    page = review(client, "&pid=p02")
    assert 'id="review-position">4 in the list<' in page and "(2 red, 2 yellow)" in page
    assert re.search(r'href="[^"]*pid=p04" id="review-prev"', page)
    assert re.search(r'href="[^"]*pid=p06" id="review-next"', page)
    assert re.findall(r'<tr[^>]*data-pid="(\w+)"', page) == ["p01", "p04", "p02", "p06"]
