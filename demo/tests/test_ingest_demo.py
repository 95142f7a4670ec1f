"""Ingest of the demo archive (layout: docs in notes/layout.md), SAFE and COG layouts.

Expected values come from the archive itself: folder names, demo.json, and the band
files' CRS read with rasterio.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
import rasterio
from django.core.management import call_command

from chips.models import Scene

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

FACTS = (
    "mission",
    "level",
    "tile",
    "relative_orbit",
    "sensing_time",
    "processing_baseline",
    "epsg",
    "radiometric_offset",
)


@pytest.fixture
def archive(request: pytest.FixtureRequest) -> Path:
    try:
        root = request.getfixturevalue("demo_archive")
    except pytest.FixtureLookupError:
        pytest.skip("the demo_archive fixture (the root conftest.py) is not there yet")
    return Path(root)


def ingest(command: str, path: Path) -> str:
    out, err = StringIO(), StringIO()
    call_command(command, str(path), stdout=out, stderr=err)
    assert err.getvalue().count("broken:") == 0, err.getvalue()
    return out.getvalue().strip()


def facts(scene: Scene) -> dict[str, object]:
    return {name: getattr(scene, name) for name in FACTS}


def test_every_safe_product_is_ingested_with_facts_from_the_files(archive: Path) -> None:
    manifest = json.loads((archive / "demo.json").read_text())
    folders = sorted((archive / "safe").rglob("*.SAFE"))
    assert folders
    assert ingest("ingest_safe", archive / "safe") == (
        f"{len(folders)} found, {len(folders)} added, 0 already present, 0 broken"
    )
    for folder in folders:
        product_id = folder.name.removesuffix(".SAFE")
        scene = Scene.objects.get(product_id=product_id)
        assert scene.tile == product_id.split("_")[5][1:]
        assert scene.tile in manifest["tiles"]
        assert scene.sensing_key == product_id.split("_")[2]
        assert folder.parent.relative_to(archive / "safe").parts[-3:] == (
            product_id[11:15],
            product_id[15:17],
            product_id[17:19],
        )
        for asset in scene.assets.all():
            assert Path(asset.href).is_relative_to(folder)
            with rasterio.open(asset.href) as src:
                assert src.crs.to_epsg() == scene.epsg
    assert ingest("ingest_safe", archive / "safe").endswith(
        f"0 added, {len(folders)} already present, 0 broken"
    )


def test_wedge_footprints_are_smaller_than_the_full_crop(archive: Path) -> None:
    ingest("ingest_safe", archive / "safe")
    areas = {s.product_id: s.footprint.area for s in Scene.objects.all()}
    full = max(areas.values())
    wedges = [pid for pid, area in areas.items() if area < 0.95 * full]
    assert wedges, "the archive should hold products with a nodata wedge"
    assert all(areas[pid] > 0 for pid in wedges)


def test_safe_and_cog_ingest_of_one_product_agree(archive: Path) -> None:
    items = sorted((archive / "cog").rglob("*.json"))
    assert items
    ingest("ingest_stac", archive / "cog")
    from_cog = {s.product_id: (facts(s), s.footprint) for s in Scene.objects.all()}
    for scene in Scene.objects.all():
        for asset in scene.assets.all():
            with rasterio.open(asset.href) as src:
                assert src.crs.to_epsg() == scene.epsg
    Scene.objects.all().delete()

    ingest("ingest_safe", archive / "safe")
    from_safe = {s.product_id: (facts(s), s.footprint) for s in Scene.objects.all()}
    assert set(from_cog) <= set(from_safe)
    for product_id, (cog_facts, cog_footprint) in from_cog.items():
        safe_facts, safe_footprint = from_safe[product_id]
        assert cog_facts == safe_facts, product_id
        differ = cog_footprint.sym_difference(safe_footprint).area
        assert differ < 0.01 * safe_footprint.area, product_id

    # Ingesting the COG copies after the SAFE ones adds nothing: same products.
    assert ingest("ingest_stac", archive / "cog").endswith(
        f"0 added, {len(from_cog)} already present, 0 broken"
    )
