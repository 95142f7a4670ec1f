"""ingest_stac on real Earth Search v0/v1 and Planetary Computer items, the real 29RKH COGs,
and a Copernicus Data Space item written here. Expected values come from the JSON read
with json here, and from the COG files read with rasterio."""

from __future__ import annotations

import copy
import json
import os
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import rasterio
from django.core.management import CommandError, call_command

from chips.models import Asset, Scene
from chips.raster.bands import BAND_RESOLUTION, L2A_BANDS

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest_stac", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def product_id_of(item: dict[str, Any]) -> str:
    props = item["properties"]
    uri = props.get("s2:product_uri") or props.get("sentinel:product_id") or item["id"]
    return uri.removesuffix(".SAFE")


@pytest.fixture
def items_dir(real_fixtures: Path) -> Path:
    return real_fixtures / "stac-items"


def test_real_items_of_each_flavour(items_dir: Path) -> None:
    out, err = run(str(items_dir))
    files = sorted(items_dir.glob("*.json"))
    assert out.strip() == f"{len(files)} found, {len(files)} added, 0 already present, 0 broken"
    assert err == ""

    for path in files:
        item = json.loads(path.read_text())
        props = item["properties"]
        product_id = product_id_of(item)
        scene = Scene.objects.get(product_id=product_id)
        parts = product_id.split("_")
        assert scene.tile == parts[5][1:]
        assert scene.relative_orbit == int(parts[4][1:])
        assert scene.sensing_key == parts[2]  # the datatake start, not the tile's datetime
        assert scene.processing_baseline == f"{parts[3][1:3]}.{parts[3][3:]}"
        assert scene.epsg == props["proj:epsg"]
        assert scene.cloud_cover == pytest.approx(props["eo:cloud_cover"])
        assert scene.radiometric_offset == 0  # all baselines here are before 04.00
        assert scene.source_format == "stac" and scene.source_href == str(path)
        west, south, east, north = scene.footprint.extent
        assert [west, south, east, north] == pytest.approx(item["bbox"])

        # 13 band assets, each the item's own href (remote hrefs are kept as they are).
        assets = {a.band: a for a in scene.assets.all()}
        assert sorted(assets) == sorted(L2A_BANDS)
        red = item["assets"].get("red") or item["assets"]["B04"]
        assert assets["B04"].href == red["href"] and red["href"].startswith("https://")
        assert all(a.resolution == BAND_RESOLUTION[a.band] for a in assets.values())


def test_second_ingest_adds_nothing(items_dir: Path) -> None:
    run(str(items_dir))
    counts = (Scene.objects.count(), Asset.objects.count())
    out, _ = run(str(items_dir))
    assert out.strip() == f"{counts[0]} found, 0 added, {counts[0]} already present, 0 broken"
    assert (Scene.objects.count(), Asset.objects.count()) == counts


def local_29rkh_item(real_fixtures: Path, folder: Path) -> Path:
    """The real 29RKH item with its band hrefs pointing at the local COGs (relative to the
    item file, the STAC way); bands with no local COG are dropped."""
    cogs = real_fixtures / "cog-l2a-29RKH"
    item = json.loads((cogs / "S2A_29RKH_20200219_0_L2A.json").read_text())
    kept = {}
    for key, asset in item["assets"].items():
        local = cogs / asset["href"].rsplit("/", 1)[-1]
        if asset["href"].endswith(".tif") and local.is_file():
            kept[key] = {**asset, "href": os.path.relpath(local, folder)}
    item["assets"] = kept
    item["links"] = []
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "S2A_29RKH_20200219_0_L2A.json"
    path.write_text(json.dumps(item))
    return path


def test_local_cogs_resolve_against_the_item_folder(real_fixtures: Path, tmp_path: Path) -> None:
    path = local_29rkh_item(real_fixtures, tmp_path / "items")
    out, _ = run(str(path))
    assert out.strip() == "1 found, 1 added, 0 already present, 0 broken"
    scene = Scene.objects.get()
    tifs = sorted((real_fixtures / "cog-l2a-29RKH").glob("*.tif"))
    assert sorted(a.band for a in scene.assets.all()) == sorted(p.stem for p in tifs)
    for asset in scene.assets.all():
        assert Path(asset.href) == (real_fixtures / "cog-l2a-29RKH" / f"{asset.band}.tif")
        with rasterio.open(asset.href) as src:
            assert src.crs.to_epsg() == scene.epsg == 32629


def test_missing_local_band_file_is_broken(real_fixtures: Path, tmp_path: Path) -> None:
    good = local_29rkh_item(real_fixtures, tmp_path / "good")
    item = json.loads(good.read_text())
    item["assets"]["red"]["href"] = "B04-gone.tif"
    bad = tmp_path / "bad" / "item.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps(item))
    out, err = run(str(tmp_path))
    assert out.strip() == "2 found, 1 added, 0 already present, 1 broken"
    assert re.search(rf"broken: {re.escape(str(bad))}: missing band file \S*B04-gone\.tif", err)


def cdse_item() -> dict[str, Any]:
    """A Copernicus Data Space STAC 1.1 item as its API returns them (abridged)."""
    pid = "S2A_MSIL2A_20240615T105031_N0510_R051_T31UFU_20240615T143120"
    base = (
        f"s3://eodata/Sentinel-2/MSI/L2A/2024/06/15/{pid}.SAFE/GRANULE/"
        "L2A_T31UFU_A046985_20240615T105413/IMG_DATA"
    )
    assets = {}
    for band, resolutions in {
        "B02": (10, 20, 60), "B04": (10, 20, 60), "B05": (20, 60), "B8A": (20, 60),
        "B01": (20, 60), "SCL": (20, 60), "TCI": (10, 20, 60), "AOT": (10, 20, 60),
    }.items():  # fmt: skip
        for res in resolutions:
            assets[f"{band}_{res}m"] = {
                "href": f"{base}/R{res}m/T31UFU_20240615T105031_{band}_{res}m.jp2",
                "type": "image/jp2",
                "roles": ["data"],
                "gsd": res,
                "proj:code": "EPSG:32631",
                "bands": [{"name": band}],
                "alternate": {"https": {"href": f"https://download.dataspace.example/{band}"}},
            }
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [
            "https://stac-extensions.github.io/projection/v2.0.0/schema.json",
            "https://stac-extensions.github.io/sat/v1.0.0/schema.json",
            "https://stac-extensions.github.io/grid/v1.1.0/schema.json",
            "https://stac-extensions.github.io/processing/v1.2.0/schema.json",
            "https://stac-extensions.github.io/eo/v2.0.0/schema.json",
        ],
        "id": pid,
        "collection": "sentinel-2-l2a",
        "bbox": [5.8388, 50.4599, 7.4208, 51.4469],
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [5.8388, 51.4469],
                    [7.4208, 51.4286],
                    [7.3789, 50.4599],
                    [5.8670, 50.4769],
                    [5.8388, 51.4469],
                ]
            ],
        },  # fmt: skip
        "properties": {
            "datetime": "2024-06-15T10:54:13.489000Z",
            "start_datetime": "2024-06-15T10:54:13.489000Z",
            "end_datetime": "2024-06-15T10:54:13.489000Z",
            "platform": "sentinel-2a",
            "constellation": "sentinel-2",
            "instruments": ["msi"],
            "eo:cloud_cover": 12.34,
            "sat:relative_orbit": 51,
            "sat:orbit_state": "descending",
            "grid:code": "MGRS-31UFU",
            "proj:code": "EPSG:32631",
            "processing:version": "05.10",
            "product:type": "S2MSI2A",
        },
        "links": [],
        "assets": assets,
    }


def test_copernicus_data_space_item(tmp_path: Path) -> None:
    item = cdse_item()
    path = tmp_path / "cdse.json"
    path.write_text(json.dumps(item))
    out, _ = run(str(path))
    assert out.strip() == "1 found, 1 added, 0 already present, 0 broken"
    scene = Scene.objects.get(product_id=item["id"])
    assert (scene.tile, scene.epsg, scene.relative_orbit) == ("31UFU", 32631, 51)
    assert scene.processing_baseline == "05.10"
    assert scene.radiometric_offset == -1000  # baseline >= 04.00, DNs as the SAFE has them
    assert scene.sensing_key == "20240615T105031"
    # Each band at its native resolution; s3:// hrefs kept for the extractor's /vsis3/.
    hrefs = {a.band: a.href for a in scene.assets.all()}
    assert set(hrefs) == {"B01", "B02", "B04", "B05", "B8A", "SCL"}
    assert hrefs == {b: item["assets"][f"{b}_{BAND_RESOLUTION[b]}m"]["href"] for b in hrefs}
    assert all(h.startswith("s3://eodata/") for h in hrefs.values())


@pytest.mark.parametrize(("applied", "offset"), [(False, -1000), (True, 0)])
def test_earth_search_offset_follows_boa_offset_applied(
    items_dir: Path, tmp_path: Path, applied: bool, offset: int
) -> None:
    item = json.loads(next(items_dir.glob("earthsearch-v1_*.json")).read_text())
    props = item["properties"]
    props["s2:processing_baseline"] = "05.09"
    props["s2:product_uri"] = props["s2:product_uri"].replace("_N0214_", "_N0509_")
    props["earthsearch:boa_offset_applied"] = applied
    path = tmp_path / "item.json"
    path.write_text(json.dumps(item))
    run(str(path))
    assert Scene.objects.get().radiometric_offset == offset


def test_item_collection_and_broken_files(items_dir: Path, tmp_path: Path) -> None:
    features = [json.loads(p.read_text()) for p in sorted(items_dir.glob("*.json"))[:2]]
    broken_item = copy.deepcopy(features[0])
    broken_item["id"] = "no-geometry"
    broken_item["geometry"] = None
    collection = {"type": "FeatureCollection", "features": [*features, broken_item]}
    (tmp_path / "collection.json").write_text(json.dumps(collection))
    (tmp_path / "other.json").write_text(json.dumps({"hello": "world"}))
    (tmp_path / "truncated.json").write_text(json.dumps(features[0])[:300])
    (tmp_path / "catalog.json").write_text(
        json.dumps({"type": "Catalog", "id": "c", "stac_version": "1.0.0", "links": []})
    )

    out, err = run(str(tmp_path))
    assert out.strip() == "5 found, 2 added, 0 already present, 3 broken"
    assert re.search(r"broken: \S*collection\.json#no-geometry: item has no geometry", err)
    assert re.search(r"broken: \S*other\.json: not a STAC item or item collection", err)
    assert re.search(r"broken: \S*truncated\.json: not a JSON file", err)
    assert "catalog.json" not in err
    assert set(Scene.objects.values_list("product_id", flat=True)) == {
        product_id_of(f) for f in features
    }


def test_nothing_readable_fails(tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text("{}")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="no STAC item could be read"):
        call_command("ingest_stac", str(tmp_path), stdout=out, stderr=err)
    assert out.getvalue().strip() == "1 found, 0 added, 0 already present, 1 broken"
    with pytest.raises(CommandError, match="not found"):
        run(str(tmp_path / "absent"))
