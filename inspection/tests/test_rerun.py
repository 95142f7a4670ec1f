"""Decisions against a real markers run: the detector (markers.services) records the lights
from the hand-built store of markers/tests/conftest.py; a decision is taken on a red light;
new rules and a re-run change the light. The decision stays as it was, the detector's rows
are the re-run's, and the decision is flagged (review list, parcel page, export, admin)."""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from inspection import services as decisions
from inspection.models import Decision
from markers import rules, services
from markers.models import TrafficLight
from markers.tests.conftest import DEMO_RULES, marked  # noqa: F401  (the fixture)
from testing.auth import basic


def test_a_rerun_keeps_the_decision_and_flags_it(
    client: Client,
    marked: dict[str, Any],  # noqa: F811  (the fixture imported above)
    alice: User,
) -> None:
    idle = marked["parcels"]["idle"]  # grass never cut: red, the expected mowing missing
    _, light, _ = services.parcel_markers(idle)
    assert light.light == "red" and light.reason_code == "expected_missing"
    decided = decisions.record_decision(
        user=alice, parcel=idle, verdict="confirmed", comment="no cut seen on the chips"
    )
    # New rules without the mowing duty: the re-run (the same call extract_markers makes
    # per batch) turns the idle grass green.
    relaxed: dict[str, Any] = copy.deepcopy(DEMO_RULES)
    relaxed["version"] = "8"
    relaxed["practices"]["grassland"]["rules"] = [
        r for r in relaxed["practices"]["grassland"]["rules"] if r["event"] != "mowing"
    ]
    rules.load_data(marked["dataset"], relaxed)
    _, light, _ = services.parcel_markers(idle)
    assert light.light == "green" and light.rules.startswith("8#")
    assert TrafficLight.objects.get(parcel=idle).light == "green"  # the detector's row
    kept = Decision.objects.get()
    assert (kept.pk, kept.verdict, kept.light, kept.comment) == (
        decided.pk,
        "confirmed",
        "red",
        "no cut seen on the chips",
    )
    body = client.get("/query/inspectionDecisions?aoi=nl&year=2024", **basic("alice")).json()
    assert body["light"] == ["red"] and body["light_now"] == ["green"]
    assert body["light_changed"] == [True]
    page = client.get(
        "/query/chipsByParcelID?aoi=nl&year=2024&pid=idle&start_date=2024-01-01"
        "&end_date=2024-01-05",  # before the store's season: no plot to draw
        HTTP_ACCEPT="text/html",
        **basic("alice"),
    ).content.decode()
    assert 'id="hub-light-changed"' in page and 'id="hub-light-value">green<' in page
