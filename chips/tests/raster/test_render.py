"""chips.raster.render: PNG composites checked pixel by pixel against stretches computed here.

Every expectation is computed in the test from the source arrays (numpy percentiles,
resampling written out by hand), never by feeding the renderer's output back.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from PIL import Image
from PIL.PngImagePlugin import PngImageFile
from rasterio.windows import Window
from shapely.geometry import Polygon

from chips.composite.params import parse_bands, parse_lut
from chips.raster.render import BandArray, Lut, cloud_share, render_composite
from common.errors import BadParameter

CRS = "EPSG:32631"
X0, Y0 = 600_000.0, 5_700_000.0
T10 = Affine(10, 0, X0, 0, -10, Y0)
T20 = Affine(20, 0, X0, 0, -20, Y0)
YELLOW = (255, 255, 0, 255)


def png_text(png: bytes) -> dict[str, str]:
    image = Image.open(io.BytesIO(png))
    assert isinstance(image, PngImageFile)
    return dict(image.text)


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    return np.asarray(image)


def expected_stretch(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((values.astype(np.float64) - lo) / (hi - lo) * 255.0, 0, 255)


def assert_close(actual: np.ndarray, expected: np.ndarray, *, tolerance: float = 1.0) -> None:
    # One grey level of slack: float32 arithmetic and rounding may differ by half a level.
    diff = np.abs(actual.astype(np.float64) - expected)
    assert diff.max() <= tolerance, (
        f"max difference {diff.max()} at {np.unravel_index(diff.argmax(), diff.shape)}"
    )


def reflectance(shape: tuple[int, int], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 10_000, size=shape, dtype=np.uint16)


def test_size_follows_first_band_10m() -> None:
    bands = [
        BandArray(n, reflectance((128, 128), i), T10) for i, n in enumerate(("B08", "B04", "B03"))
    ]
    png, media_type = render_composite(bands=bands, crs=CRS, lut=Lut.percentile(5, 95))
    assert media_type == "image/png"
    assert decode(png).shape == (128, 128, 4)  # 1280 m at 10 m


def test_size_follows_first_band_20m() -> None:
    bands = [
        BandArray("B11", reflectance((64, 64), 1), T20),
        BandArray("B08", reflectance((128, 128), 2), T10),
        BandArray("B04", reflectance((128, 128), 3), T10),
    ]
    png, _ = render_composite(bands=bands, crs=CRS, lut=Lut.percentile(2, 98))
    assert decode(png).shape == (64, 64, 4)  # 1280 m at 20 m


def test_percentile_stretch_over_pixels_valid_in_all_bands() -> None:
    b1, b2, b3 = (reflectance((128, 128), s) for s in (10, 11, 12))
    b1[:10, :] = 0  # nodata strip in band 1
    b3[50:60, 70:90] = 0  # nodata patch in band 3
    bands = [BandArray("B08", b1, T10), BandArray("B04", b2, T10), BandArray("B03", b3, T10)]
    rgba = decode(render_composite(bands=bands, crs=CRS, lut=Lut.percentile(5, 95))[0])

    valid = (b1 != 0) & (b3 != 0)
    for i, band in enumerate((b1, b2, b3)):
        lo, hi = np.percentile(band[valid].astype(np.float64), [5, 95])
        assert_close(rgba[..., i][valid], expected_stretch(band[valid], lo, hi))
    assert (rgba[..., 3][valid] == 255).all()
    assert (rgba[..., 3][~valid] == 0).all()
    assert (rgba[..., :3][~valid] == 0).all()


def test_absolute_thresholds_per_band() -> None:
    b1, b2, b3 = (reflectance((128, 128), s) for s in (20, 21, 22))
    ranges = [(0.0, 3000.0), (1000.0, 5000.0), (500.0, 9000.0)]
    bands = [BandArray("B08", b1, T10), BandArray("B04", b2, T10), BandArray("B03", b3, T10)]
    rgba = decode(render_composite(bands=bands, crs=CRS, lut=Lut.absolute(ranges))[0])
    for i, (band, (lo, hi)) in enumerate(zip((b1, b2, b3), ranges, strict=True)):
        assert_close(rgba[..., i], expected_stretch(band, lo, hi))
    # Values above hi saturate, below lo go black.
    assert rgba[..., 0][b1 >= 3000].min() == 255
    assert rgba[..., 1][b2 <= 1000].max() == 0


def test_scl_upsampled_with_nearest_and_its_nodata_transparent() -> None:
    b1 = reflectance((128, 128), 30)
    b2 = reflectance((128, 128), 31)
    scl = np.random.default_rng(32).integers(1, 12, size=(64, 64), dtype=np.uint8)
    scl[:5, :] = 0  # nodata rows at 20 m -> 10 rows at 10 m
    bands = [BandArray("B04", b1, T10), BandArray("B03", b2, T10), BandArray("SCL", scl, T20)]
    rgba = decode(
        render_composite(bands=bands, crs=CRS, lut=Lut.absolute([(0, 1e4)] * 2 + [(0, 11)]))[0]
    )

    # A 20 m pixel covers exactly 2x2 pixels of the 10 m grid: nearest repeats it.
    scl10 = np.repeat(np.repeat(scl, 2, axis=0), 2, axis=1)
    valid = scl10 != 0
    assert_close(rgba[..., 2][valid], expected_stretch(scl10[valid], 0, 11))
    assert (rgba[..., 3][:10, :] == 0).all()
    assert (rgba[..., 3][10:, :] == 255).all()


def test_reflectance_upsampled_bilinear_at_pixel_centres() -> None:
    b1 = reflectance((128, 128), 40)
    b20 = reflectance((64, 64), 41)
    b3 = reflectance((128, 128), 42)
    bands = [BandArray("B08", b1, T10), BandArray("B11", b20, T20), BandArray("B04", b3, T10)]
    rgba = decode(render_composite(bands=bands, crs=CRS, lut=Lut.absolute([(0, 10_000)] * 3))[0])

    # Centre of 10 m pixel c lies at (c + 0.5) * 10 m, i.e. at (c + 0.5) / 2 - 0.5 in 20 m
    # pixel-centre coordinates; interpolate between the four surrounding 20 m centres.
    idx = np.arange(1, 127)  # interior: every neighbour exists, no edge clamping
    pos = (idx + 0.5) / 2 - 0.5
    i0 = np.floor(pos).astype(int)
    w = pos - i0
    src = b20.astype(np.float64)
    rows0, cols0 = np.meshgrid(i0, i0, indexing="ij")
    wr, wc = np.meshgrid(w, w, indexing="ij")
    expected = (
        src[rows0, cols0] * (1 - wr) * (1 - wc)
        + src[rows0, cols0 + 1] * (1 - wr) * wc
        + src[rows0 + 1, cols0] * wr * (1 - wc)
        + src[rows0 + 1, cols0 + 1] * wr * wc
    )
    actual = rgba[..., 1][1:127, 1:127]
    assert_close(actual, expected_stretch(expected, 0, 10_000))


def test_band_off_the_first_grid_is_transparent_where_it_has_no_pixels() -> None:
    b1 = reflectance((128, 128), 50)
    # Band 2 starts 200 m east: the first 20 columns of the output have no band-2 pixel.
    shifted = Affine(20, 0, X0 + 200, 0, -20, Y0)
    bands = [
        BandArray("B08", b1, T10),
        BandArray("B11", reflectance((64, 64), 51), shifted),
        BandArray("B04", reflectance((128, 128), 52), T10),
    ]
    rgba = decode(render_composite(bands=bands, crs=CRS, lut=Lut.percentile(5, 95))[0])
    assert (rgba[:, :20, 3] == 0).all()
    assert (rgba[:, 20:, 3] == 255).all()


def test_parcel_outline_drawn_on_its_edges() -> None:
    bands = [BandArray(n, np.full((128, 128), 500, np.uint16), T10) for n in ("B08", "B04", "B03")]
    # Edges through pixel centres (x0 + 205 m is the middle of column 20) are unambiguous.
    left, right, top, bottom = 20, 60, 30, 90  # columns and rows of the edges
    parcel = Polygon(
        [
            (X0 + left * 10 + 5, Y0 - top * 10 - 5),
            (X0 + right * 10 + 5, Y0 - top * 10 - 5),
            (X0 + right * 10 + 5, Y0 - bottom * 10 - 5),
            (X0 + left * 10 + 5, Y0 - bottom * 10 - 5),
        ]
    )
    for outline in (parcel, [[(x, y) for x, y in parcel.exterior.coords]]):
        rgba = decode(
            render_composite(
                bands=bands, crs=CRS, lut=Lut.absolute([(0, 1000)] * 3), outline=outline
            )[0]
        )
        is_yellow = (rgba == YELLOW).all(axis=-1)
        expected = np.zeros((128, 128), dtype=bool)
        expected[top : bottom + 1, left] = expected[top : bottom + 1, right] = True
        expected[top, left : right + 1] = expected[bottom, left : right + 1] = True
        assert (is_yellow == expected).all()
        # Inside and outside keep the stretched grey (500 of 0..1000 -> 128).
        assert tuple(rgba[60, 40]) == (128, 128, 128, 255)
        assert tuple(rgba[5, 5]) == (128, 128, 128, 255)


def test_parcel_outline_on_a_20m_grid() -> None:
    bands = [BandArray(n, np.full((64, 64), 500, np.uint16), T20) for n in ("B11", "B8A", "B05")]
    parcel = Polygon(
        [(X0 + 210, Y0 - 210), (X0 + 410, Y0 - 210), (X0 + 410, Y0 - 610), (X0 + 210, Y0 - 610)]
    )
    rgba = decode(
        render_composite(bands=bands, crs=CRS, lut=Lut.percentile(5, 95), outline=parcel)[0]
    )
    is_yellow = (rgba == YELLOW).all(axis=-1)
    assert rgba.shape == (64, 64, 4)
    assert is_yellow[10:31, 10].all() and is_yellow[10:31, 20].all()  # x0+210 m -> column 10
    assert is_yellow[10, 10:21].all() and is_yellow[30, 10:21].all()
    assert not is_yellow[15, 15]


def test_cloud_share_counts_cloud_classes_over_valid_pixels() -> None:
    scl = np.array([[0, 0, 4, 4], [3, 8, 9, 10], [11, 5, 6, 7]], dtype=np.uint8)
    assert cloud_share(scl) == pytest.approx(5 / 10)
    assert cloud_share(np.zeros((3, 3), np.uint8)) is None
    assert cloud_share(np.full((2, 2), 4, np.uint8)) == 0.0


def test_real_cog_window(real_fixtures: Path) -> None:
    """A real L2A tile (downsampled 10x: B08 100 m, B11 and SCL 200 m): 64 px window."""
    folder = real_fixtures / "cog-l2a-29RKH"

    def read(name: str, window: Window) -> BandArray:
        with rasterio.open(folder / f"{name}.tif") as src:
            return BandArray(
                name, src.read(1, window=window), src.window_transform(window), src.nodata
            )

    with rasterio.open(folder / "B08.tif") as src:
        crs = src.crs
    b08 = read("B08", Window(400, 400, 64, 64))
    b11 = read("B11", Window(200, 200, 32, 32))
    scl = read("SCL", Window(200, 200, 32, 32))
    rgba = decode(render_composite(bands=[b08, b11, scl], crs=crs, lut=Lut.percentile(5, 95))[0])
    assert rgba.shape == (64, 64, 4)

    scl_up = np.repeat(np.repeat(scl.data, 2, axis=0), 2, axis=1)
    valid = (b08.data != 0) & (scl_up != 0)
    assert valid.any()
    lo, hi = np.percentile(b08.data[valid].astype(np.float64), [5, 95])
    assert_close(rgba[..., 0][valid], expected_stretch(b08.data[valid], lo, hi))
    lo, hi = np.percentile(scl_up[valid].astype(np.float64), [5, 95])
    if hi > lo:
        assert_close(rgba[..., 2][valid], expected_stretch(scl_up[valid], lo, hi))
    assert (rgba[..., 3][~valid] == 0).all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("B08", "B04", "B03")),
        ("", ("B08", "B04", "B03")),
        ("B04_B03_B02", ("B04", "B03", "B02")),
        ("b11_b8a_b04", ("B11", "B8A", "B04")),
        ("SCL_B04_B03", ("SCL", "B04", "B03")),
    ],
)
def test_parse_bands(value: str | None, expected: tuple[str, str, str]) -> None:
    assert parse_bands(value) == expected


@pytest.mark.parametrize(
    "value", ["B04_B03", "B04_B03_B02_B01", "B04_B03_X", "B01_B04_B03", "B04__B03"]
)
def test_parse_bands_rejects(value: str) -> None:
    with pytest.raises(BadParameter) as err:
        parse_bands(value)
    assert err.value.param == "bands"
    assert value in err.value.message


def test_parse_bands_level_rules() -> None:
    with pytest.raises(BadParameter, match="LEVEL1C"):
        parse_bands("SCL_B04_B03", plevel="LEVEL1C")
    assert parse_bands("B08_B04_B03", plevel="LEVEL1C") == ("B08", "B04", "B03")


def test_parse_lut() -> None:
    assert parse_lut(None) == Lut.percentile(5, 95)
    assert parse_lut("2_98") == Lut.percentile(2, 98)
    assert parse_lut("0_3000_100_2500_0.5_2000") == Lut.absolute(
        [(0, 3000), (100, 2500), (0.5, 2000)]
    )
    assert parse_lut("0_3000_100_2500_0.5_2000").to_param() == "0_3000_100_2500_0.5_2000"
    assert Lut.percentile(5, 95).to_param() == "5_95"


@pytest.mark.parametrize(
    "value", ["95_5", "5_5", "-1_50", "5_101", "a_b", "1_2_3", "0_1_2_1_0_1", "nan_5"]
)
def test_parse_lut_rejects(value: str) -> None:
    with pytest.raises(BadParameter) as err:
        parse_lut(value)
    assert err.value.param == "lut"
    assert "lo_hi" in err.value.message


def test_text_chunks_travel_with_the_png() -> None:
    bands = [BandArray(n, reflectance((16, 16), 60), T10) for n in ("B08", "B04", "B03")]
    png, _ = render_composite(
        bands=bands, crs=CRS, lut=Lut.percentile(5, 95), text={"cloud_share": "0.25"}
    )
    assert png_text(png)["cloud_share"] == "0.25"


def test_png_names_its_stretch_limits() -> None:
    # The legend's per-chip values: each band's percentiles, computed here with numpy.
    data = [reflectance((128, 128), seed) for seed in (1, 2, 3)]
    bands = [BandArray(n, d, T10) for n, d in zip(("B08", "B04", "B03"), data, strict=True)]
    png, _ = render_composite(bands=bands, crs=CRS, lut=Lut.percentile(2, 98))
    expected = " ".join(
        f"{n}:{np.percentile(d, 2):.0f}-{np.percentile(d, 98):.0f}"
        for n, d in zip(("B08", "B04", "B03"), data, strict=True)
    )
    assert png_text(png)["stretch"] == expected
