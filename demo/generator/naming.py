"""Sentinel-2 product names as ESA spells them (the compact naming convention), no Django.

S2A_MSIL2A_20240601T104031_N0509_R051_T31UFT_20240601T124031: mission, level, datatake
sensing start, processing baseline, relative orbit, tile, product generation time. The
demo archive's products and the tests' catalogue rows are named by this one function.
"""

from __future__ import annotations

from datetime import datetime


def product_id(
    *,
    mission: str,
    level: str,
    sensing: datetime,
    baseline: str,
    relative_orbit: int,
    tile: str,
    generation: datetime,
) -> str:
    """The product name without ".SAFE"; level "L1C" or "L2A", baseline like "05.09"."""
    return (
        f"{mission}_MSI{level}_{sensing:%Y%m%dT%H%M%S}_N{baseline.replace('.', '')}"
        f"_R{relative_orbit:03d}_T{tile}_{generation:%Y%m%dT%H%M%S}"
    )
