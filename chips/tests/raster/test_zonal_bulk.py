"""Many parcels at once (chips.raster.zonal_bulk): each label's statistics equal numpy's
over that label's valid pixels, whatever the value type, and with empty labels."""

from __future__ import annotations

import numpy as np
import pytest

from chips.raster.zonal_bulk import label_table


def reference(labels: np.ndarray, data: np.ndarray, label: int) -> tuple[float, ...] | None:
    values = data[(labels == label) & (data != 0)].astype(np.float64)
    if values.size == 0:
        return None
    p25, p50, p75 = np.percentile(values, [25, 50, 75])
    return (values.size, values.mean(), values.std(), values.min(), p25, p50, p75, values.max())


@pytest.mark.parametrize("dtype", [np.uint16, np.uint8, np.int16, np.float32])
def test_every_label_equals_numpy(dtype: type) -> None:
    rng = np.random.default_rng(7)
    n = 300
    labels = rng.integers(0, n + 1, size=(240, 260)).astype(np.int32)
    labels[labels == 17] = 0  # a label with no pixel at all
    high = 255 if dtype == np.uint8 else 30000
    data: np.ndarray = rng.integers(0, high, size=labels.shape).astype(dtype)
    data[labels == 23] = 0  # a label whose pixels are all nodata
    if dtype == np.uint16:
        data[labels == 5] = 65535  # the top of the type survives the packed sort key
    table = label_table("B04", labels, data, n)
    for label in range(1, n + 1):
        expected = reference(labels, data, label)
        i = label - 1
        if expected is None:
            assert table.count[i] == 0
            assert table.stats()[i].mean is None
            continue
        assert table.mean is not None and table.std is not None and table.min is not None
        assert table.p25 is not None and table.p50 is not None and table.p75 is not None
        assert table.max is not None
        got = (table.count[i], table.mean[i], table.std[i], table.min[i], table.p25[i],
               table.p50[i], table.p75[i], table.max[i])  # fmt: skip
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_class_histograms_count_every_valid_pixel() -> None:
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 41, size=(90, 70)).astype(np.int32)
    scl = rng.integers(0, 12, size=labels.shape).astype(np.uint8)
    table = label_table("SCL", labels, scl, 40)
    assert table.hist is not None
    for label in range(1, 41):
        values = scl[(labels == label) & (scl != 0)]
        classes, counts = np.unique(values, return_counts=True)
        expected = dict(zip(classes.tolist(), counts.tolist(), strict=True)) or None
        assert table.hist[label - 1] == expected
        assert table.count[label - 1] == values.size
