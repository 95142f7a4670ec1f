"""manage.py extract_markers on the hand-built store: every parcel gets its light, a second
run recomputes nothing, new rules recompute everything, a run cut short is finished by the
next one (whole batches only), and the summary says so."""

from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command

from markers import rules, services
from markers.detect import VERSION
from markers.models import MarkerEvent, TrafficLight
from markers.tests.conftest import DEMO_RULES


def run(*extra: str) -> str:
    out = io.StringIO()
    call_command("extract_markers", "--aoi", "nl", "--year", "2024", "--no-signatures",
                 "--batch", "2", *extra, stdout=out, stderr=io.StringIO())  # fmt: skip
    return out.getvalue()


def test_every_parcel_once_then_nothing(marked: dict[str, Any]) -> None:
    summary = run()
    assert "4 parcels, 4 computed in 2 batches, 0 already current" in summary
    assert "1 green, 1 yellow, 2 red" in summary
    lights = {t.parcel.pid: t for t in TrafficLight.objects.select_related("parcel")}
    assert {p: t.light for p, t in lights.items()} == {
        "mown": "green", "idle": "red", "ploughed": "red", "wheat": "yellow"}  # fmt: skip
    assert all(t.detector == VERSION and t.rules.startswith("7#") for t in lights.values())
    events = MarkerEvent.objects.count()
    stamp = {p: t.computed_at for p, t in lights.items()}
    assert "0 computed in 0 batches, 4 already current" in run()
    assert MarkerEvent.objects.count() == events
    assert {
        t.parcel.pid: t.computed_at for t in TrafficLight.objects.select_related("parcel")
    } == stamp


def test_new_rules_recompute(marked: dict[str, Any]) -> None:
    run()
    changed = {**DEMO_RULES, "version": "8"}
    rules.load_data(marked["dataset"], changed)
    assert "4 computed" in run()
    assert set(TrafficLight.objects.values_list("rules", flat=True)) == {
        rules.rulebook(marked["dataset"]).fingerprint}  # fmt: skip


def test_a_run_cut_short_is_finished_by_the_next(marked: dict[str, Any]) -> None:
    # The first batch was recorded before the process died.
    first = sorted(p.pk for p in marked["parcels"].values())[:2]
    services.process_batch(marked["dataset"].pk, first)
    assert "2 computed in 1 batches, 2 already current" in run()
    assert TrafficLight.objects.count() == 4
    assert "4 computed" in run("--force")
