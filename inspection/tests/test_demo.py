"""`make demo`'s setup (demo_setup --markers) on the small demo archive: the lights are
computed, so the demo's map is coloured by them and its review list has parcels to work
through, in the order the lights give (red first, by id)."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from markers.models import TrafficLight
from testing.auth import basic

pytestmark = [pytest.mark.slow]


def test_demo_setup_with_markers(
    demo_archive: Path, chip_store: Path, db: Any, client: Client
) -> None:
    call_command("demo_setup", archive=demo_archive, markers=True, stdout=StringIO())
    lights = dict(TrafficLight.objects.values_list("parcel__pid", "light"))
    assert lights and set(lights.values()) <= {"green", "yellow", "red"}
    to_review = sorted(
        (light != "red", pid) for pid, light in lights.items() if light in ("red", "yellow")
    )
    assert to_review, "the demo must give the review list something to show"
    page = client.get("/inspect/review?aoi=nl&year=2024", **basic("demo", "demo")).content
    listed = re.findall(r'<tr[^>]*data-pid="([\w-]+)"', page.decode())
    assert listed == [pid for _, pid in to_review][: len(listed)]
    # A second setup computes nothing again (every light is current).
    out = StringIO()
    call_command("demo_setup", archive=demo_archive, markers=True, stdout=out)
    assert "0 computed" in out.getvalue()
