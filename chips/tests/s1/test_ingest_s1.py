"""ingest_s1 on every source flavour: the real Planetary Computer items (raw and ingested
keys, their UTM geometry and space-separated times), the JRC CARD-BS folder (ENVI) and the
CARD-COH6 GeoTIFF (bands by description), idempotence, and the orbit-direction fallback
checked against the real items' own metadata."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import rasterio
from django.core.management import CommandError, call_command

from chips.catalogue.sources import s1_records
from chips.models import SarAsset, SarScene
from testing.s1_archive import BS_REF, COH_REF, SDH_ITEM, SDV_ITEM, S1Archive

pytestmark = pytest.mark.django_db


def ingest(*paths: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_s1", *map(str, paths), stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_pc_raw_item(s1_files: S1Archive) -> None:
    assert "1 found, 1 added" in ingest(s1_files.pc_item)
    scene = SarScene.objects.get()
    real = json.loads(s1_files.pc_item.read_text())
    assert scene.product_id == real["id"]
    assert scene.kind == "CARD-BS" and scene.platform == "S1A"
    # "2019-12-15 00:43:39.317577+00:00": a space and an offset, kept to the second.
    assert scene.sensing_time == dt.datetime(2019, 12, 15, 0, 43, 39, tzinfo=dt.UTC)
    assert scene.orbit_direction == "ASCENDING" and scene.direction_source == "metadata"
    assert scene.relative_orbit == 5 and scene.absolute_orbit == 30352
    assert scene.epsg == 32614 and scene.coefficient == "gamma0" and scene.nodata == -32768
    # The raw item's geometry is in UTM: the footprint is its reprojection, in lon/lat.
    lon, lat = scene.footprint.centroid.coords
    assert -103 < lon < -96 and 30 < lat < 33
    assets = {a.polarisation: a for a in SarAsset.objects.filter(scene=scene)}
    assert set(assets) == {"VV", "VH"}
    assert assets["VV"].href == str(s1_files.vv) and assets["VV"].band_index == 1


def test_pc_ingested_keys_and_idempotence(s1_files: S1Archive) -> None:
    assert "1 added" in ingest(s1_files.pc_item_ingested)
    assert "1 already present" in ingest(s1_files.pc_item_ingested)
    assert SarScene.objects.count() == 1 and SarAsset.objects.count() == 2


def test_pc_dual_h_item(s1_files: S1Archive) -> None:
    ingest(s1_files.sdh_item)
    scene = SarScene.objects.get()
    assert scene.orbit_direction == "DESCENDING" and scene.relative_orbit == 11
    assert set(scene.assets.values_list("polarisation", flat=True)) == {"HH", "HV"}


@pytest.mark.parametrize("name", [SDV_ITEM, SDH_ITEM])
def test_solar_time_fallback_agrees_with_real_metadata(real_fixtures: Path, name: str) -> None:
    """The fallback (local solar time) gives what each real item's sat:orbit_state says."""
    from chips.catalogue.sources.s1_stac import _footprint

    item = json.loads((real_fixtures / "s1" / "stac-items" / name).read_text())
    props = item["properties"]
    foot = _footprint(item["geometry"], props["proj:epsg"])
    when = dt.datetime.fromisoformat(props["start_datetime"])
    assert (
        s1_records.direction_from_solar_time(when, foot.centroid.x)
        == props["sat:orbit_state"].upper()
    )
    # And the relative orbit from the absolute one.
    platform = s1_records.platform_of(props["platform"])
    assert (
        s1_records.relative_orbit(platform, props["sat:absolute_orbit"])
        == props["sat:relative_orbit"]
    )


def test_card_folders(s1_files: S1Archive) -> None:
    assert "2 found, 2 added" in ingest(s1_files.card_root)
    bs = SarScene.objects.get(product_id=BS_REF)
    assert bs.kind == "CARD-BS" and bs.platform == "S1B" and bs.source_format == "card"
    assert bs.orbit_direction == "DESCENDING" and bs.direction_source == "metadata"  # the .dim
    assert bs.relative_orbit == (19345 - 27) % 175 + 1 and bs.coefficient == "gamma0"
    assert bs.nodata == 0 and bs.epsg == 32614
    hrefs = dict(bs.assets.values_list("polarisation", "href"))
    assert hrefs == {"VV": str(s1_files.bs_vv), "VH": str(s1_files.bs_vh)}
    coh = SarScene.objects.get(product_id=COH_REF)
    assert coh.kind == "CARD-COH6" and coh.coefficient == "coherence"
    assert coh.second_time == dt.datetime(2019, 12, 21, 0, 43, 41, tzinfo=dt.UTC)
    # No PASS in the file: the solar-time fallback (00:43 UTC at 100 W: 18:00 local).
    assert coh.orbit_direction == "ASCENDING" and coh.direction_source == "solar time"
    # Bands by their descriptions: VH is stored first.
    index = dict(coh.assets.values_list("polarisation", "band_index"))
    with rasterio.open(s1_files.coh) as src:
        assert "VV" in src.descriptions[index["VV"] - 1]
    assert index == {"VH": 1, "VV": 2}
    assert "2 already present" in ingest(s1_files.card_root)


def test_broken_items_are_reported(tmp_path: Path, s1_files: S1Archive) -> None:
    item = json.loads(s1_files.pc_item.read_text())
    item["assets"]["vv-rtc"]["href"] = "missing.tif"
    del item["assets"]["vh-rtc"]
    (tmp_path / "broken.json").write_text(json.dumps(item))
    with pytest.raises(CommandError):
        ingest(tmp_path / "broken.json")
    assert not SarScene.objects.exists()


def test_admin_lists_and_shows_products(admin_client, s1_files: S1Archive) -> None:
    ingest(s1_files.card_root)
    listing = admin_client.get("/admin/chips/sarscene/?kind__exact=CARD-COH6")
    assert listing.status_code == 200 and COH_REF.encode() in listing.content
    assert BS_REF.encode() not in listing.content
    scene = SarScene.objects.get(product_id=COH_REF)
    page = admin_client.get(f"/admin/chips/sarscene/{scene.pk}/change/")
    assert page.status_code == 200 and b"solar time" in page.content
