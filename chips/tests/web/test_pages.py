"""chipsByLocation / chipsByParcelID: the page, its JSON status, joining, limits, errors.

Without a broker the work runs in a thread beside the request, with its own database
connection, so these tests use committed data (transactional_db). Pixels are checked
against the source band files.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pytest
import rasterio
from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client
from PIL import Image
from pyproj import Transformer
from rasterio.windows import Window

from chips.composite.make import composite_unit
from chips.composite.plan import CompositePlan, CompositeRequest, plan_composites
from chips.models import CachedChip, ChipJob, JobKind
from chips.raster.render import Lut
from chips.work import jobs, liveness
from chips.work.running import run_here
from testing import composite_archive as fx
from testing.auth import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
]


class Accept(TypedDict):
    """The test client's keyword argument for the Accept header."""

    HTTP_ACCEPT: str


HTML: Accept = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
JSON: Accept = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def store(chip_store: Path, settings: Any) -> Path:
    settings.MAX_CHIPS_PER_REQUEST = 24
    return chip_store


def location_url(**extra: str) -> str:
    lon, lat = fx.centre_lonlat()
    params = {
        "lon": f"{lon:.7f}",
        "lat": f"{lat:.7f}",
        "start_date": "2024-05-01",
        "end_date": "2024-06-30",
    }
    params.update(extra)
    return "/query/chipsByLocation?" + "&".join(f"{k}={v}" for k, v in params.items())


def centre_request() -> CompositeRequest:
    """What location_url() asks for, as the planner takes it."""
    lon, lat = fx.centre_lonlat()
    return CompositeRequest(
        lon=float(f"{lon:.7f}"),
        lat=float(f"{lat:.7f}"),
        chipsize=1280,
        level="LEVEL2A",
        start=dt.date(2024, 5, 1),
        end=dt.date(2024, 6, 30),
        bands=("B08", "B04", "B03"),
        lut=Lut.percentile(5, 95),
    )


def wait_done(client: Client, url: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url, **JSON).json()
        if body["state"] != "running" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def source_window(scene_product: str, band: str, folder: Path, res: int) -> np.ndarray:
    # The 1280 m chip centred on the square's centre: 64..192 at 10 m, 32..96 at 20 m.
    n = 1280 // res
    with rasterio.open(folder / scene_product / f"{band}.tif") as src:
        return src.read(1, window=Window(n // 2, n // 2, n, n))


def test_location_chips_render_the_source_pixels(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 3)
    body = wait_done(staff_client, location_url())
    assert body["state"] == "done", body
    assert body["dates"] == [s.sensing_key for s in scenes]
    assert all(re.fullmatch(r"/dump/[\w-]{16,}/S2A_MSIL2A_\w+\.png", c) for c in body["chips"])
    for scene, chip, item in zip(scenes, body["chips"], body["items"], strict=True):
        response = staff_client.get(chip)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        rgba = np.asarray(Image.open(io.BytesIO(response.getvalue())))
        assert rgba.shape == (128, 128, 4)
        for i, band in enumerate(("B08", "B04", "B03")):
            data = source_window(scene.product_id, band, tmp_path / "archive", 10).astype(float)
            lo, hi = np.percentile(data, [5, 95])
            expected = np.clip((data - lo) / (hi - lo) * 255, 0, 255)
            assert np.abs(rgba[..., i] - expected).max() <= 1
        assert (rgba[..., 3] == 255).all()
        # SCL: the northern half of the chip is class 9 (cloud), the rest 4.
        assert item["cloud"] == "50 %"


def expected_rgb(folder: Path, product: str) -> np.ndarray:
    """The independent render: the 128 px source windows read with rasterio, each band
    stretched linearly between its 5th and 95th percentile (the documented default lut)."""
    layers = []
    for band in ("B08", "B04", "B03"):
        data = source_window(product, band, folder, 10).astype(float)
        lo, hi = np.percentile(data, [5, 95])
        layers.append(np.clip((data - lo) / (hi - lo) * 255, 0, 255))
    return np.stack(layers, axis=-1)


def test_held_raw_chips_are_read_instead_of_the_source(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    archive = tmp_path / "archive"
    scenes = fx.make_scenes(archive, 2)
    lon, lat = fx.centre_lonlat()
    where = f"lon={lon:.7f}&lat={lat:.7f}&start_date=2024-05-01&end_date=2024-06-30"
    for band in ("B08", "B04", "B03", "SCL"):  # every window the composites need, cut raw
        raw = staff_client.get(f"/query/rawChipByLocation?{where}&band={band}&chipsize=1280")
        assert raw.status_code == 200 and len(raw.json()["chips"]) == 2
    expected = {s.product_id: expected_rgb(archive, s.product_id) for s in scenes}
    held = {p: p.stat().st_size for p in store.glob("raw/**/*.tif")}
    for path in archive.rglob("*.tif"):  # the sources are gone: only the held chips remain
        path.unlink()
    body = wait_done(staff_client, location_url())
    assert body["state"] == "done" and len(body["chips"]) == 2, body
    for scene, chip in zip(scenes, body["chips"], strict=True):
        rgba = np.asarray(Image.open(io.BytesIO(staff_client.get(chip).getvalue())))
        assert np.abs(rgba[..., :3] - expected[scene.product_id]).max() <= 1
    assert {p: p.stat().st_size for p in store.glob("raw/**/*.tif")} == held  # none new


def test_a_truncated_png_is_made_again_not_served(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    """A PNG left short in the store (a power loss: files are not fsynced) fails the size
    its record holds: the page makes it again and never serves the short one."""
    fx.make_scenes(tmp_path / "archive", 2)
    first = wait_done(staff_client, location_url())
    assert first["state"] == "done" and len(first["chips"]) == 2
    whole = {chip: staff_client.get(chip).getvalue() for chip in first["chips"]}
    victim = next(iter(store.glob("png/*/*.png")))
    content = victim.read_bytes()
    victim.write_bytes(content[: len(content) // 2])
    again = wait_done(staff_client, location_url())
    assert again["state"] == "done" and len(again["chips"]) == 2
    assert victim.read_bytes() == content  # made again, the same bytes
    assert again["chips"] == first["chips"]  # the same client, the same /dump/ paths
    for chip in again["chips"]:
        served = staff_client.get(chip).getvalue()
        assert served == whole[chip]
        Image.open(io.BytesIO(served)).load()  # a whole PNG


def test_unreadable_band_fails_its_date_only(
    tmp_path: Path, store: Path, staff: User, staff_client: Client
) -> None:
    archive = tmp_path / "archive"
    scenes = fx.make_scenes(archive, 3)
    # Planned while readable (the grids are learnt once), broken before it is read.
    plan_composites(user=staff, ip="127.0.0.1", request=centre_request())
    (archive / scenes[1].product_id / "B04.tif").write_bytes(b"not a tiff")
    started = staff_client.get(location_url(), **JSON).json()
    body = wait_done(staff_client, location_url(format="json", job=started["job"]))
    assert body["state"] == "failed" and "B04.tif" in body["error"], body
    assert [bool(i["src"]) for i in body["items"]] == [True, False, True]
    for scene, item in zip(scenes, body["items"], strict=True):
        if item["src"]:
            png = staff_client.get(item["src"]).getvalue()
            rgba = np.asarray(Image.open(io.BytesIO(png)))
            assert np.abs(rgba[..., :3] - expected_rgb(archive, scene.product_id)).max() <= 1
    assert len(list(store.glob("png/*/*.png"))) == 2  # nothing half-written


def test_page_table_cells_and_columns(tmp_path: Path, store: Path, staff_client: Client) -> None:
    scenes = fx.make_scenes(tmp_path / "archive", 10)
    wait_done(staff_client, location_url())
    page = staff_client.get(location_url(), **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    cells = re.findall(
        r'<td><label><img id="(\w+)" src="(/dump/[^"]+\.png)"/><br/>([\d-]+)</label>', html
    )
    assert [c[0] for c in cells] == [s.sensing_key for s in scenes]
    assert cells[0][2] == scenes[0].sensing_time.date().isoformat()
    table = html[html.index('<table class="chips">') :]
    rows = re.findall(r"<tr>(.*?)</tr>", table[: table.index("</table>")], flags=re.S)
    assert [r.count("<td") for r in rows] == [8, 2]
    assert "cloud 50 %" in html
    assert 'name="bands" value="B08_B04_B03"' in html and 'name="lut" value="5_95"' in html
    assert "http://" not in html and "https://" not in html  # nothing from outside


def test_20m_first_band_gives_64px(tmp_path: Path, store: Path, staff_client: Client) -> None:
    fx.make_scenes(tmp_path / "archive", 1)
    body = wait_done(staff_client, location_url(bands="B11_B08_B04", lut="0_6000_0_6000_0_6000"))
    assert (body["items"][0]["width"], body["items"][0]["height"]) == (64, 64)
    png = staff_client.get(body["chips"][0]).getvalue()
    assert Image.open(io.BytesIO(png)).size == (64, 64)


def test_flush_removes_composites_and_their_raw_chips(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    from chips.store.cache import flush_cache

    fx.make_scenes(tmp_path / "archive", 2)
    body = wait_done(staff_client, location_url())
    assert sorted(p.suffix for p in store.rglob("*.*")).count(".png") == 2
    flush_cache()
    assert [p for p in store.rglob("*") if p.is_file()] == []
    assert staff_client.get(body["chips"][0]).status_code == 404


@pytest.fixture
def plan(tmp_path: Path, store: Path, staff: User) -> CompositePlan:
    """Two scenes, and the staff user's plan for what location_url() asks."""
    fx.make_scenes(tmp_path / "archive", 2)
    return plan_composites(user=staff, ip="127.0.0.1", request=centre_request())


def test_running_work_is_joined_not_restarted(plan: CompositePlan, staff_client: Client) -> None:
    # Someone else is on this request's work right now.
    _, created = jobs.open_or_join(
        plan.job_key, kind=JobKind.COMPOSITE, cache=plan.client, owner=liveness.BROKER_OWNER,
        entries=[jobs.Entry(i.scene.sensing_key, i.key, i.file_name) for i in plan.items],
    )  # fmt: skip
    assert created
    page = staff_client.get(location_url(), **HTML)
    html = page.content.decode()
    assert "0 of 2 chips ready" in html and html.count('class="placeholder"') == 2
    assert "format=json" in html  # the page polls instead of reloading
    time.sleep(0.5)
    assert CachedChip.objects.count() == 0  # nothing was started beside the running job


def test_too_many_chips(tmp_path: Path, store: Path, staff_client: Client, settings: Any) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 3
    fx.make_scenes(tmp_path / "archive", 5)
    answer = staff_client.get(location_url(), **JSON)
    assert answer.status_code == 400  # the JSON API keeps its per-request limit
    assert answer.json()["param"] == "end_date" and "5 chips" in answer.json()["error"]


def test_page_shows_a_season_in_successive_windows(
    tmp_path: Path, store: Path, staff_client: Client, settings: Any
) -> None:
    settings.MAX_CHIPS_PER_REQUEST = 3
    scenes = fx.make_scenes(tmp_path / "archive", 8)  # 8 chips, 5 days apart: 3 windows
    days = [s.sensing_time.date() for s in scenes]
    page = staff_client.get(location_url(), **HTML)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="placeholder"') == 8  # the whole window, placeholders
    found = re.search(r'id="chip-batches"[^>]*>(.*?)</script>', html, re.S)
    assert found, "the page does not ask in windows"
    windows = json.loads(found[1])
    one_day = dt.timedelta(days=1)
    # The first window (the first 3) started with the page; the script asks for the rest.
    assert windows == [
        [days[3].isoformat(), (days[6] - one_day).isoformat()],
        [days[6].isoformat(), "2024-06-30"],
    ]
    first = staff_client.get(job_param(html), **JSON).json()
    assert first["total"] == 3
    link = re.search(r'id="chip-batch-url" data-url="([^"]+)"', html)
    assert link, "no window URL"
    batch_url = link[1].replace("&amp;", "&")
    # What the script does: each window in turn, its job polled until done.
    wait_done(staff_client, job_param(html))
    for start, end in windows:
        body = staff_client.get(f"{batch_url}&start_date={start}&end_date={end}", **JSON).json()
        assert body["total"] <= 3
        if body["state"] == "running":
            body = wait_done(staff_client, f"{batch_url}&job={body['job']}")
        assert body["state"] == "done", body
    done = wait_done(staff_client, location_url())  # the whole window, held now: no 400
    assert done["state"] == "done" and len(done["chips"]) == 8
    for scene, chip in zip(scenes, done["chips"], strict=True):
        rgba = np.asarray(Image.open(io.BytesIO(staff_client.get(chip).getvalue())))
        assert (
            np.abs(rgba[..., :3] - expected_rgb(tmp_path / "archive", scene.product_id)).max() <= 1
        )
    assert "chip-batches" not in staff_client.get(location_url(), **HTML).content.decode()


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"lut": "95_5"}, "lut"),
        ({"bands": "B04_B03"}, "bands"),
        ({"lon": "200"}, "lon"),
        ({"end_date": "2024-13-01"}, "end_date"),
        ({"chipsize": "99999"}, "chipsize"),
    ],
)
def test_bad_input(store: Path, staff_client: Client, extra: dict[str, str], param: str) -> None:
    answer = staff_client.get(location_url(**extra), **JSON)
    assert answer.status_code == 400 and answer.json()["param"] == param
    page = staff_client.get(location_url(**extra), **HTML)
    assert page.status_code == 400 and f"<code>{param}</code>" in page.content.decode()


def test_needs_credentials(store: Path) -> None:
    answer = Client().get(location_url(), **JSON)
    assert answer.status_code == 401 and "Basic" in answer["WWW-Authenticate"]


def test_parcel_outline_on_every_chip(tmp_path: Path, store: Path, staff_client: Client) -> None:
    from parcels.models import Parcel, ParcelDataset

    fx.make_scenes(tmp_path / "archive", 2)
    cx, cy = fx.CENTRE_XY
    # A 400 x 300 m field around the centre; its west edge runs through column 64 + 44.
    corners = [
        (cx - 195, cy + 145),
        (cx + 205, cy + 145),
        (cx + 205, cy - 155),
        (cx - 195, cy - 155),
    ]
    to_wgs = Transformer.from_crs(fx.EPSG, 4326, always_xy=True).transform
    ring = [to_wgs(x, y) for x, y in corners]
    geom = MultiPolygon(Polygon([*ring, ring[0]]), srid=4326)
    dataset = ParcelDataset.objects.create(aoi="nl", year=2024, srid=4326, source="test")
    Parcel.objects.create(
        dataset=dataset,
        pid="p1",
        crop_name="Mais, snij-",
        crop_code="259",
        area=120_000,
        centroid=geom.centroid,
        geom=geom,
        geom_native=bytes(geom.wkb),
    )
    url = "/query/chipsByParcelId?aoi=nl&year=2024&pid=p1&start_date=2024-05-01&end_date=2024-05-31"
    body = wait_done(staff_client, url)
    assert body["state"] == "done" and len(body["chips"]) == 2
    for chip in body["chips"]:
        rgba = np.asarray(Image.open(io.BytesIO(staff_client.get(chip).getvalue())))
        yellow = (rgba == (255, 255, 0, 255)).all(axis=-1)
        cols = np.flatnonzero(yellow.sum(axis=0) > 20)  # the two long vertical edges
        assert len(cols) == 2 and cols[1] - cols[0] == 40  # 400 m at 10 m
    html = staff_client.get(url, **HTML).content.decode()
    assert "Parcel p1: Mais, snij-, 12.00 ha" in html


def test_html_only_accept_gets_the_page(tmp_path: Path, store: Path, staff_client: Client) -> None:
    fx.make_scenes(tmp_path / "archive", 1)
    wait_done(staff_client, location_url())
    page = staff_client.get(location_url(), HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and "<table" in page.content.decode()


def test_20m_first_band_covers_the_whole_grid(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    # B11 (20 m) first, B08 and B04 at 10 m: the 10 m bands, snapped on their own grid,
    # must still cover every 20 m output pixel (no transparent edge row or column).
    scenes = fx.make_scenes(tmp_path / "archive", 1)
    body = wait_done(staff_client, location_url(bands="B11_B08_B04"))
    rgba = np.asarray(Image.open(io.BytesIO(staff_client.get(body["chips"][0]).getvalue())))
    assert rgba.shape == (64, 64, 4) and (rgba[..., 3] == 255).all()
    # Red is B11 itself on its own grid: the 20 m window 32..96, stretched 5..95 %.
    b11 = source_window(scenes[0].product_id, "B11", tmp_path / "archive", 20).astype(float)
    lo, hi = np.percentile(b11, [5, 95])
    assert np.abs(rgba[..., 0] - np.clip((b11 - lo) / (hi - lo) * 255, 0, 255)).max() <= 1


def job_param(html: str) -> str:
    url = re.search(r'data-status-url="([^"]+)"', html)
    assert url, "the page does not poll"
    return url.group(1).replace("&amp;", "&")


def test_poll_reads_the_job_and_starts_nothing(plan: CompositePlan, staff_client: Client) -> None:
    # A worker elsewhere is on this request's job (opened as a request opens it).
    job, _ = jobs.open_or_join(
        plan.job_key,
        kind=JobKind.COMPOSITE,
        cache=plan.client,
        entries=[jobs.Entry(i.scene.sensing_key, i.key, i.file_name) for i in plan.items],
        lut="5_95",
        owner=liveness.BROKER_OWNER,
    )
    html = staff_client.get(location_url(), **HTML).content.decode()
    poll = job_param(html)
    assert f"job={job.pk}" in poll and "format=json" in poll
    first = staff_client.get(poll, **JSON).json()
    assert (first["state"], first["done"], first["total"]) == ("running", 0, 2)
    # The worker finishes the first chip: the next poll shows it, the other still pending.
    run_here(job, [composite_unit(plan.items[0])])
    second = staff_client.get(poll, **JSON).json()
    assert second["done"] == 1 and second["items"][0]["src"] and not second["items"][1]["src"]
    assert second["items"][0]["cloud"] == "50 %" and second["items"][0]["stretch"].startswith(
        "B08:"
    )
    assert CachedChip.objects.count() == 1  # the polls and the page started nothing
    run_here(job, [composite_unit(plan.items[1])])
    assert staff_client.get(poll, **JSON).json()["state"] == "done"
    # Someone else's job, or no job at all: 404 naming the parameter.
    other = Client()
    other.force_login(make_user("other"))
    assert other.get(poll, **JSON).status_code == 404
    bad = staff_client.get(location_url(job="not-a-job", format="json"), **JSON)
    assert bad.status_code == 404 and bad.json()["param"] == "job"


def test_refresh_recuts_once(tmp_path: Path, store: Path, staff_client: Client) -> None:
    fx.make_scenes(tmp_path / "archive", 2)
    body = wait_done(staff_client, location_url())
    pngs = sorted(store.glob("png/*/*.png"))
    assert len(pngs) == 2 and body["state"] == "done"
    before = {p: p.stat().st_mtime_ns for p in pngs}

    def jobs_made() -> list[tuple[str, int, int]]:
        """(status, done, total) of every composite job, oldest first."""
        rows = ChipJob.objects.filter(kind="composite").order_by("created")
        return [(j.status, j.done, j.total) for j in rows]

    assert jobs_made() == [("done", 2, 2)]
    time.sleep(0.01)
    started = staff_client.get(location_url(refresh="True"), **JSON).json()
    assert started["job"] != body["job"]
    poll = f"{location_url(format='json')}&job={started['job']}"
    deadline = time.monotonic() + 30
    while staff_client.get(poll, **JSON).json()["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # One more job, which made both composites again.
    assert jobs_made() == [("done", 2, 2), ("done", 2, 2)]
    after = {p: p.stat().st_mtime_ns for p in pngs}
    assert all(after[p] > before[p] for p in pngs)  # rendered again
    # Without refresh, the same request starts nothing and rewrites no file.
    again = staff_client.get(location_url(), **JSON).json()
    assert again["state"] == "done" and len(again["chips"]) == 2
    assert jobs_made() == [("done", 2, 2), ("done", 2, 2)]
    assert {p: p.stat().st_mtime_ns for p in pngs} == after
    # Made from the sources: no raw chip was written on the way.
    assert list(store.glob("raw/**/*.tif")) == []


BROKER = os.environ.get("TEST_BROKER_URL", "")


@pytest.fixture(scope="module")
def composite_worker(
    django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, Any, Path]]:
    """One real `celery worker` on a queue of its own (TEST_BROKER_URL, a Redis URL)."""
    if not BROKER:
        pytest.skip("TEST_BROKER_URL is not set (make test sets it)")
    from testing.workers import Broker, start_workers, stop_workers

    queue = f"composites-test-{uuid.uuid4().hex[:8]}"
    store = tmp_path_factory.mktemp("worker-store")
    with django_db_blocker.unblock():
        workers = start_workers(
            broker=BROKER, count=1, queue=queue, store=store, folder=tmp_path_factory.mktemp("log")
        )
    broker = Broker(BROKER, queue)
    try:
        yield workers[0], broker, store
    finally:
        broker.use(eager=True)
        stop_workers(workers)


@pytest.mark.slow
def test_page_fills_in_from_a_worker(
    composite_worker: tuple[Any, Any, Path], tmp_path: Path, staff_client: Client, settings: Any
) -> None:
    worker, broker, shared = composite_worker
    settings.CHIP_STORE = shared
    settings.MAX_CHIPS_PER_REQUEST = 24
    scenes = fx.make_scenes(tmp_path / "archive", 3)
    offset = len(worker.text())
    broker.use()
    try:
        html = staff_client.get(location_url(), **HTML).content.decode()
        # Queued, not made here: the page answers at once with the chips to come.
        assert html.count('class="placeholder"') == 3 and "0 of 3 chips ready" in html
        poll = job_param(html)
        reload = staff_client.get(location_url(), **HTML).content.decode()  # joins, no new job
        assert job_param(reload) == poll
        deadline = time.monotonic() + 60
        seen = []
        while (body := staff_client.get(poll, **JSON).json())["state"] == "running":
            seen.append(body["done"])
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
    finally:
        broker.use(eager=True)
    assert body["state"] == "done" and [i["id"] for i in body["items"]] == [
        s.sensing_key for s in scenes
    ]
    assert all(i["src"] for i in body["items"]) and seen == sorted(seen)
    made = re.findall(r"job [\w-]+: composite of scene (\d+)", worker.text()[offset:])
    assert sorted(made) == sorted(str(s.pk) for s in scenes)  # each once: nothing restarted
    page = staff_client.get(location_url(), **HTML).content.decode()
    assert page.count("<img id=") == 3 and "data-status-url" not in page


def test_empty_window_says_what_the_archive_covers(
    tmp_path: Path, store: Path, staff_client: Client
) -> None:
    """An empty page names the archive's dates at the point, or the tiles it holds."""
    fx.make_scenes(tmp_path / "archive", 3)  # 1, 6 and 11 May 2024
    html = staff_client.get(
        location_url(start_date="2024-07-01", end_date="2024-07-31"), HTTP_ACCEPT="text/html"
    ).content.decode()
    assert "No imagery here in this window: the archive has 3 LEVEL2A acquisitions here" in html
    assert "from 01 May 2024 to 11 May 2024" in html
    far = staff_client.get(
        location_url(lon="-60", lat="-10"), HTTP_ACCEPT="text/html"
    ).content.decode()
    assert f"no LEVEL2A product here; it covers tiles {fx.TILE}" in far
