"""What a Sentinel-1 source parser hands to the ingest service (plain values, no Django),
and the facts every flavour derives the same way: platform, relative orbit and orbit
direction where the source leaves them out (docs/sentinel1.md, "Fallbacks")."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from chips.catalogue.sources.records import ProductError

BS, COH6 = "CARD-BS", "CARD-COH6"
ASCENDING, DESCENDING = "ASCENDING", "DESCENDING"
POLARISATIONS = ("VV", "VH", "HH", "HV")
# Relative orbit from the absolute orbit: (abs - offset) % 175 + 1 (ESA's orbit numbering;
# checked on real items: S1A 30352 -> 5, 43068 -> 121).
ORBIT_OFFSETS = {"S1A": 73, "S1B": 27}
# S1A_IW_GRDH_1SDV_20180821T052345_20180821T052410_023340_0289E6_6558: the GRD/SLC name.
GRD_NAME_RE = re.compile(
    r"^(?P<platform>S1[A-D])_(?P<mode>IW|EW|SM)_(?P<type>GRDH|GRDM|SLC_|GRD_)_\w{4}_"
    r"(?P<start>\d{8}T\d{6})_(?P<stop>\d{8}T\d{6})_(?P<orbit>\d{6})_"
)


@dataclass(frozen=True)
class SarAssetRecord:
    polarisation: str  # VV, VH, HH, HV
    href: str
    band_index: int = 1


@dataclass(frozen=True)
class SarRecord:
    product_id: str
    kind: str  # CARD-BS or CARD-COH6
    platform: str  # S1A, S1B, S1C
    sensing_time: datetime  # start (a coherence pair: the first date), UTC, whole seconds
    second_time: datetime | None  # a coherence pair's second date
    orbit_direction: str
    direction_source: str  # "metadata" or "solar time"
    relative_orbit: int
    absolute_orbit: int | None
    footprint_wkt: str  # MULTIPOLYGON in lon/lat
    epsg: int
    coefficient: str  # gamma0, sigma0, coherence
    nodata: float | None  # None: NaN
    source_format: str  # stac or card
    source_href: str
    assets: tuple[SarAssetRecord, ...]


def platform_of(text: str) -> str:
    """S1A from "SENTINEL-1A", "sentinel-1a", "S1A_IW_..."."""
    found = re.search(r"(?:SENTINEL-?1|S1)([A-D])", text.upper())
    if found is None:
        raise ProductError(f"not a Sentinel-1 platform: {text!r}")
    return f"S1{found.group(1)}"


def relative_orbit(platform: str, absolute: int) -> int:
    """The relative orbit (track) of an absolute orbit number."""
    if platform not in ORBIT_OFFSETS:
        raise ProductError(f"{platform}: no relative orbit given and none derivable")
    return (absolute - ORBIT_OFFSETS[platform]) % 175 + 1


def direction_from_solar_time(when: datetime, lon: float) -> str:
    """Sentinel-1 flies a dawn-dusk orbit: it crosses the equator northbound about 18:00
    local solar time and southbound about 06:00, everywhere. So an acquisition in the
    local afternoon/evening is ascending, in the morning descending. (The JRC's "before
    12:00 UTC" is the same rule read in Europe only.)"""
    utc_hours = when.astimezone(UTC)
    hours = utc_hours.hour + utc_hours.minute / 60 + lon / 15.0
    local = math.fmod(hours + 48.0, 24.0)
    return ASCENDING if local >= 12.0 else DESCENDING


def grd_name_parts(name: str) -> tuple[str, datetime, int] | None:
    """(platform, start, absolute orbit) of a GRD/SLC-based name, or None."""
    match = GRD_NAME_RE.match(name)
    if match is None:
        return None
    start = datetime.strptime(match["start"], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    return match["platform"], start, int(match["orbit"])


def polarisation_of(text: str) -> str | None:
    """VV/VH/HH/HV named in a key, a file name or a band description (Gamma0_VV,
    coh_VH_21Aug2018_27Aug2018, vv-rtc), or None."""
    found = re.findall(r"(?<![A-Za-z])(VV|VH|HH|HV)(?![A-Za-z])", text.upper().replace("_", " "))
    distinct = set(found)
    return found[0] if len(distinct) == 1 else None
