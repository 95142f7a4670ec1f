"""A WMTS source's tiles come from its own tile cache the second time: TiTiler on loopback
behind a counting proxy (a plain HTTP relay started here), two clients asking the same
background image (the second one's client cache is empty, so the image is read again
through GDAL). The tiles reach the service once; the second image equals the first."""

from __future__ import annotations

import io
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.test import Client
from PIL import Image

from background.models import BackgroundSource
from background.tests.conftest import centre_3857
from background.tests.ortho import Z18, independent_read
from background.tests.test_background_file import download, lonlat, lonlat_back, square
from testing.auth import BasicAuth, basic

pytestmark = pytest.mark.django_db


class Relay:
    """http://127.0.0.1:<port> passing every GET to `upstream` (with its own Host, so the
    capabilities TiTiler writes name the relay's tile URLs) and counting them by kind."""

    def __init__(self, upstream: str) -> None:
        self.seen: Counter[str] = Counter()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlsplit(self.path).path
                relay.seen["tiles" if "/tiles/" in path else path] += 1
                ask = urllib.request.Request(upstream + self.path,  # noqa: S310 - loopback
                                             headers={"Host": self.headers["Host"]})  # fmt: skip
                try:
                    with urllib.request.urlopen(ask, timeout=30) as answer:  # noqa: S310
                        status, body = answer.status, answer.read()
                        kind = answer.headers.get("Content-Type", "")
                except urllib.error.HTTPError as error:
                    status, body, kind = error.code, error.read(), "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def relay(tile_server: str) -> Iterator[Relay]:
    running = Relay(tile_server)
    yield running
    running.close()


def image(client: Client, auth: BasicAuth, extend: float, size: int) -> np.ndarray:
    x, y = centre_3857(1.5, 2.5)
    lon, lat = lonlat(x, y)
    url = (f"/query/backgroundByLocation?lon={lon}&lat={lat}&chipsize={size}&extend={extend}"
           "&tms=Wmts&raw=True")  # fmt: skip
    answer = client.get(url, **auth)
    assert answer.status_code == 200, answer.content
    return np.asarray(Image.open(io.BytesIO(download(answer.content.decode()))))


def test_a_repeated_wmts_read_comes_from_the_source_cache(
    client: Client, auth: BasicAuth, bob: User, relay: Relay, ortho: Path, chip_store: Path,
    tile_cache: Path,
) -> None:  # fmt: skip
    capabilities = f"{relay.url}/WMTSCapabilities.xml?url={ortho}&tile_format=png"
    BackgroundSource.objects.create(name="Wmts", kind="wmts", url=capabilities, max_zoom=18,
                                    layer=f"{ortho}_WebMercatorQuad_default",
                                    tile_matrix_set="WebMercatorQuad")  # fmt: skip
    extend, size = 400 * Z18, 400  # 3 x 3 tiles of zoom 18
    first = image(client, auth, extend, size)
    x, y = centre_3857(1.5, 2.5)
    bounds = square(*lonlat_back(*lonlat(x, y)), extend)
    want = np.moveaxis(independent_read(ortho, bounds, size), 0, -1)
    assert np.abs(first[..., :3].astype(int) - want).mean() < 2.0
    fetched = relay.seen["tiles"]
    assert fetched >= 9  # the image spans 3 x 3 tiles of zoom 18
    assert [p for p in tile_cache.rglob("*") if p.is_file() and "gdal" in p.parts]

    # bob's own client cache holds nothing: his image is read again, its tiles from the
    # source's cache, none from the service.
    second = image(client, basic(bob.username), extend, size)
    assert relay.seen["tiles"] == fetched, relay.seen
    assert (second == first).all()
