"""extract_signatures --tstype bs|c6: every parcel on every product, the same rows as the
one-parcel path (and as independent reads), idempotent on a second run."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.management import call_command

from chips.models import SarExtraction, SarScene, SarSignature
from chips.tests.s1.conftest import parcel_values
from testing.s1_archive import COH_REF, PC_NODATA, S1Archive

pytestmark = pytest.mark.django_db


def run(tstype: str) -> str:
    out = io.StringIO()
    call_command("extract_signatures", "--aoi", "sx", "--year", "2019", "--tstype", tstype,
                 stdout=out, stderr=io.StringIO())  # fmt: skip
    return out.getvalue()


def test_bulk_bs_and_c6(s1_catalogue: S1Archive, s1_parcels: dict) -> None:
    assert "2 scenes, 2 extracted" in run("bs")
    assert "2 already done" in run("bs")
    assert SarExtraction.objects.count() == 2
    rows = {(r.parcel.pid, r.scene.product_id, r.band): r
            for r in SarSignature.objects.select_related("parcel", "scene")}  # fmt: skip
    assert len(rows) == 2 * 2 * 2  # parcels x products x polarisations
    pc = SarScene.objects.get(source_format="stac").product_id
    for pid in ("f1", "f2"):
        want = parcel_values(s1_catalogue.vv, s1_parcels[pid], nodata=PC_NODATA)
        row = rows[pid, pc, "VV"]
        assert row.count == want.size
        assert row.mean == pytest.approx(want.mean(), rel=1e-6)
        assert row.p50 == pytest.approx(np.percentile(want, 50), rel=1e-6)
    assert "1 scenes, 1 extracted" in run("c6")
    coh = SarSignature.objects.get(parcel__pid="f1", scene__product_id=COH_REF, band="VV")
    want = parcel_values(s1_catalogue.coh, s1_parcels["f1"], band=2)
    assert coh.mean == pytest.approx(want.mean(), rel=1e-6) and coh.count == want.size
