"""Band files behind https-style hrefs: the real 29RKH COG served over HTTP on loopback by a
server that honours byte ranges, read through GDAL's /vsicurl/ with the project's options.

The chip must equal the local file's pixels, and the server's log shows what the options
are for: no HEAD requests, no directory listing, and a handful of ranged GETs rather than
the whole file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import rasterio
from pyproj import Transformer

from testing.auth import BasicAuth
from testing.rasters import expected_window
from testing.scenes import footprint_of, make_scene

# S2A_MSIL2A_20200219T112111_N0214_R037_T29RKH_20200219T123947, as the real files are.
SENSING = dt.datetime(2020, 2, 19, 11, 21, 11, tzinfo=dt.UTC)
GENERATED = dt.datetime(2020, 2, 19, 12, 39, 47, tzinfo=dt.UTC)


class RangeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.root = root
        self.requests: list[tuple[str, str, str]] = []  # (method, path, Range header)
        self.bytes_sent = 0


class RangeHandler(BaseHTTPRequestHandler):
    server: RangeServer

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append(("HEAD", self.path, ""))
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(("GET", self.path, self.headers.get("Range", "")))
        self._answer(body=True)

    def handle_one_request(self) -> None:
        # GDAL closes its size-probe GET after reading the headers.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle_one_request()

    def _answer(self, *, body: bool) -> None:
        path = self.server.root / self.path.lstrip("/")
        if "/" in self.path.lstrip("/") or not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        ranged = self.headers.get("Range", "")
        if ranged.startswith("bytes="):
            start_text, _, end_text = ranged[len("bytes=") :].partition("-")
            start = int(start_text)
            end = min(int(end_text) if end_text else len(data) - 1, len(data) - 1)
            chunk = data[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            chunk = data
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        if body:
            if ranged:  # the size probe's body is dropped by the client unread
                self.server.bytes_sent += len(chunk)
            self.wfile.write(chunk)


@pytest.fixture
def cog_server(real_fixtures: Path) -> Iterator[RangeServer]:
    server = RangeServer(real_fixtures / "cog-l2a-29RKH")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_chip_from_an_http_href_equals_the_local_pixels(
    client,
    chip_store: Path,
    auth: BasicAuth,
    tmp_path: Path,
    cog_server: RangeServer,
    real_fixtures: Path,
) -> None:
    local = real_fixtures / "cog-l2a-29RKH" / "B04.tif"
    with rasterio.open(local) as src:
        left, bottom, right, top = src.bounds
        file_size = local.stat().st_size
    href = f"http://127.0.0.1:{cog_server.server_address[1]}/B04.tif"
    make_scene(
        tile="29RKH", sensing=SENSING, orbit=37, baseline="02.14", generated=GENERATED,
        footprint=footprint_of(32629, left, bottom, right, top), bands={"B04": (href, 10)},
        offset=0, source_href=href.rsplit("/", 1)[0], cloud_cover=None,
    )  # fmt: skip

    x, y = left + 40_050.0, top - 52_030.0
    lon, lat = Transformer.from_crs(32629, 4326, always_xy=True).transform(x, y)
    response = client.get(
        "/query/rawChipByLocation",
        {
            "lon": lon,
            "lat": lat,
            "start_date": "2020-02-19",
            "end_date": "2020-02-19",
            "band": "B04",
            "chipsize": 5120,
        },
        **auth,
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["dates"] == ["20200219T112111"]
    download = client.get(answer["chips"][0])
    assert download.status_code == 200
    chip_path = tmp_path / "chip.tif"
    chip_path.write_bytes(b"".join(download.streaming_content))
    with rasterio.open(chip_path) as chip:
        assert chip.crs.to_epsg() == 32629
        assert chip.shape == (round(5120 / 100),) * 2  # the file's own 100 m grid
        np.testing.assert_array_equal(chip.read(1), expected_window(local, x, y, 5120))

    methods = {method for method, _, _ in cog_server.requests}
    paths = {path for _, path, _ in cog_server.requests}
    assert methods == {"GET"}, cog_server.requests  # CPL_VSIL_CURL_USE_HEAD=NO
    assert paths == {"/B04.tif"}, cog_server.requests  # no listing, no sidecar probes
    # With HEAD off, GDAL learns the size from one plain GET that it drops after the
    # headers (the server sees its connection closed); every read after that is ranged.
    unranged = [i for i, (_, _, rng) in enumerate(cog_server.requests) if not rng]
    assert unranged in ([], [0]), cog_server.requests
    assert len(cog_server.requests) - len(unranged) <= 4, cog_server.requests
    # A window of a 1098 px COG needs its header and a few blocks, not the whole file.
    assert cog_server.bytes_sent < file_size
