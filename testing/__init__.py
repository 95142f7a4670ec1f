"""Plain helpers shared by every app's tests (the fixtures are in the root conftest.py).

auth: users with a known password and their HTTP Basic header; rasters: small band files
written with rasterio and the source window a chip must equal (no Django); scenes: Scene
and Asset rows pointing at band files; raw_archive and composite_archive: the two small
catalogues the chip tests run on; workers: real Celery workers started for a test.
"""

from pathlib import Path

# The repository root: the working folder of the processes tests start (manage.py's).
ROOT = Path(__file__).resolve().parents[1]
