"""Composite pages when the archive or the store fails: an unreadable scene fails its date
only; a failed job is reported, not restarted on every poll."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from chips.models import ChipJob
from testing import composite_archive as fx

from .test_pages import JSON, location_url, wait_done

pytestmark = [pytest.mark.django_db(transaction=True)]


def truncate(path: Path, keep: int = 64) -> None:
    """Cut a band file to its first bytes: the TIFF header can no longer be read."""
    path.write_bytes(path.read_bytes()[:keep])


def test_unreadable_scene_fails_its_date_only(
    tmp_path: Path, chip_store: Path, staff_client: Client
) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 3)
    broken = scenes[1]
    truncate(tmp_path / "archive" / broken.product_id / "B04.tif")
    response = staff_client.get(location_url(), **JSON)
    assert response.status_code == 200, response.content
    body = wait_done(staff_client, location_url())
    assert body["state"] == "done", body
    assert body["dates"] == [scenes[0].sensing_key, scenes[2].sensing_key]
    assert len(body["chips"]) == 2
    assert [f["id"] for f in body["failed"]] == [broken.sensing_key]
    assert "B04.tif" in body["failed"][0]["error"]
    # The page names the date too, and the poll of the job lists it.
    page = staff_client.get(location_url(), HTTP_ACCEPT="text/html").content.decode()
    assert f"{broken.sensing_key}: not shown" in page
    job = ChipJob.objects.get()
    poll = staff_client.get(location_url(job=str(job.pk), format="json"), **JSON).json()
    assert [f["id"] for f in poll["failed"]] == [broken.sensing_key]


def test_every_scene_unreadable_is_503(
    tmp_path: Path, chip_store: Path, staff_client: Client
) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 2)
    for scene in scenes:
        truncate(tmp_path / "archive" / scene.product_id / "B08.tif")
    response = staff_client.get(location_url(), **JSON)
    assert response.status_code == 503
    assert "B08.tif" in response.json()["error"]
