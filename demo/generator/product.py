"""One generated product (a tile of a datatake, L1C or L2A): names, footprint, statistics."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from demo.generator import naming
from demo.generator.calendar import Datatake
from demo.generator.site import CropWindow

CENTRE = "2APS"


@dataclass
class Product:
    level: str  # "L1C" or "L2A"
    take: Datatake
    crop: CropWindow
    files: dict[tuple[str, int], np.ndarray]  # (band, resolution) -> DN array
    footprint: list[tuple[float, float]]  # closed lon/lat ring of the data area
    cloud_cover: float  # percent of data pixels
    nodata_pct: float
    scl_pct: dict[int, float] = field(default_factory=dict)
    sun_zenith: float = 35.0

    @property
    def tile(self) -> str:
        return self.crop.grid.tile

    @property
    def generation(self) -> datetime:
        return self.take.generation_time(self.level)

    @property
    def l1c_generation(self) -> datetime:
        return self.take.generation_time("L1C")

    @property
    def datastrip_start(self) -> datetime:
        """The datastrip starts a few seconds into the datatake (same for all its tiles)."""
        return (
            self.take.sensing + timedelta(seconds=1 + zlib.crc32(self.take.key.encode()) % 9)
        ).replace(microsecond=0)

    @property
    def product_id(self) -> str:
        t = self.take
        return naming.product_id(
            mission=t.mission,
            level=self.level,
            sensing=t.sensing,
            baseline=t.baseline,
            relative_orbit=t.relative_orbit,
            tile=self.tile,
            generation=self.generation,
        )

    @property
    def granule_dir(self) -> str:
        return (
            f"{self.level}_T{self.tile}_A{self.take.absolute_orbit:06d}"
            f"_{self.datastrip_start:%Y%m%dT%H%M%S}"
        )

    def _opr_id(self, kind: str, level: str, generation: datetime) -> str:
        t = self.take
        return f"{t.mission}_OPER_MSI_{level}_{kind}_{CENTRE}_{generation:%Y%m%dT%H%M%S}"

    def tile_id(self, level: str | None = None) -> str:
        level = level or self.level
        gen = self.take.generation_time(level)
        t = self.take
        return (
            f"{self._opr_id('TL', level, gen)}_A{t.absolute_orbit:06d}_T{self.tile}_N{t.baseline}"
        )

    @property
    def datastrip_id(self) -> str:
        return (
            f"{self._opr_id('DS', self.level, self.generation)}"
            f"_S{self.datastrip_start:%Y%m%dT%H%M%S}_N{self.take.baseline}"
        )

    @property
    def datatake_id(self) -> str:
        t = self.take
        return f"G{t.mission}_{t.key}_{t.absolute_orbit:06d}_N{t.baseline}"

    def band_stem(self, band: str, res: int) -> str:
        """File name without .jp2, as IMAGE_FILE lists it relative to the product."""
        base = f"GRANULE/{self.granule_dir}/IMG_DATA"
        stem = f"T{self.tile}_{self.take.key}_{band}"
        if self.level == "L2A":
            return f"{base}/R{res}m/{stem}_{res}m"
        return f"{base}/{stem}"
