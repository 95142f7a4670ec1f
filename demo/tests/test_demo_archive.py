"""The synthetic demo archive: real tile grids, consistent pixels, real file formats."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
import rasterio
import shapely
from django.contrib.gis.gdal import DataSource
from pyproj import Transformer
from rasterio.transform import rowcol
from shapely.geometry.base import BaseGeometry

from demo.generator.archive import build_archive
from demo.generator.mgrs import tile_grid

pytestmark = pytest.mark.slow


def _reproject(geom: BaseGeometry, src: object, dst: object) -> BaseGeometry:
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def _find(root: ET.Element, tag: str) -> ET.Element:
    """First element with this local name, whatever its namespace."""
    for el in root.iter():
        if el.tag.split("}")[-1] == tag:
            return el
    raise AssertionError(f"no <{tag}>")


def _text(root: ET.Element, tag: str) -> str:
    """The text of the first element with this local name."""
    text = _find(root, tag).text
    if text is None:
        raise AssertionError(f"<{tag}> is empty")
    return text


def _findall(root: ET.Element, tag: str) -> list[ET.Element]:
    return [el for el in root.iter() if el.tag.split("}")[-1] == tag]


def _products(archive: Path, level: str, tile: str = "") -> list[Path]:
    return sorted((archive / "safe" / "Sentinel-2" / "MSI" / level).glob(f"*/*/*/*_T{tile}*.SAFE"))


def _band(safe: Path, band: str, res: int) -> Path:
    return next(safe.glob(f"GRANULE/*/IMG_DATA/R{res}m/*_{band}_{res}m.jp2"))


def _tile_md(safe: Path) -> ET.Element:
    return ET.parse(next(safe.glob("GRANULE/*/MTD_TL.xml"))).getroot()


@pytest.mark.realdata
def test_tile_corner_matches_real_mtd_tl(real_fixtures: Path) -> None:
    files = sorted((real_fixtures / "safe-metadata").glob("*.SAFE/GRANULE/*/MTD_TL.xml"))
    assert len(files) == 4
    for path in files:
        tile = path.parent.name.split("_")[1][1:]
        root = ET.parse(path).getroot()
        pos = next(g for g in _findall(root, "Geoposition") if g.get("resolution") == "10")
        grid = tile_grid(tile)
        assert (grid.ulx, grid.uly) == (int(_text(pos, "ULX")), int(_text(pos, "ULY")))
        assert f"EPSG:{grid.epsg}" == _text(root, "HORIZONTAL_CS_CODE")


def test_manifest_and_tiles_overlap_across_zones(demo_archive: Path) -> None:
    manifest = json.loads((demo_archive / "demo.json").read_text())
    assert manifest["aoi"] == "nl" and manifest["parcels_epsg"] == 28992
    assert manifest["layouts"] == ["safe", "cog"]
    windows = {}
    epsgs = {}
    for tile in manifest["tiles"]:
        root = _tile_md(_products(demo_archive, "L2A", tile)[0])
        epsg = int(_text(root, "HORIZONTAL_CS_CODE").split(":")[1])
        pos = next(g for g in _findall(root, "Geoposition") if g.get("resolution") == "10")
        size = next(s for s in _findall(root, "Size") if s.get("resolution") == "10")
        ulx, uly = int(_text(pos, "ULX")), int(_text(pos, "ULY"))
        ncols, nrows = int(_text(size, "NCOLS")), int(_text(size, "NROWS"))
        box = shapely.box(ulx, uly - 10 * nrows, ulx + 10 * ncols, uly)
        windows[tile] = _reproject(box, epsg, 4326)
        epsgs[tile] = epsg
        # The window lies on the tile's own 60 m lattice, inside the tile.
        grid = tile_grid(tile)
        assert (ulx - grid.ulx) % 60 == 0 and (grid.uly - uly) % 60 == 0
        assert grid.ulx <= ulx and ulx + 10 * ncols <= grid.ulx + 109800
    assert sorted(epsgs.values()) == [32631, 32631, 32632]
    shared = shapely.intersection_all(list(windows.values()))
    assert shared.area > 0.4 * min(w.area for w in windows.values())
    w, s, e, n = manifest["bbox_wgs84"]
    assert shapely.box(w, s, e, n).buffer(1e-6).contains(shapely.union_all(list(windows.values())))


def _read_at(path: Path, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    with rasterio.open(path) as src:
        xs, ys = Transformer.from_crs(4326, src.crs, always_xy=True).transform(lon, lat)
        rows, cols = rowcol(src.transform, xs, ys)
        data = src.read(1)
    return data[np.asarray(rows), np.asarray(cols)].astype(float)


def test_same_ground_agrees_between_tiles_of_a_datatake(demo_archive: Path) -> None:
    takes = {p.name.split("_")[2] for p in _products(demo_archive, "L2A") if "_R051_" in p.name}
    key = sorted(takes)[0]
    safes = {p.name.split("_")[5][1:]: p for p in _products(demo_archive, "L2A") if key in p.name}
    assert len(safes) == 3
    rng = np.random.default_rng(0)
    for a, b in (("31UFU", "31UGU"), ("31UGU", "32UKD"), ("31UFU", "32UKD")):
        boxes = []
        for t in (a, b):
            with rasterio.open(_band(safes[t], "B08", 10)) as src:
                boxes.append(_reproject(shapely.box(*src.bounds), src.crs, 4326))
        common = boxes[0].intersection(boxes[1]).buffer(-0.0002)
        w, s, e, n = common.bounds
        lon, lat = rng.uniform(w, e, 4000), rng.uniform(s, n, 4000)
        keep = shapely.contains_xy(common, lon, lat)
        lon, lat = lon[keep], lat[keep]
        va = _read_at(_band(safes[a], "B08", 10), lon, lat)
        vb = _read_at(_band(safes[b], "B08", 10), lon, lat)
        both = (va > 0) & (vb > 0)
        assert both.sum() > 1000
        diff = np.abs(va - vb)[both]  # DN: 100 = 0.01 reflectance
        assert np.median(diff) < 150, (a, b)
        assert (diff < 400).mean() > 0.8, (a, b)


def test_scl_follows_clouds_and_shadows(demo_archive: Path) -> None:
    safes = _products(demo_archive, "L2A", "31UGU")
    blue = []
    nir = []
    scls = []
    for safe in safes:
        with rasterio.open(_band(safe, "B02", 20)) as src:
            blue.append(src.read(1).astype(float) / 10000 - 0.1)  # BOA_ADD_OFFSET -1000
        with rasterio.open(_band(safe, "B8A", 20)) as src:
            nir.append(src.read(1).astype(float))
        with rasterio.open(_band(safe, "SCL", 20)) as src:
            scls.append(src.read(1))
    blue_a, nir_a, scl_a = np.array(blue), np.array(nir), np.array(scls)
    bright = blue_a > 0.3
    assert bright.sum() > 1000, "some scene should be cloudy"
    assert np.isin(scl_a[bright], (8, 9, 10)).mean() > 0.99
    clear = np.isin(scl_a, (4, 5))
    shadow = scl_a == 3
    assert shadow.sum() > 200, "some scene should have cloud shadows"
    ratios = []
    for i in range(len(safes)):
        for j in sorted(range(len(safes)), key=lambda j: abs(j - i))[1:]:
            pix = shadow[i] & clear[j]
            if pix.sum() > 50:
                ratios.append(nir_a[i][pix].mean() / nir_a[j][pix].mean())
                break
    assert ratios and np.mean(ratios) < 0.8


def test_wedge_product_has_nodata_outside_its_footprint(demo_archive: Path) -> None:
    for level in ("L2A", "L1C"):
        safe = next(p for p in _products(demo_archive, level, "31UFU") if "_R008_" in p.name)
        root = ET.parse(safe / f"MTD_MSI{level}.xml").getroot()
        values = [float(v) for v in _text(root, "EXT_POS_LIST").split()]
        ring_ll = list(zip(values[1::2], values[0::2], strict=True))  # lat lon pairs
        for jp2 in safe.glob("GRANULE/*/IMG_DATA/**/*.jp2"):
            with rasterio.open(jp2) as src:
                foot = _reproject(shapely.Polygon(ring_ll), 4326, src.crs)
                data = src.read(1)
                res = src.res[0]
                cols, rows = np.meshgrid(np.arange(src.width), np.arange(src.height))
                xs = src.transform.c + (cols + 0.5) * res
                ys = src.transform.f - (rows + 0.5) * res
            inner = shapely.contains_xy(foot.buffer(-res), xs, ys)
            outer = ~shapely.contains_xy(foot.buffer(res), xs, ys)
            assert outer.sum() > 0, jp2.name
            assert (data[inner] > 0).all(), jp2.name
            assert (data[outer] == 0).all(), jp2.name
    full = next(p for p in _products(demo_archive, "L2A", "31UGU") if "_R008_" in p.name)
    with rasterio.open(_band(full, "B04", 10)) as src:
        assert (src.read(1) > 0).all()


def test_jp2_files_are_written_like_real_ones(demo_archive: Path) -> None:
    safe = _products(demo_archive, "L2A", "32UKD")[0]
    root = _tile_md(safe)
    pos = {g.get("resolution"): g for g in _findall(root, "Geoposition")}
    size = {s.get("resolution"): s for s in _findall(root, "Size")}
    listed = {e.text for e in _findall(ET.parse(safe / "MTD_MSIL2A.xml").getroot(), "IMAGE_FILE")}
    for band, res, dtype in (
        ("B04", 10, "uint16"),
        ("B11", 20, "uint16"),
        ("SCL", 20, "uint8"),
        ("B09", 60, "uint16"),
    ):
        path = _band(safe, band, res)
        assert str(path.relative_to(safe))[: -len(".jp2")] in listed
        with rasterio.open(path) as src:
            assert src.driver == "JP2OpenJPEG"
            assert src.dtypes[0] == dtype
            # 1024 px tiles as in real products; a smaller window is a single tile.
            side = min(1024, src.width)
            assert src.block_shapes[0] == (side, side)
            assert src.crs.to_epsg() == 32632
            ulx, uly = int(_text(pos[str(res)], "ULX")), int(_text(pos[str(res)], "ULY"))
            assert tuple(src.transform)[:6] == (res, 0.0, ulx, 0.0, -res, uly)
            assert src.height == int(_text(size[str(res)], "NROWS"))
            assert src.width == int(_text(size[str(res)], "NCOLS"))
    l1c = _products(demo_archive, "L1C", "32UKD")[0]
    assert len(list(l1c.glob("GRANULE/*/IMG_DATA/T32UKD_*_B10.jp2"))) == 1
    md = ET.parse(safe / "MTD_MSIL2A.xml").getroot()
    assert _text(md, "PROCESSING_BASELINE") == "05.10"
    assert {e.text for e in _findall(md, "BOA_ADD_OFFSET")} == {"-1000"}
    # One datatake: the same sensing time in every tile's product.
    key = safe.name.split("_")[2]
    assert len([p for p in _products(demo_archive, "L2A") if f"_{key}_" in p.name]) == 3


def test_parcels_geopackage(demo_archive: Path) -> None:
    layer = DataSource(str(demo_archive / "parcels" / "demo_parcels.gpkg"))["parcels"]
    assert layer.srs.srid == 28992
    assert {"pid", "crop_name", "crop_code"} <= set(layer.fields)
    assert len(layer) > 50  # the fields inside every tile's data (test_demo_coverage.py)
    pids = layer.get_fields("pid")
    assert len(set(pids)) == len(pids) and all(isinstance(p, str) for p in pids)
    assert "Mais, snij-" in set(layer.get_fields("crop_name"))


def test_cog_items(demo_archive: Path) -> None:
    items = sorted((demo_archive / "cog").glob("*/*/*/*/*/*/*.json"))
    assert len(items) == len(_products(demo_archive, "L2A"))
    item = json.loads(items[0].read_text())
    for key in (
        "proj:epsg",
        "grid:code",
        "s2:processing_baseline",
        "s2:product_uri",
        "eo:cloud_cover",
        "sat:relative_orbit",
        "datetime",
    ):
        assert key in item["properties"]
    expected = {
        "coastal",
        "blue",
        "green",
        "red",
        "rededge1",
        "rededge2",
        "rededge3",
        "nir",
        "nir08",
        "nir09",
        "swir16",
        "swir22",
        "scl",
    }
    assert set(item["assets"]) == expected
    red = items[0].parent / item["assets"]["red"]["href"]
    with rasterio.open(red) as src:
        assert src.crs.to_epsg() == item["properties"]["proj:epsg"]
        assert src.block_shapes[0] == (512, 512) or src.width < 512
        assert src.overviews(1) and src.nodata == 0
        assert src.compression.name == "deflate"
    assert item["assets"]["red"]["raster:bands"][0]["offset"] == -0.1


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    def build(name: str, seed: int) -> Path:
        build_archive(
            tmp_path / name,
            layouts=("cog",),
            seed=seed,
            size=120,
            start=date(2024, 6, 3),
            end=date(2024, 6, 3),
        )
        return next((tmp_path / name / "cog").glob("31/U/FU/*/*/*/B04.tif"))

    a, b, c = build("a", 5), build("b", 5), build("c", 6)
    assert a.read_bytes() == b.read_bytes()
    with rasterio.open(a) as sa, rasterio.open(c) as sc:
        assert (sa.read(1) != sc.read(1)).any()


def test_smaller_fields_and_parcels_in_any_tile(tmp_path: Path) -> None:
    """What the bulk benchmark builds: --field-scale makes smaller fields, --parcels-in
    any keeps those inside some tile's data (each product then covers a part of them)."""

    def parcels(
        name: str, field_scale: float = 1.0, parcels_in: str = "every"
    ) -> tuple[list[BaseGeometry], dict]:
        manifest = build_archive(tmp_path / name, layouts=("cog",), size=360,
                                 start=date(2024, 6, 3), end=date(2024, 6, 3),
                                 field_scale=field_scale, parcels_in=parcels_in)  # fmt: skip
        layer = DataSource(str(tmp_path / name / manifest["parcels"]))[0]
        return [shapely.from_wkt(f.geom.wkt) for f in layer], manifest

    every, _ = parcels("every")
    small, manifest = parcels("small", field_scale=0.5, parcels_in="any")
    assert manifest["field_scale"] == 0.5 and manifest["parcels_in"] == "any"
    # Sides halved: a quarter of the area (ditches aside), so several times as many.
    assert np.mean([p.area for p in small]) < 0.4 * np.mean([p.area for p in every])
    assert len(small) > 4 * len(every)
    # Each parcel lies inside the data of at least one product, not always of all three.
    to_national = Transformer.from_crs(4326, 28992, always_xy=True)
    footprints = []
    for item in (tmp_path / "small" / "cog").rglob("*.json"):
        ring = json.loads(item.read_text())["geometry"]["coordinates"][0]
        footprints.append(shapely.Polygon([to_national.transform(x, y) for x, y in ring]))
    inside = [sum(f.buffer(1).contains(p) for f in footprints) for p in small]
    assert min(inside) >= 1
    assert min(inside) < len(footprints)
