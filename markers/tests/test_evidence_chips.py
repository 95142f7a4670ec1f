"""The evidence page on the demo archive (root fixture demo_archive, COG layout): a mown
grassland's events with the chips of the acquisitions that bracket them, the very
composites chipsByParcelID serves for those dates (made once, through its flow), and the
same evidence as a PDF holding those chips. The composite jobs run in a thread beside the
request, on their own database connection: committed data (transactional)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from PIL import Image

from chips.models import Scene
from markers.models import MarkerEvent
from parcels.models import AoiGrant, Parcel
from testing.auth import BasicAuth

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def load(archive: Path, alice: User) -> dict[str, Any]:
    manifest = json.loads((archive / "demo.json").read_text())
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("ingest_stac", str(archive / "cog"), **quiet)
    call_command("import_parcels", str(archive / manifest["parcels"]), aoi=manifest["aoi"],
                 year=int(manifest["year"]), pid_field="pid", crop_name_field="crop_name",
                 crop_code_field="crop_code", layer=manifest.get("parcels_layer", "parcels"),
                 **quiet)  # fmt: skip
    call_command("load_marker_rules", str(ROOT / "markers" / "rules" / "demo.json"),
                 aoi=manifest["aoi"], year=int(manifest["year"]), **quiet)  # fmt: skip
    AoiGrant.objects.create(user=alice, aoi=manifest["aoi"])
    return manifest


def mown_parcel(archive: Path) -> str:
    """A parcel the truth says was mown (its pid)."""
    truth = json.loads((archive / "truth.json").read_text())
    for pid, parcel in sorted(truth["parcels"].items()):
        if any(e["event"] == "mowing" for e in parcel["events"]):
            return pid
    pytest.skip("the small demo archive has no mown parcel")


def test_evidence_shows_the_bracket_chips_and_prints_them(
    demo_archive: Path, alice: User, auth: BasicAuth
) -> None:
    manifest = load(demo_archive, alice)
    pid = mown_parcel(demo_archive)
    base = f"aoi={manifest['aoi']}&year={manifest['year']}&pid={pid}"
    client = Client()
    html = client.get(f"/query/parcelEvidence?{base}", HTTP_ACCEPT="text/html", **auth)
    assert html.status_code == 200, html.content[:500]
    page = html.content.decode()
    events = list(MarkerEvent.objects.filter(parcel__pid=pid).order_by("date_main"))
    assert any(e.marker == "mowing" for e in events)
    figures = re.findall(r'<img src="([^"]+)" alt="([^"]+)"[^>]*></a><figcaption><a [^>]+>'
                         r"(\d{4}-\d\d-\d\d)</a>", page)  # fmt: skip
    shown = {when: (src, product) for src, product, when in figures}
    brackets = {d.isoformat() for e in events for d in (e.date_start, e.date_end)}
    assert set(shown) == brackets, (sorted(shown), sorted(brackets))
    sizes: set[tuple[int, int]] = set()
    for when, (src, product) in shown.items():
        # The chip of that acquisition: the product sensed on that day.
        sensed = Scene.objects.get(product_id=product).sensing_time.astimezone(dt.UTC).date()
        assert sensed.isoformat() == when
        png = client.get(src, **auth)
        assert png.status_code == 200
        image = Image.open(io.BytesIO(png.getvalue()))
        assert image.format == "PNG" and image.size[0] > 0
        sizes.add(image.size)
        # chipsByParcelID serves the same composite for that date: one flow, one file.
        same = client.get(f"/query/chipsByParcelID?{base}&start_date={when}&end_date={when}"
                          "&format=json", **auth).json()  # fmt: skip
        assert same["state"] == "done" and same["chips"] == [src]
    answer = client.get(f"/query/parcelEvidence?{base}&format=pdf", **auth)
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    pdf = answer.content
    assert pdf.startswith(b"%PDF-")
    # The chips' images (a PNG with transparency adds its alpha as a soft mask image), and
    # the page's text (content streams are deflated).
    images = len(re.findall(rb"/Subtype\s*/Image", pdf))
    masks = len(set(re.findall(rb"/SMask\s+(\d+ \d+ R)", pdf)))
    assert images - masks == len(set(shown.values()))
    for w, h in sizes:
        assert re.search(rb"/Height %d\b" % h, pdf) and re.search(rb"/Width %d\b" % w, pdf)
    text = b"".join(
        zlib.decompress(base64.a85decode(m.strip(), adobe=True))
        for m in re.findall(rb"(?<!end)stream\r?\n(.*?)endstream", pdf, re.S)
        if m.strip().endswith(b"~>")  # ASCII85 over deflate: ReportLab's content streams
    )  # fmt: skip
    parcel = Parcel.objects.get(pid=pid)
    assert f"parcel {pid}".encode() in text and b"mowing" in text
    assert parcel.crop_code.encode() in text


def test_s1_chips_are_the_backscatter_composites_of_the_bracketing_passes(
    demo_archive: Path, alice: User
) -> None:
    from django.contrib.gis.geos import Polygon
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory, force_authenticate

    from chips.catalogue.sar_models import SarKind, SarScene
    from markers.web.evidence_chips import s1_chips

    if not (demo_archive / "s1").is_dir():
        pytest.skip("the small demo archive has no Sentinel-1")
    load(demo_archive, alice)
    call_command("ingest_s1", str(demo_archive / "s1"), stdout=io.StringIO(),
                 stderr=io.StringIO())  # fmt: skip
    parcel = Parcel.objects.get(pid=mown_parcel(demo_archive))
    raw = APIRequestFactory().get("/query/parcelEvidence")
    force_authenticate(raw, user=alice)
    request = Request(raw)
    request.user = alice
    # The passes over the parcel, read from the catalogue: CARD-BS products whose footprint
    # holds the parcel, by sensing day.
    x0, y0, x1, y1 = parcel.geom.extent
    passes = sorted(
        (s.sensing_time.astimezone(dt.UTC).date(), s.product_id)
        for s in SarScene.objects.filter(kind=SarKind.BS,
                                         footprint__contains=Polygon.from_bbox((x0, y0, x1, y1)))
    )  # fmt: skip
    assert len(passes) >= 3
    start, end = passes[1][0] + dt.timedelta(days=1), passes[2][0] - dt.timedelta(days=1)
    if start > end:
        start, end = end, start
    before, after, note = s1_chips(request, parcel, start, end)
    assert before is not None and after is not None, note
    want_before = max(p for p in passes if p[0] <= start)
    want_after = min(p for p in passes if p[0] >= end)
    assert (before.date, before.product) == (want_before[0].isoformat(), want_before[1])
    assert (after.date, after.product) == (want_after[0].isoformat(), want_after[1])
    for chip in (before, after):
        assert chip.path is not None and Image.open(chip.path).format == "PNG"
