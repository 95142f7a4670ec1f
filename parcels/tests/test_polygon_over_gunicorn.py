"""A GET parcelsByPolygon with the most corners the API takes (MAX_VERTICES) goes through
`make serve` (gunicorn with deploy/gunicorn.conf.py) over a real socket: its request line
(~220 KB) fits, and the answer is the parcels OGR finds in that polygon."""

from __future__ import annotations

import base64
import json
import math
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import User

from parcels.polygons import MAX_VERTICES
from parcels.tests.test_api_polygon import expected_pids
from testing.auth import PASSWORD
from testing.gunicorn import serving

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.realdata, pytest.mark.slow]


def test_get_with_max_vertices_fits_the_request_line(samples: Path, tmp_path: Path) -> None:
    staff = User.objects.create(username="ops", is_staff=True)
    staff.password = PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt", iterations=1000)
    staff.save()
    # A circle of MAX_VERTICES corners over part of the French sample.
    ring = [
        (5.045 + 0.006 * math.cos(a), 45.79 + 0.004 * math.sin(a))
        for a in (2 * math.pi * i / MAX_VERTICES for i in range(MAX_VERTICES))
    ]
    polygon = "-".join(f"{x:.7f}_{y:.7f}" for x, y in ring)
    url_path = f"/query/parcelsByPolygon?aoi=fr&year=2020&max=1000&polygon={polygon}"
    assert len(url_path) > 200_000  # far past gunicorn's default 4094-byte line
    token = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    with serving(tmp_path / "var", tmp_path / "gunicorn.log") as server:
        request = urllib.request.Request(
            server.url(url_path), headers={"Authorization": f"Basic {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            status, body = response.status, json.loads(response.read())
    assert status == 200
    expected = expected_pids(samples, ring)
    assert 0 < len(expected) < 1000
    assert sorted(body["pid"]) == expected
