"""Decisions survive `import_parcels --replace`: the delete detaches them, the import puts
them back on the new parcel of the same pid, flagged where its crop or outline changed; a
pid the new file lacks keeps its decisions, detached. Real imports of GeoJSON files written
here."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from inspection import selectors
from inspection.hub import parcel_hub
from inspection.models import Decision
from markers.models import TrafficLight
from parcels.models import Parcel, ParcelDataset
from parcels.services import aoi_grant
from testing.auth import basic

pytestmark = pytest.mark.django_db
SIZE = 0.002


def square(lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE], [lon, lat + SIZE],
            [lon, lat]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


def write(path: Path, parcels: list[tuple[str, str, float]]) -> Path:
    """(pid, crop code, longitude of the square's corner) per parcel, all at 52.1 N."""
    features = [
        {"type": "Feature", "properties": {"pid": pid, "crop_code": code, "crop_name": f"c{code}"},
         "geometry": square(lon, 52.1)}
        for pid, code, lon in parcels
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def load(path: Path, *, replace: bool = False) -> None:
    call_command("import_parcels", str(path), aoi="nl", year=2024, pid_field="pid",
                 crop_code_field="crop_code", crop_name_field="crop_name", replace=replace,
                 no_progress=True, stdout=StringIO())  # fmt: skip


def decide(pid: str, verdict: str) -> Decision:
    parcel = Parcel.objects.get(dataset__aoi="nl", pid=pid)
    return Decision.objects.create(parcel=parcel, year=2024, verdict=verdict, username="alice",
                                   light="red", comment=f"on {pid}")  # fmt: skip


def test_decisions_survive_a_replace(tmp_path: Path, client: Client, staff: User) -> None:
    first = [("a", "265", 5.100), ("b", "265", 5.103), ("c", "233", 5.106), ("e", "233", 5.109)]
    load(write(tmp_path / "first.geojson", first))
    made = {
        pid: decide(pid, v)
        for pid, v in (
            ("a", "confirmed"),
            ("b", "overturned"),
            ("c", "field_visit"),
            ("e", "confirmed"),
        )
    }
    old_ids = dict(Parcel.objects.values_list("pid", "pk"))
    old_dataset = ParcelDataset.objects.get(aoi="nl", year=2024).pk

    # a as it was; b's crop changed; c gone; e moved 20 m east; d new.
    second = [("a", "265", 5.100), ("b", "259", 5.103), ("d", "233", 5.112),
              ("e", "233", 5.1093)]  # fmt: skip
    load(write(tmp_path / "second.geojson", second), replace=True)
    dataset = ParcelDataset.objects.get(aoi="nl", year=2024)
    assert dataset.pk != old_dataset  # the dataset was deleted and written anew
    new = {p.pid: p for p in Parcel.objects.filter(dataset=dataset)}
    assert all(new[pid].pk != old_ids[pid] for pid in ("a", "b", "e"))

    now = {d.pid: d for d in Decision.objects.all()}
    assert set(now) == {"a", "b", "c", "e"}  # none lost
    assert {pid: (d.verdict, d.comment) for pid, d in now.items()} == {
        pid: (d.verdict, d.comment) for pid, d in made.items()
    }
    assert now["a"].parcel_id == new["a"].pk and not now["a"].parcel_changed
    assert now["b"].parcel_id == new["b"].pk and now["b"].parcel_changed  # the crop
    assert now["e"].parcel_id == new["e"].pk and now["e"].parcel_changed  # the outline
    assert now["c"].parcel_id is None and not now["c"].parcel_changed  # kept, detached

    # Where an inspector sees them: the parcel's hub and the dataset's decisions.
    hub = parcel_hub(new["b"])
    assert hub["latest"].verdict == "overturned" and hub["latest"].parcel_changed
    assert not parcel_hub(new["a"])["latest"].parcel_changed
    listed = [pid for _, pid, _ in selectors.dataset_decisions(dataset)]
    assert listed == ["a", "b", "e"]
    for pid in ("a", "b"):  # the markers run again on the new parcels
        TrafficLight.objects.create(parcel=new[pid], year=2024, light="red", reason_code="x",
                                    reason="x", observability=1, clear_observations=9,
                                    events=0, detector="test")  # fmt: skip
    aoi_grant(user=staff, aoi="nl")
    review = client.get("/inspect/review?aoi=nl&year=2024", **basic(staff.username)).content
    rows = dict(re.findall(r'<tr[^>]*data-pid="(\w)">(.*?)</tr>', review.decode()))
    assert "parcel changed" in rows["b"] and "parcel changed" not in rows["a"]
    columns = client.get("/query/inspectionDecisions?aoi=nl&year=2024",
                         **basic(staff.username)).json()  # fmt: skip
    assert dict(zip(columns["pid"], columns["parcel_changed"], strict=True)) == {
        "a": False, "b": True, "e": True,
    }  # fmt: skip

    # The same file again: nothing moves, the flags stay (the change is still undecided).
    load(write(tmp_path / "third.geojson", second), replace=True)
    again = {d.pid: (d.parcel.pid if d.parcel else None, d.parcel_changed)
             for d in Decision.objects.select_related("parcel")}  # fmt: skip
    assert again == {"a": ("a", False), "b": ("b", True), "c": (None, False), "e": ("e", True)}


def test_a_new_decision_on_the_changed_parcel_is_not_flagged(tmp_path: Path) -> None:
    load(write(tmp_path / "one.geojson", [("a", "265", 5.1)]))
    decide("a", "confirmed")
    load(write(tmp_path / "two.geojson", [("a", "259", 5.1)]), replace=True)
    assert Decision.objects.get().parcel_changed
    later = decide("a", "overturned")
    assert not later.parcel_changed and later.pid == "a" and later.aoi == "nl"
    assert later.parcel is not None and parcel_hub(later.parcel)["latest"].pk == later.pk
