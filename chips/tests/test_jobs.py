"""Chip jobs in-process (no broker): 202 and the job URL, joining, failures per date,
recovery bookkeeping. The worker side is in test_workers.py."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from pyproj import Transformer

from chips.models import CachedChip, ChipJob, ClientCache, JobKind, Scene
from chips.raw import plan as planning
from chips.store import cache as store
from chips.work import jobs, liveness
from chips.work.units import Outcome, Unit
from testing.auth import basic, make_user
from testing.rasters import expected_window
from testing.raw_archive import P_OVERLAP_UTM31
from testing.scenes import asset_path, to_lonlat

URL = "/query/rawChipByLocation"
LONLAT = to_lonlat(32631, *P_OVERLAP_UTM31)


def params(**kw: str) -> dict[str, object]:
    return {"lon": LONLAT[0], "lat": LONLAT[1], "start_date": "2024-06-01",
            "end_date": "2024-06-30", "band": "B04", **kw}  # fmt: skip


def store_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*.tif") if not p.name.startswith(".part-")]


@pytest.mark.django_db(transaction=True)
def test_async_answers_202_then_the_job_gives_the_result(client, auth, archive, tmp_path) -> None:
    response = client.get(URL, params(**{"async": "True"}), **auth)
    assert response.status_code == 202
    body = response.json()
    assert body["url"] == f"/query/jobs/{body['job']}" == response["Location"]
    assert body["total"] == 3 and body["status"] in ("running", "done")
    deadline = time.monotonic() + 20
    while (job := client.get(body["url"], **auth).json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["status"] == "done" and job["done"] == job["total"] == 3
    chosen = [archive[k] for k in ("B1", "A2", "A3new")]
    assert job["result"]["dates"] == [s.sensing_key for s in chosen]
    # The chips are there, with the source pixels.
    for chip, scene in zip(job["result"]["chips"], chosen, strict=True):
        out = tmp_path / "chip.tif"
        out.write_bytes(b"".join(client.get(chip).streaming_content))
        x, y = Transformer.from_crs(4326, scene.epsg, always_xy=True).transform(*LONLAT)
        with rasterio.open(out) as got:
            expected = expected_window(asset_path(scene, "B04"), x, y, 1280)
            np.testing.assert_array_equal(got.read(1), expected)
    # The same request now answers at once from the cache, the same chips.
    again = client.get(URL, params(), **auth)
    assert again.status_code == 200 and again.json() == job["result"]


@pytest.mark.django_db
def test_repeat_joins_the_running_job(client, alice, auth, archive, chip_store, settings) -> None:
    settings.CHIP_REQUEST_WAIT_SECONDS = 0.3
    first = client.get(URL, params(onlylist="True"), **auth).json()
    assert len(first["chips"]) == 3
    # Another request is cutting these chips right now (its job is running).
    lon, lat = LONLAT
    planned = planning.plan_raw(
        scenes=[Scene.objects.get(product_id=p) for p in first["chips"]], bands=["B04"],
        lon=lon, lat=lat, chipsize=1280, batch_labels=False,
    ).chips  # fmt: skip
    client_cache = ClientCache.objects.create(
        user=alice, ip="127.0.0.1", square=f"{lon:.6f}|{lat:.6f}|1280"
    )
    key = jobs.job_key(
        kind=JobKind.RAW, token=client_cache.token, keys=[p.spec.key for p in planned]
    )
    running, created = jobs.open_or_join(
        key, kind=JobKind.RAW, cache=client_cache, owner=liveness.BROKER_OWNER,
        entries=[jobs.Entry(p.label, p.spec.key, p.spec.file_name) for p in planned],
    )  # fmt: skip
    assert created
    for _ in range(3):  # reloads: each waits, then answers the same job; nothing is cut
        response = client.get(URL, params(), **auth)
        assert response.status_code == 202 and response.json()["job"] == str(running.pk)
    assert store_files(chip_store) == [] and not CachedChip.objects.exists()
    assert ChipJob.objects.count() == 1
    # A second open of the same key joins rather than opening another job.
    again, created = jobs.open_or_join(
        key, kind=JobKind.RAW, cache=client_cache, entries=[], owner=liveness.BROKER_OWNER
    )
    assert not created and again.pk == running.pk
    # A job that stopped moving (its workers are gone) is not joined: the work restarts.
    ChipJob.objects.filter(pk=running.pk).update(updated=timezone.now() - dt.timedelta(hours=1))
    response = client.get(URL, params(), **auth)
    assert response.status_code == 200 and len(response.json()["chips"]) == 3
    assert len(store_files(chip_store)) == 3
    assert set(ChipJob.objects.values_list("status", flat=True)) == {"failed", "done"}


@pytest.mark.django_db
def test_unreadable_scene_reported_for_its_date(client, auth, archive, chip_store) -> None:
    broken = archive["A2"]
    asset = broken.assets.get(band="B04")
    asset.href = str(chip_store.parent / "gone" / "B04.jp2")
    asset.save()
    response = client.get(URL, params(), **auth)
    assert response.status_code == 200
    body = response.json()
    # Every date is listed; the unreadable one has a null chip and its reason, in columns
    # of equal length, so the CbM client's pandas.read_json still reads the answer.
    dates = [archive["B1"].sensing_key, broken.sensing_key, archive["A3new"].sensing_key]
    assert body["dates"] == dates
    assert [chip is None for chip in body["chips"]] == [False, True, False]
    assert body["errors"][0] is None and body["errors"][2] is None
    # Which product and band, and why; never where the file lives.
    assert body["errors"][1].startswith(f"{broken.product_id}: B04 cannot be read: ")
    assert str(chip_store.parent) not in body["errors"][1]
    frame = pd.read_json(io.StringIO(response.content.decode()))
    assert list(frame.columns) == ["dates", "chips", "errors"] and len(frame) == 3
    assert len(store_files(chip_store)) == 2


@pytest.mark.django_db
def test_job_url_is_the_owners_only(client, auth, archive, chip_store) -> None:
    body = client.get(URL, params(), **auth).json()
    job = ChipJob.objects.get()
    url = f"/query/jobs/{job.pk}"
    mine = client.get(url, **auth).json()
    assert mine["status"] == "done" and mine["result"] == body
    make_user("eve")
    other = client.get(url, **basic("eve"))
    assert other.status_code == 404 and other.json()["param"] == "job"
    assert Client().get(url).status_code == 401


@pytest.mark.django_db
def test_a_scene_reported_twice_counts_once(archive, chip_store) -> None:
    """A task redone after its worker died reports its scene again: no duplicate record,
    no progress counted twice."""
    user = User.objects.create(username="ana")
    cache = ClientCache.objects.create(user=user, ip="10.0.0.1", square="x")
    scene = archive["B1"]
    record = store.ChipRecord(f"{scene.product_id}.B04.tif", "k1", "raw/k1/k1.tif", scene.pk,
                              "B04", 10)  # fmt: skip
    plan = [jobs.Entry("d1", "k1", record.file_name), jobs.Entry("d2", "k2", "other.B04.tif")]
    job, _ = jobs.open_or_join(
        "j", kind=JobKind.RAW, cache=cache, entries=plan, owner=liveness.BROKER_OWNER
    )
    first = Unit(JobKind.RAW, ("k1",), {})
    for _ in range(2):  # the unit's runner records its chips, then the unit reports
        store.record_chips([record], cache_id=cache.pk)
        reported = jobs.report(job.pk, [(first, Outcome())])
    assert reported is not None and (reported.done, reported.status) == (1, "running")
    assert CachedChip.objects.filter(cache=cache).count() == 1
    second = Unit(JobKind.RAW, ("k2",), {})
    done = jobs.report(job.pk, [(second, Outcome(failed={"k2": "unreadable"}))])
    assert done is not None
    assert (done.done, done.status, done.errors) == (2, "done", {"d2": "unreadable"})
