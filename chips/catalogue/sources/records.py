"""What a source parser hands to the ingest service: plain values, no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# S2A_MSIL2A_20190615T105031_N0212_R051_T31UFU_20190615T121337: the parts the catalogue keeps.
PRODUCT_ID_RE = re.compile(
    r"^(?P<mission>S2[A-D])_MSI(?P<level>L1C|L2A)_(?P<sensing>\d{8}T\d{6})"
    r"_N(?P<baseline>\d{4})_R(?P<orbit>\d{3})_T(?P<tile>\d{2}[A-Z]{3})_(?P<generation>\d{8}T\d{6})$"
)

LEVELS = {"L1C": "LEVEL1C", "L2A": "LEVEL2A"}


class ProductError(Exception):
    """A product that cannot be catalogued; the message says why, for the ingest report."""


@dataclass(frozen=True)
class AssetRecord:
    band: str  # B01..B12, B8A or SCL
    resolution: int  # metres, the band's native resolution
    href: str  # a local path, https:// or s3://


@dataclass(frozen=True)
class SceneRecord:
    product_id: str
    mission: str  # S2A, S2B, S2C
    level: str  # LEVEL1C or LEVEL2A (chips.models.Level values)
    tile: str  # 31UFU
    relative_orbit: int
    sensing_time: datetime  # datatake start, UTC, whole seconds
    processing_baseline: str  # 02.12
    generation_time: datetime | None
    cloud_cover: float | None
    footprint_wkt: str  # MULTIPOLYGON in lon/lat (EPSG:4326)
    epsg: int
    radiometric_offset: int
    source_format: str  # safe or stac (chips.models.SourceFormat values)
    source_href: str
    assets: tuple[AssetRecord, ...]


@dataclass(frozen=True)
class ProductIdParts:
    mission: str
    level: str
    sensing_time: datetime
    baseline: str
    relative_orbit: int
    tile: str
    generation_time: datetime


def parse_product_id(product_id: str) -> ProductIdParts | None:
    """The facts a standard product name carries, or None for other names (e.g. item ids)."""
    match = PRODUCT_ID_RE.match(product_id)
    if match is None:
        return None
    baseline = match["baseline"]
    return ProductIdParts(
        mission=match["mission"],
        level=LEVELS[match["level"]],
        sensing_time=_compact_time(match["sensing"]),
        baseline=f"{baseline[:2]}.{baseline[2:]}",
        relative_orbit=int(match["orbit"]),
        tile=match["tile"],
        generation_time=_compact_time(match["generation"]),
    )


def _compact_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def parse_time(value: str) -> datetime:
    """An ISO 8601 time as written in SAFE and STAC metadata ('Z' or an offset), in UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # Python 3.11 reads at most 6 fractional digits; some metadata write 7 or more.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def whole_seconds(value: datetime) -> datetime:
    """Sensing times are kept to the second, the precision of the product id, so that the
    SAFE (PRODUCT_START_TIME has milliseconds) and the STAC copy of a product agree."""
    return value.replace(microsecond=0)


def offset_for_baseline(level: str, baseline: str) -> int:
    """From processing baseline 04.00 on, DNs carry an offset of -1000 (BOA_ADD_OFFSET for
    L2A, RADIO_ADD_OFFSET for L1C): reflectance = (DN - 1000) / 10000. Used where the
    metadata does not state the offset itself (STAC items)."""
    del level  # both levels got the offset with the same baseline
    try:
        major, minor = (int(part) for part in baseline.split("."))
    except ValueError as exc:
        raise ProductError(f"processing baseline {baseline!r} is not NN.NN") from exc
    return -1000 if (major, minor) >= (4, 0) else 0
