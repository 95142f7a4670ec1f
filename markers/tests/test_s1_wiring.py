"""The markers read Sentinel-1 from the signature store: rows written by hand into the store
(SarScene + SarSignature, no band files), as `extract_signatures --tstype bs|c6` records
them, reach the detector per orbit, coherence dated by its pair's second image; a cut under
six weeks of cloud is found from them by the bulk run and by the one-parcel request.

Values from ../shared/reference/sentinel1.md's ranges (grass coherence ~0.30 before a cut,
~0.40 after, the pair spanning the cut ~0.2), not from the detector's thresholds."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from chips.catalogue.sar_models import Coefficient, OrbitDirection, SarKind, SarScene
from chips.signatures.models import SarSignature, Signature
from markers import s1_input
from markers.models import MarkerEvent
from markers.tests.conftest import CUT, DAYS, box
from parcels.models import Parcel

pytestmark = pytest.mark.django_db
ORBITS = {"DSC-37": (OrbitDirection.DESCENDING, 37, 2), "ASC-88": (OrbitDirection.ASCENDING, 88, 5)}


def at(ordinal: int, hour: int) -> dt.datetime:
    return dt.datetime.fromordinal(ordinal).replace(hour=hour, tzinfo=dt.UTC)


def coherence(second: int) -> float:
    """Of the 6-day pair ending on `second`: the cut inside it decorrelates it; a short
    sward stays coherent for about four weeks after."""
    if second - 6 < CUT <= second:
        return 0.20
    return 0.40 if 0 <= second - 6 - CUT < 28 else 0.30


def write_orbit(parcel: Parcel, name: str) -> list[tuple[SarScene, float]]:
    """An orbit's passes every 6 days (a backscatter and a coherence product each), the
    parcel's rows in the store: linear power and coherence, VH and VV."""
    direction, relative, first = ORBITS[name]
    hour = 17 if direction == OrbitDirection.ASCENDING else 6
    written = []
    days = range(DAYS[0] + first, DAYS[-1], 6)
    for n, d in enumerate(days):
        common = {"platform": "S1A", "orbit_direction": direction, "relative_orbit": relative,
                  "footprint": box(5.0, 52.0, 0.5), "epsg": 32631, "source_format": "stac",
                  "source_href": "/nowhere"}  # fmt: skip
        bs = SarScene.objects.create(product_id=f"{name}-bs-{n}", kind=SarKind.BS,
                                     sensing_time=at(d, hour), coefficient=Coefficient.GAMMA0,
                                     **common)  # fmt: skip
        vh = 10 ** ((-17.5 if 0 <= d - CUT < 28 else -16.0) / 10)
        rows = [(bs, "VV", 0.1), (bs, "VH", vh)]
        if n:  # the pair (previous pass, this pass)
            c6 = SarScene.objects.create(product_id=f"{name}-c6-{n}", kind=SarKind.COH6,
                                         sensing_time=at(d - 6, hour), second_time=at(d, hour),
                                         coefficient=Coefficient.COHERENCE, **common)  # fmt: skip
            rows += [(c6, "VV", coherence(d)), (c6, "VH", coherence(d) * 0.8)]
            written.append((c6, coherence(d)))
        SarSignature.objects.bulk_create(
            SarSignature(
                parcel=parcel,
                scene=scene,
                band=band,
                count=40,
                mean=value,
                sensing_time=scene.sensing_time,
            )  # fmt: skip
            for scene, band, value in rows
        )
    return written


@pytest.fixture
def clouded(marked: dict[str, Any]) -> dict[str, Any]:
    """'mown' loses its Sentinel-2 observations from 20 May to 10 July (six cloudy weeks
    around the cut, 10 June); two orbits saw it."""
    mown = marked["parcels"]["mown"]
    cloudy = [s for s in marked["scenes"] if dt.date(2024, 5, 20) <= s.sensing_time.date()
              <= dt.date(2024, 7, 10)]  # fmt: skip
    Signature.objects.filter(parcel=mown, scene__in=cloudy).delete()
    marked["coherence"] = {name: write_orbit(mown, name) for name in ORBITS}
    return marked


def test_the_store_rows_reach_the_detector_per_orbit(clouded: dict[str, Any]) -> None:
    mown = clouded["parcels"]["mown"]
    start, end = dt.date(2024, 4, 1), dt.date(2024, 9, 30)
    [obs] = s1_input.read_parcels([mown.pk], start, end).values()
    assert {o.orbit for o in obs} == set(ORBITS)
    for name, pairs in clouded["coherence"].items():
        mine = {o.date: o for o in obs if o.orbit == name}
        for scene, value in pairs:
            # Dated by the pair's second image, beside that day's backscatter.
            seen = mine[scene.second_time.date()]
            assert seen.vv_coh == pytest.approx(value) and seen.vv_bs == pytest.approx(0.1)
    # The one-parcel reader (which computes what the store lacks: nothing here) agrees.
    assert s1_input.read_parcel(mown, start, end) == obs
    # A parcel without S1 rows: no observations.
    idle = clouded["parcels"]["idle"]
    assert s1_input.read_parcels([idle.pk], start, end) == {idle.pk: []}


def test_a_cut_under_clouds_is_found_from_the_s1_store(
    clouded: dict[str, Any], alice: Any, auth: Any
) -> None:
    call_command("extract_markers", aoi="nl", year=2024, stdout=io.StringIO())
    mown = clouded["parcels"]["mown"]
    [cut] = MarkerEvent.objects.filter(parcel=mown, marker="mowing")
    assert cut.marker_type == "S1"
    assert cut.date_start <= dt.date.fromordinal(CUT) <= cut.date_end
    assert abs((cut.date_main - dt.date.fromordinal(CUT)).days) <= 6
    # The one-parcel answer (recorded lights are current: the same rows).
    answer = Client().get("/query/markers?aoi=nl&year=2024&pid=mown", **auth)
    assert answer.status_code == 200
    body = answer.json()
    assert body["marker"] == ["mowing"] and body["marker_type"] == ["S1"]
    # The evidence page draws each orbit's VH backscatter from those rows: one point per
    # pass, at (dB + 25) / 20 of the plot's 0..1 scale (30 px top, 166 px tall, 1.1 span).
    page = Client().get("/query/parcelEvidence?aoi=nl&year=2024&pid=mown",
                        HTTP_ACCEPT="text/html", **auth).content.decode()  # fmt: skip
    lines = re.findall(r'<polyline class="vh" points="([^"]+)"><title>[^<]*orbit (\S+) ', page)
    assert {orbit for _, orbit in lines} == set(ORBITS)
    for points, orbit in lines:
        direction, relative, _ = ORBITS[orbit]
        passes = SarScene.objects.filter(kind=SarKind.BS, relative_orbit=relative).count()
        ys = [float(p.split(",")[1]) for p in points.split()]
        assert len(ys) == passes
        expected = {round(30 + (1 - (db + 25) / 20) / 1.1 * 166, 1) for db in (-16.0, -17.5)}
        assert {round(y, 1) for y in ys} <= expected and len(set(ys)) == 2
