"""How many band files the chip core reads at once (no Django: the cut pool, the planner's
header reads and the signature threads all size themselves by it)."""

from __future__ import annotations

import os

# Band files cut at once by an in-process job (worker processes, or threads as a fallback):
# one per core (at least two, to overlap a decode with the next file's open). More threads
# than cores measured slower (bench/chips.py on 2 cores: 4 threads cost 15 % more than 2 for
# COG and JP2): they fight over the cores and over the locks around dataset opens.
CUT_THREADS = min(8, max(2, os.cpu_count() or 2))
