"""What a Sentinel-1 composite shows (no Django): CARD-BS as VV dB, VH dB and the VV/VH
ratio in dB as R, G, B; CARD-COH6 as VV, VH and VV coherence (VV/VH differences show as
magenta/green). Default stretches (absolute, every date alike) are the JRC's display
ranges (../shared/reference/sentinel1.md): VV -15..-3 dB, VH -20..-8 dB, ratio 3..13 dB;
coherence 0.2..0.9.
"""

from __future__ import annotations

from chips.raster.render import Lut

S1_LEVELS = ("CARD-BS", "CARD-COH6")
CHANNELS = {
    "CARD-BS": ("VV", "VH", "VV/VH"),
    "CARD-COH6": ("VV", "VH", "VV"),
}
DEFAULT_LUTS = {
    "CARD-BS": Lut.absolute([(-15.0, -3.0), (-20.0, -8.0), (3.0, 13.0)]),
    "CARD-COH6": Lut.absolute([(0.2, 0.9)] * 3),
}
# What each channel is, for the page's legend.
CHANNEL_NAMES = {
    "CARD-BS": ("VV backscatter, dB", "VH backscatter, dB", "VV/VH ratio, dB"),
    "CARD-COH6": ("VV coherence", "VH coherence", "VV coherence"),
}
