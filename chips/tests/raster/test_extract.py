"""The raster core: windows on the source grid, pixels equal to the source, the GeoTIFF."""

from __future__ import annotations

import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.enums import Compression

from chips.raster.bands import SCL_CLASSES
from chips.raster.chipspec import ChipSpec
from chips.raster.errors import ChipWriteFailed, SourceUnreadable
from chips.raster.extract import band_grid, cut_chips, snap_window, write_atomic
from chips.raster.gdal_env import gdal_path
from testing import ROOT
from testing.rasters import band_values, expected_window, write_band

EPSG = 32631
ULX, ULY = 600000.0, 5800020.0


def spec_for(path: Path, band: str, x: float, y: float, chipsize: float, **extra) -> ChipSpec:
    grid = band_grid(str(path)).transform
    col, row, sx, sy = snap_window(grid, x=x, y=y, chipsize=chipsize)
    return ChipSpec(
        product_id="S2A_MSIL2A_20240601T104031_N0510_R008_T31UFT_20240601T150000",
        band=band, href=str(path), epsg=EPSG, grid=grid, col_off=col, row_off=row,
        size_x=sx, size_y=sy,
        tags=(("PRODUCT", "S2A_MSIL2A_20240601T104031"), ("BAND", band), ("TILE", "31UFT")),
        **extra,
    )  # fmt: skip


@pytest.fixture
def b04(tmp_path: Path) -> tuple[Path, np.ndarray]:
    data = band_values(1, (300, 300))
    return write_band(tmp_path / "B04.tif", data, epsg=EPSG, ulx=ULX, uly=ULY, res=10), data


@pytest.mark.parametrize(
    ("x", "y"),
    [(601234.0, 5798765.0), (601235.0, 5798765.0), (601239.99, 5798760.01), (601500.0, 5798500.0)],
)
def test_chip_pixels_equal_source_and_lie_on_grid(tmp_path: Path, b04, x: float, y: float) -> None:
    path, _ = b04
    spec = spec_for(path, "B04", x, y, 640)
    out = tmp_path / "out" / "chip.tif"
    sizes = cut_chips([(spec, out)])
    assert sizes[spec.key] == out.stat().st_size > 0
    with rasterio.open(out) as chip:
        assert chip.shape == (64, 64)
        left, bottom, right, top = chip.bounds
        # On the source grid: corners are whole 10 m steps from the tile's corner.
        assert (left - ULX) % 10 == 0 and (ULY - top) % 10 == 0
        assert right - left == 640 and top - bottom == 640
        # Centred on the point within half a pixel.
        assert abs((left + right) / 2 - x) <= 5 and abs((top + bottom) / 2 - y) <= 5
        np.testing.assert_array_equal(chip.read(1), expected_window(path, x, y, 640))


def test_geotiff_format(tmp_path: Path, b04) -> None:
    path, _ = b04
    spec = spec_for(path, "B04", 601234, 5798765, 320)
    out = tmp_path / "chip.tif"
    cut_chips([(spec, out)])
    with rasterio.open(out) as chip:
        assert chip.crs.to_epsg() == EPSG
        assert chip.nodata == 0
        assert chip.dtypes == ("uint16",)
        assert chip.compression == Compression.deflate
        tags = chip.tags()
        assert tags["BAND"] == "B04" and tags["TILE"] == "31UFT"


def test_partial_chip_is_filled_with_nodata(tmp_path: Path, b04) -> None:
    path, data = b04
    # 100 m inside the upper-left corner: most of a 640 m chip lies outside the raster.
    x, y = ULX + 100, ULY - 100
    spec = spec_for(path, "B04", x, y, 640)
    out = tmp_path / "chip.tif"
    cut_chips([(spec, out)])
    with rasterio.open(out) as chip:
        arr = chip.read(1)
    expected = expected_window(path, x, y, 640)
    np.testing.assert_array_equal(arr, expected)
    assert (arr == 0).sum() == 64 * 64 - 42 * 42  # chip rows/cols -22..41 => 42 inside
    np.testing.assert_array_equal(arr[22:, 22:], data[:42, :42])


def test_chip_without_valid_pixel_is_dropped(tmp_path: Path, b04) -> None:
    path, _ = b04
    spec = spec_for(path, "B04", ULX - 5000, ULY + 5000, 640)  # wholly outside
    zeros = write_band(
        tmp_path / "zero.tif", np.zeros((100, 100), "uint16"), epsg=EPSG, ulx=ULX, uly=ULY, res=10
    )
    spec_zero = spec_for(zeros, "B04", ULX + 500, ULY - 500, 320)
    out1, out2 = tmp_path / "a.tif", tmp_path / "b.tif"
    sizes = cut_chips([(spec, out1), (spec_zero, out2)])
    assert sizes == {spec.key: 0, spec_zero.key: 0}
    assert not out1.exists() and not out2.exists()


@pytest.mark.parametrize(("tags", "offset"), [((), 0.0), ((("BOA_ADD_OFFSET", "-1000"),), -0.1)])
def test_geotiff_reads_as_reflectance(tmp_path: Path, b04, tags, offset: float) -> None:
    """GDAL readers (QGIS, rasterio) get reflectance as DN * scale + offset: the DN stay."""
    path, _ = b04
    x, y = 601234.0, 5798765.0
    base = spec_for(path, "B04", x, y, 320)
    spec = ChipSpec(**{**base.to_dict(), "grid": base.grid, "tags": base.tags + tags})
    out = tmp_path / "chip.tif"
    cut_chips([(spec, out)])
    with rasterio.open(out) as chip:
        assert chip.scales == (1e-4,)
        assert chip.offsets == pytest.approx((offset,))
        dn = chip.read(1)
    np.testing.assert_array_equal(dn, expected_window(path, x, y, 320))
    # What QGIS shows for a pixel of DN 2500 on baseline 04.00: (2500 - 1000) / 10000.
    assert 2500 * chip.scales[0] + chip.offsets[0] == pytest.approx(0.25 + offset)


def test_scl_chip_keeps_classes_and_colour_table(tmp_path: Path) -> None:
    data = band_values(7, (150, 150), "uint8")
    path = write_band(tmp_path / "SCL.tif", data, epsg=EPSG, ulx=ULX, uly=ULY, res=20)
    x, y = 601111.0, 5798888.0
    spec = spec_for(path, "SCL", x, y, 1280)
    out = tmp_path / "scl.tif"
    cut_chips([(spec, out)])
    with rasterio.open(out) as chip:
        assert chip.shape == (64, 64) and chip.dtypes == ("uint8",)
        arr = chip.read(1)
        np.testing.assert_array_equal(arr, expected_window(path, x, y, 1280))
        assert set(np.unique(arr)) <= set(SCL_CLASSES)
        cmap = chip.colormap(1)
        for value, (_, rgb) in SCL_CLASSES.items():
            assert cmap[value][:3] == rgb
        # Class names travel in the file, as band metadata; codes are not scaled.
        names = chip.tags(1)
        assert names["CLASS_4"] == "Vegetation" and names["CLASS_10"] == "Thin cirrus"
        assert chip.scales == (1.0,) and chip.offsets == (0.0,)


def test_jp2_source(tmp_path: Path) -> None:
    data = band_values(3, (512, 512))
    path = write_band(
        tmp_path / "T31UFT_B08_10m.jp2", data, epsg=EPSG, ulx=ULX, uly=ULY, res=10,
        driver="JP2OpenJPEG",
    )  # fmt: skip
    with rasterio.open(path) as src:  # lossless: the file holds exactly the values
        np.testing.assert_array_equal(src.read(1), data)
    specs = [
        spec_for(path, "B08", ULX + dx, ULY - dy, 1280) for dx, dy in [(2000, 2500), (640, 5000)]
    ]
    jobs = [(s, tmp_path / f"{i}.tif") for i, s in enumerate(specs)]
    cut_chips(jobs)
    for (_, out), (dx, dy) in zip(jobs, [(2000, 2500), (640, 5000)], strict=True):
        with rasterio.open(out) as chip:
            np.testing.assert_array_equal(
                chip.read(1), expected_window(path, ULX + dx, ULY - dy, 1280)
            )


def test_unreadable_source(tmp_path: Path) -> None:
    with pytest.raises(SourceUnreadable):
        band_grid(str(tmp_path / "missing.tif"))


def test_gdal_paths() -> None:
    assert gdal_path("https://host/a/B04.tif") == "/vsicurl/https://host/a/B04.tif"
    assert gdal_path("s3://bucket/k/B04.jp2") == "/vsis3/bucket/k/B04.jp2"
    assert gdal_path("/data/B04.tif") == "/data/B04.tif"


def test_unwritable_store_leaves_nothing(tmp_path: Path, b04) -> None:
    """A store whose folder cannot be made (a file is in the way: a real OS error, which
    even root gets) fails with ChipWriteFailed and leaves no chip behind."""
    path, _ = b04
    (tmp_path / "store").write_bytes(b"not a folder")
    spec = spec_for(path, "B04", 601234, 5798765, 320)
    with pytest.raises(ChipWriteFailed):
        cut_chips([(spec, tmp_path / "store" / "ab" / "chip.tif")])
    assert (tmp_path / "store").read_bytes() == b"not a folder"


def test_process_killed_mid_write_leaves_no_file(tmp_path: Path) -> None:
    """A writer killed halfway (SIGXFSZ at a 64 kB file size limit, a real kernel kill)
    leaves at most a temporary .part- file, never the final name."""
    target = tmp_path / "store" / "chip.tif"
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from chips.raster.extract import write_atomic
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        write_atomic(Path({str(target)!r}), b"x" * 1_000_000)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT)
    assert proc.returncode != 0
    assert not target.exists()
    # Sanity: without the limit the same call writes the whole file.
    write_atomic(target, b"x" * 1_000_000)
    assert target.stat().st_size == 1_000_000
    assert resource.getrlimit(resource.RLIMIT_FSIZE)  # the parent was never limited


def test_real_29rkh_cog_chips(real_fixtures: Path, tmp_path: Path) -> None:
    folder = real_fixtures / "cog-l2a-29RKH"
    for band, chipsize in [("B04", 6400), ("SCL", 6400), ("B8A", 2000)]:
        path = folder / f"{band}.tif"
        with rasterio.open(path) as src:
            left, bottom, right, top = src.bounds
        for x, y in [(left + 30_123, top - 45_678), (right - 1_000, bottom + 1_000)]:
            spec = ChipSpec(
                product_id="S2A_MSIL2A_20200219T112111_N0214_R037_T29RKH_20200219T123947",
                band=band, href=str(path), epsg=32629, grid=band_grid(str(path)).transform,
                col_off=0, row_off=0, size_x=1, size_y=1,
            )  # fmt: skip
            col, row, sx, sy = snap_window(spec.grid, x=x, y=y, chipsize=chipsize)
            spec = ChipSpec(**{**spec.to_dict(), "col_off": col, "row_off": row,
                               "size_x": sx, "size_y": sy, "grid": spec.grid})  # fmt: skip
            out = tmp_path / f"{band}-{x}.tif"
            cut_chips([(spec, out)])
            with rasterio.open(out) as chip:
                assert chip.crs.to_epsg() == 32629
                assert chip.res == src.res  # the file's own 100/200 m grid, not the item's
                assert chip.shape == (round(chipsize / src.res[0]),) * 2
                np.testing.assert_array_equal(chip.read(1), expected_window(path, x, y, chipsize))
