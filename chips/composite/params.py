"""Parsing of the composite parameters `bands` and `lut` (no Django).

Errors are common.errors.BadParameter naming the parameter (400 `{"error", "param"}`).
"""

from __future__ import annotations

import math

from chips.raster.bands import BAND_RESOLUTION, LEVEL_BANDS
from chips.raster.render import Lut
from common.errors import BadParameter

DEFAULT_BANDS = "B08_B04_B03"
DEFAULT_LUT = "5_95"
# As on the JRC service: 10 m and 20 m bands (60 m bands would not fill a 10 m grid usefully).
COMPOSITE_RESOLUTIONS = (10, 20)


def composite_bands(plevel: str) -> tuple[str, ...]:
    """The bands a composite may use at this processing level, in catalogue order."""
    level_bands = LEVEL_BANDS.get(plevel, LEVEL_BANDS["LEVEL2A"])
    return tuple(b for b in level_bands if BAND_RESOLUTION[b] in COMPOSITE_RESOLUTIONS)


def parse_bands(value: str | None, *, plevel: str = "LEVEL2A") -> tuple[str, str, str]:
    """`B08_B04_B03` -> ("B08", "B04", "B03"); the first band sets the output grid."""
    text = (value or "").strip() or DEFAULT_BANDS
    names = [part.strip().upper() for part in text.split("_")]
    allowed = composite_bands(plevel)
    if len(names) != 3:
        raise BadParameter(
            f"bands={text!r} must be three band names joined by '_', e.g. {DEFAULT_BANDS}",
            param="bands",
        )
    for name in names:
        if name not in allowed:
            raise BadParameter(
                f"bands={text!r}: {name!r} is not a {plevel} band for composites "
                f"(one of {' '.join(allowed)})",
                param="bands",
            )
    return names[0], names[1], names[2]


def parse_lut(value: str | None) -> Lut:
    """`lo_hi` (percentiles, 0 <= lo < hi <= 100) or `lo_hi_lo_hi_lo_hi` (band values)."""
    text = (value or "").strip() or DEFAULT_LUT
    parts = text.split("_")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise BadParameter(
            _lut_help(text, "holds something that is not a number"), param="lut"
        ) from None
    if not all(math.isfinite(n) for n in numbers):
        raise BadParameter(_lut_help(text, "holds a value that is not finite"), param="lut")
    if len(numbers) == 2:
        lo, hi = numbers
        if not 0 <= lo < hi <= 100:
            raise BadParameter(_lut_help(text, "percentiles need 0 <= lo < hi <= 100"), param="lut")
        return Lut.percentile(lo, hi)
    if len(numbers) == 6:
        pairs = [(numbers[i], numbers[i + 1]) for i in range(0, 6, 2)]
        for band_no, (lo, hi) in enumerate(pairs, start=1):
            if not lo < hi:
                raise BadParameter(
                    _lut_help(text, f"band {band_no} has lo >= hi ({lo:g} >= {hi:g})"),
                    param="lut",
                )
        return Lut.absolute(pairs)
    raise BadParameter(_lut_help(text, f"has {len(numbers)} values, not 2 or 6"), param="lut")


def _lut_help(text: str, problem: str) -> str:
    return (
        f"lut={text!r} {problem}; use lo_hi percentiles (e.g. {DEFAULT_LUT}) or six absolute "
        "thresholds lo_hi_lo_hi_lo_hi (e.g. 0_3000_0_3000_0_3000)"
    )
