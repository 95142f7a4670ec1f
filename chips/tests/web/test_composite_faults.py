"""Composite pages when the archive or the store fails: an unreadable scene fails its date
only; a failed job is reported, not restarted on every poll."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chips.models import ChipJob, JobStatus
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


def test_failed_job_is_reported_not_restarted_on_every_reload(
    tmp_path: Path, chip_store: Path, staff_client: Client, settings: Any
) -> None:
    settings.COMPOSITE_RETRY_SECONDS = 3600
    fx.make_scenes(tmp_path / "archive", 2)
    chip_store.parent.mkdir(parents=True, exist_ok=True)
    chip_store.write_text("not a folder")  # every write into the store fails
    body = wait_done(staff_client, location_url())
    assert body["state"] == "failed" and "cannot be stored" in body["error"], body
    assert ChipJob.objects.count() == 1
    first = ChipJob.objects.get()
    assert first.status == JobStatus.FAILED
    for _ in range(3):  # reloads and polls of the page
        again = staff_client.get(location_url(), **JSON).json()
        assert again["state"] == "failed" and again["job"] == str(first.pk)
        assert "cannot be stored" in again["error"]
        html = staff_client.get(location_url(), HTTP_ACCEPT="text/html").content.decode()
        assert "cannot be stored" in html and "data-status-url" not in html
    assert ChipJob.objects.count() == 1  # nothing was tried again
    # The store is back: refresh=true tries again at once, and makes the chips.
    chip_store.unlink()
    started = staff_client.get(location_url(refresh="true"), **JSON).json()
    assert started["job"] != str(first.pk)
    fixed = wait_done(staff_client, location_url(job=started["job"], format="json"))
    assert fixed["state"] == "done" and all(i["src"] for i in fixed["items"]), fixed
    assert ChipJob.objects.count() == 2


def test_failed_job_is_tried_again_after_the_wait(
    tmp_path: Path, chip_store: Path, staff_client: Client, settings: Any
) -> None:
    settings.COMPOSITE_RETRY_SECONDS = 3600
    fx.make_scenes(tmp_path / "archive", 2)
    chip_store.parent.mkdir(parents=True, exist_ok=True)
    chip_store.write_text("not a folder")
    assert wait_done(staff_client, location_url())["state"] == "failed"
    chip_store.unlink()
    assert staff_client.get(location_url(), **JSON).json()["state"] == "failed"
    # The wait is over (the job ended longer ago than the setting): the reload redoes it.
    ChipJob.objects.update(updated=timezone.now() - dt.timedelta(seconds=3601))
    body = wait_done(staff_client, location_url())
    assert body["state"] == "done" and len(body["chips"]) == 2, body
    assert ChipJob.objects.count() == 2
