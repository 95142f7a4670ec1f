"""The demo path runs GeoDjango on SpatiaLite beside rasterio's bundled GDAL in one process.

SQLite loads mod_spatialite with RTLD_GLOBAL; unless the settings load the rasterio and
pyogrio wheels first, their GDAL binds to Debian's PROJ and the process dies with a
corrupted heap as soon as it reads rasters in threads after connecting. This runs that
exact sequence in a fresh interpreter on a SpatiaLite file and expects a clean exit.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, sys
from concurrent.futures import ThreadPoolExecutor
import django
django.setup()
from django.db import connection
connection.ensure_connection()  # loads mod_spatialite
import numpy as np
import rasterio
import pyogrio
from rasterio.transform import from_origin
from rasterio.warp import transform
path = os.path.join(sys.argv[1], "probe.tif")
profile = dict(driver="GTiff", width=64, height=64, count=1, dtype="uint16",
               crs="EPSG:32631", transform=from_origin(600000, 5800020, 10, 10))
with rasterio.open(path, "w", **profile) as dst:
    dst.write(np.ones((1, 64, 64), "uint16"))
def work(_):
    with rasterio.open(path) as src:
        xs, _ = transform("EPSG:4326", src.crs, [5.9], [52.5])
        return int(src.read(1).sum()) + int(xs[0] > 600000)
with ThreadPoolExecutor(4) as pool:
    total = sum(pool.map(work, range(200)))
print(total, pyogrio.__gdal_version_string__)
"""


def test_rasterio_in_threads_after_a_spatialite_connection(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        CBMWEB_DEMO="1",
        CBMWEB_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="cbmweb.settings",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    # 200 reads of 64 x 64 ones, each plus one for a point east of the tile corner.
    assert result.stdout.split()[0] == str(200 * (64 * 64 + 1))
