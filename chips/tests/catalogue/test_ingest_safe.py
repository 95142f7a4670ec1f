"""ingest_safe on the real SAFE metadata and on tiny products with real JP2 pixels.

Expected values are read from the fixture XML here with regular expressions, not through
the parser under test.
"""

from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command

from chips.models import Asset, Scene
from chips.raster.bands import BAND_RESOLUTION, L1C_BANDS, L2A_BANDS

pytestmark = pytest.mark.django_db

KAB = "S2A_MSIL2A_20230821T221941_N0509_R029_T01KAB_20230822T021825"  # crosses 180
XWJ = "S2B_MSIL2A_20220413T150759_N0400_R025_T33XWJ_20220414T082126"
CCV = "S2B_MSIL2A_20191228T210519_N0212_R071_T01CCV_20201003T104658"
RER = "S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248"
EXPECTED_OFFSET = {KAB: -1000, XWJ: -1000, CCV: 0, RER: 0}


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest_safe", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def xml_value(path: Path, tag: str) -> str:
    match = re.search(rf"<(?:\w+:)?{tag}\b[^>]*>([^<]+)<", path.read_text())
    assert match, f"{tag} not in {path}"
    return match[1].strip()


def pos_list(safe: Path) -> list[tuple[float, float]]:
    """(lon, lat) of the footprint as the product metadata writes it (lat lon pairs)."""
    mtd = next(safe.glob("MTD_MSIL*.xml"))
    values = [float(v) for v in xml_value(mtd, "EXT_POS_LIST").split()]
    return [(values[i + 1], values[i]) for i in range(0, len(values), 2)]


def shoelace(points: list[tuple[float, float]]) -> float:
    xs, ys = np.array(points).T
    return abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))) / 2


@pytest.fixture
def safe_dir(real_fixtures: Path) -> Path:
    return real_fixtures / "safe-metadata"


def test_real_metadata_ingests_with_facts_from_the_xml(safe_dir: Path) -> None:
    out, _ = run(str(safe_dir), "--allow-missing-bands")
    assert out.strip() == "4 found, 4 added, 0 already present, 0 broken"

    for safe in sorted(safe_dir.glob("*.SAFE")):
        product_id = safe.name.removesuffix(".SAFE")
        scene = Scene.objects.get(product_id=product_id)
        mtd = next(safe.glob("MTD_MSIL*.xml"))
        tl = next(safe.glob("GRANULE/*/MTD_TL.xml"))
        assert scene.epsg == int(xml_value(tl, "HORIZONTAL_CS_CODE").split(":")[1])
        assert scene.sensing_key == product_id.split("_")[2]
        assert scene.tile == product_id.split("_")[5][1:]
        assert scene.relative_orbit == int(product_id.split("_")[4][1:])
        assert scene.processing_baseline == xml_value(mtd, "PROCESSING_BASELINE")
        assert scene.cloud_cover == pytest.approx(
            float(xml_value(mtd, "Cloud_Coverage_Assessment"))
        )
        assert scene.radiometric_offset == EXPECTED_OFFSET[product_id]
        assert scene.mission == product_id[:3]
        assert scene.level == ("LEVEL1C" if "MSIL1C" in product_id else "LEVEL2A")
        assert scene.source_format == "safe"

        # One asset per band, at its native resolution, where the MTD says the file is.
        expected_bands = L1C_BANDS if scene.level == "LEVEL1C" else L2A_BANDS
        assets = {a.band: a for a in scene.assets.all()}
        assert sorted(assets) == sorted(expected_bands)
        for band, asset in assets.items():
            assert asset.resolution == BAND_RESOLUTION[band]
            assert Path(asset.href).is_relative_to(safe)
            if scene.level == "LEVEL2A":
                assert f"/R{asset.resolution}m/" in asset.href
                assert (
                    asset.href.split("/")[-1].split(".")[0].endswith(f"_{band}_{asset.resolution}m")
                )

        assert scene.footprint.valid
        points = pos_list(safe)
        lons = [x for x, _ in points]
        lats = [y for _, y in points]
        west, south, east, north = scene.footprint.extent
        assert south == pytest.approx(min(lats)) and north == pytest.approx(max(lats))
        if product_id != KAB:
            assert len(scene.footprint) == 1
            assert west == pytest.approx(min(lons)) and east == pytest.approx(max(lons))
            assert scene.footprint.area == pytest.approx(shoelace(points), rel=1e-9)


def test_antimeridian_footprint_is_split_into_two_valid_parts(safe_dir: Path) -> None:
    run(str(safe_dir), "--allow-missing-bands")
    footprint = Scene.objects.get(product_id=KAB).footprint
    # The metadata ring, unwrapped to 0..360, is the true shape; its area is kept.
    unwrapped = [(lon % 360, lat) for lon, lat in pos_list(safe_dir / f"{KAB}.SAFE")]
    assert len(footprint) == 2 and footprint.valid
    assert footprint.area == pytest.approx(shoelace(unwrapped), rel=1e-9)
    assert sorted(round(p.extent[0]) for p in footprint) == [-180, 179]
    assert sorted(round(p.extent[2]) for p in footprint) == [-180, 180]
    # Spatial queries see it on both sides of the antimeridian, and not in between.
    in_range = Scene.objects.filter(product_id=KAB)
    assert in_range.filter(footprint__intersects=Point(179.6, -16.7, srid=4326)).exists()
    assert in_range.filter(footprint__intersects=Point(-179.8, -16.7, srid=4326)).exists()
    assert not in_range.filter(footprint__intersects=Point(0, -16.7, srid=4326)).exists()


def test_second_ingest_adds_nothing(safe_dir: Path) -> None:
    run(str(safe_dir), "--allow-missing-bands")
    counts = (Scene.objects.count(), Asset.objects.count())
    ids = set(Scene.objects.values_list("id", flat=True))
    out, _ = run(str(safe_dir), "--allow-missing-bands")
    assert out.strip() == "4 found, 0 added, 4 already present, 0 broken"
    assert (Scene.objects.count(), Asset.objects.count()) == counts == (4, 4 * 13)
    assert set(Scene.objects.values_list("id", flat=True)) == ids


def test_metadata_only_products_are_broken_without_the_option(safe_dir: Path) -> None:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="no product could be read"):
        call_command("ingest_safe", str(safe_dir), stdout=out, stderr=err)
    assert out.getvalue().strip() == "4 found, 0 added, 0 already present, 4 broken"
    for name in (KAB, XWJ, CCV, RER):
        assert re.search(rf"broken: \S*{name}\.SAFE: no band files.*IMG_DATA", err.getvalue())
    assert Scene.objects.count() == 0


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        run(str(tmp_path / "nowhere"))


def write_band_files(product: Path, epsg: int) -> int:
    """Tiny real JP2 files at every native-resolution path the MTD lists; returns how many."""
    mtd = next(product.glob("MTD_MSIL*.xml")).read_text()
    written = 0
    for entry in re.findall(r"<IMAGE_FILE>([^<]+)</IMAGE_FILE>", mtd):
        match = re.search(r"_(B\w\w|SCL)_(\d\d)m$", entry)
        if not match or match[1] not in L2A_BANDS or int(match[2]) != BAND_RESOLUTION[match[1]]:
            continue
        path = product / f"{entry}.jp2"
        path.parent.mkdir(parents=True, exist_ok=True)
        res = int(match[2])
        data = np.full((1, 32, 32), 1000 + written, dtype="uint16")
        with rasterio.open(
            path, "w", driver="JP2OpenJPEG", width=32, height=32, count=1, dtype="uint16",
            crs=f"EPSG:{epsg}", transform=Affine(res, 0, 99960, 0, -res, 8000020),
            QUALITY=100, REVERSIBLE="YES", blockxsize=32, blockysize=32,
        ) as dst:  # fmt: skip
            dst.write(data)
        written += 1
    return written


@pytest.fixture
def eodata(safe_dir: Path, tmp_path: Path) -> Path:
    """An eodata-style tree: one good L2A with pixels, and three broken products."""
    root = tmp_path / "eodata"
    day = root / "Sentinel-2/MSI/L2A/2023/08/21"
    good = day / f"{KAB}.SAFE"
    shutil.copytree(safe_dir / f"{KAB}.SAFE", good)
    assert write_band_files(good, 32701) == 13

    missing = root / "Sentinel-2/MSI/L2A/2023/08/22" / f"{KAB}.SAFE"
    shutil.copytree(good, missing)
    next(missing.glob("GRANULE/*/IMG_DATA/R20m/*_B8A_20m.jp2")).unlink()

    truncated = root / "Sentinel-2/MSI/L2A/2022/04/13" / f"{XWJ}.SAFE"
    shutil.copytree(safe_dir / f"{XWJ}.SAFE", truncated)
    mtd = truncated / "MTD_MSIL2A.xml"
    mtd.write_bytes(mtd.read_bytes()[:5000])

    not_a_product = root / "Sentinel-2/MSI/L2A/2023/08/23/notes.SAFE"
    not_a_product.mkdir(parents=True)
    (not_a_product / "README.txt").write_text("not a product")
    return root


def test_tiny_product_with_pixels_ingests_and_broken_ones_are_skipped(eodata: Path) -> None:
    out, err = run(str(eodata))
    assert out.strip() == "4 found, 1 added, 0 already present, 3 broken"
    assert re.search(r"broken: \S*/08/22/\S*\.SAFE: missing band file \S*_B8A_20m\.jp2", err)
    assert re.search(r"broken: \S*/04/13/\S*\.SAFE: MTD_MSIL2A\.xml is not well-formed", err)
    assert re.search(r"broken: \S*notes\.SAFE: no MTD_MSIL1C\.xml or MTD_MSIL2A\.xml", err)

    scene = Scene.objects.get()
    assert scene.product_id == KAB
    assert scene.source_href.endswith(f"2023/08/21/{KAB}.SAFE")
    assert scene.assets.count() == 13
    for asset in scene.assets.all():
        with rasterio.open(asset.href) as src:
            assert src.driver == "JP2OpenJPEG"
            assert src.crs.to_epsg() == scene.epsg
            assert src.res == (asset.resolution, asset.resolution)

    out, _ = run(str(eodata))
    assert out.strip() == "4 found, 0 added, 1 already present, 3 broken"
    assert Scene.objects.count() == 1 and Asset.objects.count() == 13
