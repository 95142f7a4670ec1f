"""The `make load` clients: cached raw chips, parcelByLocation and a composite page's JSON,
as the demo user, with no think time (each client asks again as soon as it has its answer).

LOAD_URLS names a JSON file {"raw": path, "parcel": path, "composite": path} that
bench/load/run.sh writes from the demo's example URLs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from locust import HttpUser, constant, task

URLS: dict[str, str] = json.loads(Path(os.environ["LOAD_URLS"]).read_text())
AUTH = (os.environ.get("LOAD_USER", "demo"), os.environ.get("LOAD_PASSWORD", "demo"))


class CbmClient(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client.auth = AUTH

    @task
    def cached_raw_chips(self) -> None:
        self.client.get(URLS["raw"], name="rawChipByLocation (cached)")

    @task
    def parcel_by_location(self) -> None:
        self.client.get(URLS["parcel"], name="parcelByLocation")

    @task
    def composite_json(self) -> None:
        with self.client.get(
            URLS["composite"], name="chipsByLocation JSON", catch_response=True
        ) as response:
            if response.status_code == 200 and response.json().get("state") != "done":
                response.failure(f"composite not done: {response.json().get('state')}")
