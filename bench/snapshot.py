#!/usr/bin/env python3
"""Snapshot every endpoint's answers on the small demo, to prove a refactor changes none.

Usage (run it with any Python 3.11; the demo itself runs with /work/main/.venv/bin/python
unless --python says otherwise):

    bench/snapshot.py [--tree DIR] [--out FILE] [--work DIR] [--port N]
        Build (once, reused afterwards) the small demo archive of DIR (`make_demo_archive
        --small --seed 0 --layout both`), load it into a fresh SpatiaLite database in a
        throw-away folder (`migrate`, `demo_setup --small`: user demo/demo, admin/admin),
        serve it with DIR's own manage.py and code (`runserver --noreload` on loopback),
        send a fixed list of about 200 requests over every endpoint (raw chips by location,
        parcel and batch, onlylist, composite pages as HTML and JSON with their jobs polled
        until done, the parcel endpoints, parcelTimeSeries JSON and CSV, info, job status,
        /dump/ downloads, 400/401/403/404/405/429 cases, HEAD and OPTIONS), and write one
        normalised JSON record per request to FILE (default: stdout).  DIR defaults to the
        tree this script lives in.
        Normalised: /dump/ tokens, job ids (UUIDs), CSRF tokens, CSP nonces, cookies, the
        Date header, Retry-After and clock values are replaced by placeholders; binary
        bodies (GeoTIFF, PNG) are kept as sha256 and size. Two runs of one tree give the
        same file, byte for byte.

    bench/snapshot.py --compare A.json B.json
        Print every request whose answer differs (status, kept headers, body: JSON by path,
        text by unified diff, binaries by hash); exit 1 when any differs, 0 when identical.

Examples:
    bench/snapshot.py --out /work/wt/snap/base.json --tree /work/wt/base
    bench/snapshot.py --out /tmp/mine.json            # this tree
    bench/snapshot.py --compare /work/wt/snap/base.json /tmp/mine.json

The work folder (default /tmp/cbmweb-snapshot/<tree hash>) keeps the demo archive between
runs; the database and chip store are made anew on every run, so the answers never depend
on what an earlier run left in the cache. Pick --port from your own range (default: a free
port chosen by the system).
"""

from __future__ import annotations

import argparse
import base64
import difflib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = "/work/main/.venv/bin/python"
DEMO_AUTH = ("demo", "demo")
NOGRANT_AUTH = ("nogrant", "nogrant-pass-1")
# Kept response headers (the others carry clocks, lengths or server names).
KEPT_HEADERS = (
    "content-type",
    "content-disposition",
    "www-authenticate",
    "allow",
    "cache-control",
    "location",
    "retry-after",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "vary",
)

# Placeholders: each pattern's matches are replaced by its tag, in this order. Tokens and
# job ids are numbered by first appearance (<TOKEN1>, <UUID1>, ...), so that which answers
# share a token or a job is still compared.
PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(name=\"csrfmiddlewaretoken\" value=\")[^\"]+"), r"\1<CSRF>"),
    (re.compile(r"(csrftoken=)[^;\s\"]+"), r"\1<CSRF>"),
    (re.compile(r"(sessionid=)[^;\s\"]+"), r"\1<SESSION>"),
    (re.compile(r"(nonce=\")[^\"]+"), r"\1<NONCE>"),
    (re.compile(r"('nonce-)[^']+"), r"\1<NONCE>"),
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?"), "<TIME>"),
    (re.compile(r"(retry after )\d+( s)"), r"\1<N>\2"),
]
TOKEN = re.compile(r"(/dump/)([A-Za-z0-9_\-]+)(/)")
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
# JSON keys whose values are clocks: replaced whatever their value.
VOLATILE_KEYS = {
    "created",
    "updated",
    "started",
    "finished",
    "heartbeat",
    "elapsed",
    "elapsed_ms",
    "now",
    "time",
    "retry_after",
}


class Normaliser:
    """Replaces what changes from run to run; numbers tokens and ids by first appearance."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}
        self.uuids: dict[str, str] = {}

    def _token(self, m: re.Match[str]) -> str:
        tag = self.tokens.setdefault(m.group(2), f"<TOKEN{len(self.tokens) + 1}>")
        return m.group(1) + tag + m.group(3)

    def _uuid(self, m: re.Match[str]) -> str:
        key = m.group(0).replace("-", "")
        return self.uuids.setdefault(key, f"<UUID{len(self.uuids) + 1}>")

    def text(self, text: str) -> str:
        text = TOKEN.sub(self._token, text)
        text = UUID.sub(self._uuid, text)
        for pattern, tag in PATTERNS:
            text = pattern.sub(tag, text)
        return text

    def json(self, value: Any, key: str = "") -> Any:
        if key in VOLATILE_KEYS and value is not None:
            return f"<{key.upper()}>"
        if isinstance(value, dict):
            return {k: self.json(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


# --- the demo site ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """A throw-away demo site of one tree: archive (kept), database and store (made anew)."""

    def __init__(self, tree: Path, work: Path, python: str, port: int) -> None:
        self.tree, self.work, self.python, self.port = tree, work, python, port
        self.archive = work / "archive"
        self.var = work / "run"
        self.server: subprocess.Popen[bytes] | None = None
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k
            not in (
                "DATABASE_URL",
                "CELERY_BROKER_URL",
                "REDIS_CACHE_URL",
                "DJANGO_SETTINGS_MODULE",
                "CHIP_STORE",
                "PYTHONPATH",
            )
        }
        self.env.update(
            CBMWEB_DEMO="1",
            CBMWEB_VAR_DIR=str(self.var),
            DEMO_ARCHIVE=str(self.archive),
            QUOTA_REQUESTS_PER_MINUTE="0",
            QUOTA_IP_REQUESTS_PER_MINUTE="0",
            QUOTA_CHIPS_PER_DAY="0",
            QUOTA_IP_CHIPS_PER_DAY="0",
            # Under the small archive's 11 acquisitions: the over-the-limit cases answer.
            MAX_CHIPS_PER_REQUEST="8",
            # Failed logins count in fixed windows: one window for the whole run, or a run
            # across a window's edge would see no 429.
            LOGIN_FAILURE_WINDOW_SECONDS=str(10**9),
            PYTHONHASHSEED="0",
            TZ="UTC",
        )

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.tree,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            sys.exit(
                f"manage.py {' '.join(args)} failed:\n{out.stdout[-3000:]}{out.stderr[-3000:]}"
            )
        return out.stdout

    def setup(self) -> dict[str, Any]:
        if not (self.archive / "demo.json").is_file():
            log(f"building the small demo archive in {self.archive} ...")
            shutil.rmtree(self.archive, ignore_errors=True)
            self.manage(
                "make_demo_archive", str(self.archive), "--layout", "both", "--small", "--seed", "0"
            )
        shutil.rmtree(self.var, ignore_errors=True)
        self.var.mkdir(parents=True)
        log("migrate, demo_setup --small ...")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("demo_setup", "--small", "--port", str(self.port))
        # A user without any AOI grant: the 403 cases.
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model as g;"
            f"u=g().objects.create(username='{NOGRANT_AUTH[0]}');"
            f"u.set_password('{NOGRANT_AUTH[1]}');u.save()",
        )
        return json.loads((self.archive / "demo.json").read_text())

    def start(self) -> None:
        log(f"serving {self.tree} on 127.0.0.1:{self.port} ...")
        self.server = subprocess.Popen(
            [self.python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=self.tree,
            env=self.env,
            stdout=open(self.work / "server.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(240):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5)
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.server.poll() is not None:
                    sys.exit(f"the server stopped; see {self.work / 'server.log'}")
                time.sleep(0.5)
        sys.exit("the server did not answer within 2 minutes")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            self.server.wait(timeout=30)


# --- the client ---------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def send(
    base: str,
    path: str,
    *,
    method: str = "GET",
    auth: tuple[str, str] | None = DEMO_AUTH,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, data=body, method=method)
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with OPENER.open(request, timeout=600) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def record(
    norm: Normaliser, status: int, headers: dict[str, str], body: bytes, *, shape_only: bool
) -> dict:
    kept = {k.lower(): v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
    if "retry-after" in kept:
        kept["retry-after"] = "<SECONDS>"
    kept = {k: norm.text(v) for k, v in sorted(kept.items())}
    out: dict[str, Any] = {"status": status, "headers": kept}
    ctype = kept.get("content-type", "")
    if shape_only:
        # An answer taken while work runs: how far it got depends on the clock.
        out["body"] = shape(body, ctype)
        return out
    if "json" in ctype:
        try:
            out["json"] = norm.json(json.loads(body))
            return out
        except ValueError:
            pass
    if ctype.startswith("text/") or "json" in ctype:
        out["text"] = norm.text(body.decode("utf-8", "replace")).splitlines()
    else:
        out["sha256"] = hashlib.sha256(body).hexdigest()
        out["size"] = len(body)
    return out


def shape(body: bytes, ctype: str) -> Any:
    if "json" in ctype:
        try:
            answer = json.loads(body)
        except ValueError:
            return "<not json>"
        if isinstance(answer, dict):
            return {
                "keys": sorted(answer),
                "state_known": answer.get("state") in ("running", "done", "failed", None),
            }
        return type(answer).__name__
    return f"<{ctype.split(';')[0]}>"


# --- the requests -------------------------------------------------------------------------


class Session:
    def __init__(self, base: str) -> None:
        self.base = base
        self.results: list[dict[str, Any]] = []
        self.dumps: dict[str, None] = {}
        self.keys: set[str] = set()
        self.norm = Normaliser()

    def ask(
        self,
        label: str,
        path: str,
        *,
        method: str = "GET",
        auth: tuple[str, str] | None = DEMO_AUTH,
        body: Any = None,
        headers: dict[str, str] | None = None,
        shape_only: bool = False,
    ) -> tuple[int, Any]:
        raw = None
        hdrs = dict(headers or {})
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        status, got, content = send(
            self.base, path, method=method, auth=auth, body=raw, headers=hdrs
        )
        shown = self.norm.text(path)
        key = f"{method} {shown}" + (f" [{label}]" if label else "")
        n = 2
        while key in self.keys:
            key = f"{method} {shown} [{label} #{n}]"
            n += 1
        self.keys.add(key)
        entry = {"request": key, **record(self.norm, status, got, content, shape_only=shape_only)}
        self.results.append(entry)
        answer = None
        if "json" in got.get("Content-Type", ""):
            try:
                answer = json.loads(content)
            except ValueError:
                answer = None
        if isinstance(answer, dict):
            for chip in answer.get("chips", []) or []:
                if isinstance(chip, str) and chip.startswith("/dump/"):
                    self.dumps.setdefault(chip)
        elif "text/html" in got.get("Content-Type", ""):
            for src in re.findall(r'src="(/dump/[^"]+)"', content.decode("utf-8", "replace")):
                self.dumps.setdefault(src)
        return status, answer

    def composite(self, label: str, path: str, auth: tuple[str, str] = DEMO_AUTH) -> None:
        """A composite request as the page's script makes it: the JSON answer (its progress
        recorded as a shape only), its job polled until over, the final JSON, then the
        page's HTML (everything made by then, so the HTML is stable)."""
        sep = "&" if "?" in path else "?"
        status, answer = self.ask(
            label + " first", path + sep + "format=json", auth=auth, shape_only=True
        )
        if status == 200 and isinstance(answer, dict) and answer.get("job"):
            job = answer["job"]
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                got = send(self.base, f"{path}{sep}format=json&job={job}", auth=auth)
                polled = json.loads(got[2]) if got[0] == 200 else {}
                if polled.get("state") != "running":
                    break
                time.sleep(0.2)
            # The poll of a finished job, as the script makes its last one.
            self.ask(label + " job over", f"{path}{sep}format=json&job={job}", auth=auth)
            self.ask(label + " job status", f"/query/jobs/{job}", auth=auth)
        self.ask(label + " json", path + sep + "format=json", auth=auth)
        self.ask(label + " html", path, auth=auth, headers={"Accept": "text/html"})


def q(**params: Any) -> str:
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def run_requests(base: str, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    s = Session(base)
    # The grant, the datasets and example ids, as a client starts.
    s.ask("front page", "/", auth=None)
    _, info = s.ask("", "/query/info")
    aoi = str(manifest["aoi"])
    year = int(manifest["year"])
    examples = (info or {}).get("aois", {}).get(aoi, {}).get(f"id_examples_{year}", [])
    pids = [str(p) for p in examples][:3] or ["1"]
    ds: dict[str, Any] = {"aoi": aoi, "year": year}
    start = str(manifest.get("start", f"{year}-06-01"))
    end = str(manifest.get("end", f"{year}-06-28"))
    w, so, e, n = manifest["bbox_wgs84"]

    # Parcels.
    parcel_at: dict[str, tuple[float, float]] = {}
    for pid in pids:
        _, p = s.ask("", "/query/parcelByID?" + q(**ds, pid=pid))
        if isinstance(p, dict) and p.get("clon"):
            parcel_at[pid] = (float(p["clon"][0]), float(p["clat"][0]))
        s.ask("", "/query/parcelById?" + q(**ds, pid=pid, withGeometry="True"))
        s.ask("", "/query/parcelByID?" + q(**ds, pid=pid, withGeometry="True", wgs84="True"))
        s.ask("", "/query/parcelPeers?" + q(**ds, pid=pid))
        s.ask("", "/query/parcelPeers?" + q(**ds, pid=pid, distance=5000, max=3))
    lon, lat = parcel_at.get(pids[0], (round((w + e) / 2, 6), round((so + n) / 2, 6)))
    lon, lat = round(lon, 6), round(lat, 6)
    at: dict[str, Any] = {"lon": lon, "lat": lat}
    s.ask("", "/query/parcelByLocation?" + q(**ds, **at))
    s.ask("", "/query/parcelByLocation?" + q(**ds, **at, withGeometry="true", wgs84="1"))
    s.ask("outside", "/query/parcelByLocation?" + q(**ds, lon=w - 1, lat=so - 1))
    poly = "-".join(
        f"{x}_{y}"
        for x, y in [
            (lon - 0.003, lat - 0.002),
            (lon + 0.003, lat - 0.002),
            (lon + 0.003, lat + 0.002),
            (lon - 0.003, lat + 0.002),
            (lon - 0.003, lat - 0.002),
        ]
    )
    s.ask("", "/query/parcelsByPolygon?" + q(**ds, polygon=poly))
    s.ask("", "/query/parcelsByPolygon?" + q(**ds, polygon=poly, only_ids="True"))
    s.ask("", "/query/parcelsByPolygon?" + q(**ds, polygon=poly, withGeometry="True"))
    ring = [
        [lon - 0.003, lat - 0.002],
        [lon + 0.003, lat - 0.002],
        [lon + 0.003, lat + 0.002],
        [lon - 0.003, lat - 0.002],
    ]
    s.ask(
        "post",
        "/query/parcelsByPolygon?" + q(**ds),
        method="POST",
        body={"type": "Polygon", "coordinates": [ring]},
    )

    # Raw chips: onlylist, cut, by parcel, batch.
    window = {"start_date": start, "end_date": end}
    short = {"start_date": start, "end_date": _add_days(start, 9)}
    for band in ("B04", "B08", "SCL", "B11", "B01"):
        s.ask("", "/query/rawChipByLocation?" + q(**at, **window, band=band, onlylist="True"))
    s.ask(
        "",
        "/query/rawChipByLocation?"
        + q(**at, **window, band="B10", plevel="LEVEL1C", onlylist="True"),
    )
    for band, size in (("B04", None), ("SCL", None), ("B08", 640), ("B11", 2560), ("B01", 1280)):
        s.ask("", "/query/rawChipByLocation?" + q(**at, **short, band=band, chipsize=size))
    s.ask("", "/query/rawChipByLocation?" + q(**at, **short, band="B04", plevel="LEVEL1C"))
    s.ask("again", "/query/rawChipByLocation?" + q(**at, **short, band="B04"))
    s.ask("refresh", "/query/rawChipByLocation?" + q(**at, **short, band="B04", refresh="True"))
    s.ask("over limit", "/query/rawChipByLocation?" + q(**at, **window, band="B02"))
    for pid in pids[:2]:
        s.ask("", "/query/rawChipByParcelID?" + q(**ds, pid=pid, **short, band="B08"))
        s.ask("", "/query/rawChipByParcelId?" + q(**ds, pid=pid, **short, band="SCL", min_clear=50))
    s.ask(
        "",
        "/query/rawChipByParcelID?" + q(**ds, pid=pids[0], **window, band="B04", onlylist="True"),
    )
    _, listed = s.ask(
        "list", "/query/rawChipByLocation?" + q(**at, **short, band="B03", onlylist="True")
    )
    tiles = (listed or {}).get("chips", [])[:3] if isinstance(listed, dict) else []
    batch = {"lon": lon, "lat": lat, "tiles": tiles, "bands": ["B04", "B08"], "chipsize": 1280}
    s.ask("", "/query/rawChipsBatch", method="POST", body=batch)
    s.ask(
        "20 m",
        "/query/rawChipsBatch",
        method="POST",
        body={**batch, "bands": ["B11", "SCL"], "chipsize": 640},
    )
    s.ask("unknown key", "/query/rawChipsBatch", method="POST", body={**batch, "colour": 1})
    s.ask("no tiles", "/query/rawChipsBatch", method="POST", body={**batch, "tiles": []})
    s.ask(
        "missing",
        "/query/rawChipsBatch",
        method="POST",
        body={k: v for k, v in batch.items() if k != "bands"},
    )
    s.ask("not json", "/query/rawChipsBatch", method="POST", body=b"{nope")
    s.ask(
        "bad tile", "/query/rawChipsBatch", method="POST", body={**batch, "tiles": ["S2X_NOTHING"]}
    )
    s.ask("GET", "/query/rawChipsBatch")

    # Composites: JSON, polled, then HTML.
    s.composite("", "/query/chipsByLocation?" + q(**at, **short))
    s.composite("", "/query/chipsByLocation?" + q(**at, **short, bands="B11_B08_B04", lut="2_98"))
    s.composite("", "/query/chipsByLocation?" + q(**at, **short, lut="0_3000_0_3000_0_3000"))
    s.composite("", "/query/chipsByLocation?" + q(**at, **short, plevel="LEVEL1C", chipsize=640))
    s.composite("", "/query/chipsByParcelID?" + q(**ds, pid=pids[0], **short))
    s.composite("", "/query/chipsByParcelId?" + q(**ds, pid=pids[0], **short, min_clear=30))
    # Over the per-request limit: the JSON answers 400, the page asks in windows.
    s.ask(
        "over limit",
        "/query/chipsByLocation?"
        + q(**at, start_date=f"{year}-01-01", end_date=f"{year}-12-31", format="json"),
    )
    s.ask(
        "over limit",
        "/query/rawChipByLocation?"
        + q(**at, start_date=f"{year}-01-01", end_date=f"{year}-12-31", band="B04"),
    )
    # The page over the limit starts its first window; how far it got is the clock's.
    s.ask(
        "over limit html",
        "/query/chipsByLocation?" + q(**at, **window, bands="B04_B03_B02"),
        headers={"Accept": "text/html"},
        shape_only=True,
    )

    # Parcel time series.
    for pid in pids[:2]:
        ts = {**ds, "pid": pid}
        s.ask("", "/query/parcelTimeSeries?" + q(**ts))
        s.ask("", "/query/parcelTimeSeries?" + q(**ts, tstype="s2", band="B08"))
        s.ask("", "/query/parcelTimeSeries?" + q(**ts, tstype="scl"))
        s.ask("", "/query/parcelTimeSeries?" + q(**ts, tsformat="csv"))
    ts = {**ds, "pid": pids[0]}
    s.ask("", "/query/parcelTimeSeries?" + q(**ts, scl="False", ref="True"))
    s.ask("", "/query/parcelTimeSeries?" + q(**ts, harmonize="True", **short))
    s.ask("", "/query/parcelTimeSeries?" + q(**ts, min_clear=80))
    s.ask("", "/query/parcelTimeSeries?" + q(**ts, plevel="LEVEL1C", band="B04"))
    s.ask("", "/query/parcelTimeSeries?" + q(**ts, tstype="scl", tsformat="csv"))
    s.ask(
        "",
        "/query/parcelTimeSeries?"
        + q(**ts, start_date=f"{year + 1}-01-01", end_date=f"{year + 1}-02-01"),
    )

    error_requests(s, ds=ds, at=at, short=short, pids=pids, window=(start, end))

    # Job status of a finished raw job (by the id the composite JSON would give: unknown
    # here, so a malformed and a well-formed foreign id).
    s.ask("bad id", "/query/jobs/not-a-uuid")

    # /dump/ downloads: every file seen, by hash; a foreign token; the schema.
    # In the order first seen (deterministic: the answers list them in a fixed order).
    for path in s.dumps:
        s.ask("dump", path, auth=None)
    if s.dumps:
        first = next(iter(s.dumps))
        s.ask("HEAD dump", first, method="HEAD", auth=None)
        s.ask(
            "dump wrong token", re.sub(r"/dump/[^/]+/", "/dump/AAAAAAAAAAAAAAAA/", first), auth=None
        )
        s.ask("dump traversal", first.rsplit("/", 1)[0] + "/..%2F..%2Fsettings.py", auth=None)
    s.ask("", "/api/schema/", auth=None)
    s.ask("json", "/api/schema/?format=json", auth=None)

    # 429 last: a login flood on one unknown account (the throttle counts per user).
    for i in range(7):
        s.ask(f"login flood {i}", "/query/info", auth=("flooded", "wrong"))
    s.ask("429 after flood", "/query/info", auth=("flooded", "wrong"))
    return s.results


def error_requests(
    s: Session,
    *,
    ds: dict[str, Any],
    at: dict[str, Any],
    short: dict[str, Any],
    pids: list[str],
    window: tuple[str, str],
) -> None:
    """The 400, 404, 401, 403 and 405 cases, HEAD and OPTIONS."""
    aoi, year = ds["aoi"], ds["year"]
    lon, lat = at["lon"], at["lat"]
    start, end = window
    # Errors: 400.
    bad: list[tuple[str, dict[str, Any]]] = [
        ("/query/rawChipByLocation", {**at, **short}),
        ("/query/rawChipByLocation", {**at, **short, "band": "B99"}),
        ("/query/rawChipByLocation", {**at, **short, "band": "SCL", "plevel": "LEVEL1C"}),
        ("/query/rawChipByLocation", {**at, **short, "band": "B04", "chipsize": 5}),
        ("/query/rawChipByLocation", {**at, **short, "band": "B04", "chipsize": "big"}),
        ("/query/rawChipByLocation", {"lon": 200, "lat": lat, **short, "band": "B04"}),
        ("/query/rawChipByLocation", {"lon": lon, "lat": "x", **short, "band": "B04"}),
        ("/query/rawChipByLocation", {**at, "start_date": end, "end_date": start, "band": "B04"}),
        (
            "/query/rawChipByLocation",
            {**at, "start_date": "2024-13-01", "end_date": end, "band": "B04"},
        ),
        ("/query/rawChipByLocation", {**at, **short, "band": "B04", "onlylist": "maybe"}),
        ("/query/rawChipByLocation", {**at, **short, "band": "B04", "plevel": "L3"}),
        ("/query/chipsByLocation", {**at, **short, "lut": "9_1", "format": "json"}),
        ("/query/chipsByLocation", {**at, **short, "bands": "B04_B03", "format": "json"}),
        ("/query/chipsByLocation", {**at, **short, "bands": "B04_B03_X", "format": "json"}),
        ("/query/chipsByLocation", {**at, **short, "lut": "a_b"}),
        ("/query/chipsByLocation", {"lat": lat, **short, "format": "json"}),
        ("/query/parcelByID", {**ds}),
        ("/query/parcelByID", {"aoi": aoi, "year": "x", "pid": pids[0]}),
        ("/query/parcelByLocation", {**ds, "lon": lon}),
        ("/query/parcelsByPolygon", {**ds, "polygon": "1_2-3"}),
        ("/query/parcelPeers", {**ds, "pid": pids[0], "max": -1}),
        ("/query/parcelPeers", {**ds, "pid": pids[0], "distance": "far"}),
        ("/query/parcelTimeSeries", {**ds, "pid": pids[0], "tstype": "xx"}),
        ("/query/parcelTimeSeries", {**ds, "pid": pids[0], "tsformat": "xml"}),
        ("/query/parcelTimeSeries", {**ds, "pid": pids[0], "min_clear": 101}),
        ("/query/parcelTimeSeries", {**ds, "pid": pids[0], "band": "B99"}),
        ("/query/parcelTimeSeries", {**ds, "pid": pids[0], "scl": "perhaps"}),
        ("/query/rawChipByParcelID", {**ds, "pid": pids[0], **short}),
        ("/query/chipsByParcelID", {**ds, **short}),
    ]
    for path, params in bad:
        s.ask("400", f"{path}?{q(**params)}")
    s.ask(
        "400 html",
        "/query/chipsByLocation?" + q(**at, **short, lut="9_1"),
        headers={"Accept": "text/html"},
    )

    # 404.
    missing: list[tuple[str, dict[str, Any]]] = [
        ("/query/parcelByID", {**ds, "pid": "no-such-parcel"}),
        ("/query/parcelByID", {"aoi": "zz", "year": year, "pid": pids[0]}),
        ("/query/parcelByID", {**ds, "ptype": "q", "pid": pids[0]}),
        ("/query/parcelTimeSeries", {**ds, "pid": "no-such-parcel"}),
        ("/query/rawChipByParcelID", {**ds, "pid": "no-such-parcel", **short, "band": "B04"}),
        ("/query/chipsByParcelID", {**ds, "pid": "no-such-parcel", **short, "format": "json"}),
        ("/query/parcelPeers", {**ds, "pid": "no-such-parcel"}),
        ("/query/nothingHere", {}),
    ]
    for path, params in missing:
        s.ask("404", f"{path}?{q(**params)}")
    s.ask("404", "/query/jobs/00000000-0000-4000-8000-000000000000")
    s.ask("404", "/dump/notatoken/nothing.tif", auth=None)
    s.ask("404", "/no/such/page", auth=None)

    # 401 (wrong credentials stay well under the login throttle's per-IP count).
    for path in (
        "/query/info",
        "/query/rawChipByLocation?" + q(**at, **short, band="B04"),
        "/query/parcelByID?" + q(**ds, pid=pids[0]),
        "/query/chipsByLocation?" + q(**at, **short),
        "/query/parcelTimeSeries?" + q(**ds, pid=pids[0]),
    ):
        s.ask("401 none", path, auth=None)
    s.ask("401 wrong", "/query/info", auth=("demo", "wrong"))
    s.ask("401 unknown", "/query/info", auth=("nobody", "x"))
    s.ask("401 malformed", "/query/info", auth=None, headers={"Authorization": "Basic %%%"})

    # 403: a user granted no AOI.
    for path in (
        "/query/parcelByID?" + q(**ds, pid=pids[0]),
        "/query/parcelByLocation?" + q(**ds, **at),
        "/query/parcelTimeSeries?" + q(**ds, pid=pids[0]),
        "/query/rawChipByParcelID?" + q(**ds, pid=pids[0], **short, band="B04"),
        "/query/chipsByParcelID?" + q(**ds, pid=pids[0], **short, format="json"),
        "/query/parcelPeers?" + q(**ds, pid=pids[0]),
    ):
        s.ask("403", path, auth=NOGRANT_AUTH)
    s.ask("nogrant info", "/query/info", auth=NOGRANT_AUTH)

    # 405.
    for method, path in [
        ("POST", "/query/info"),
        ("DELETE", "/query/parcelByID?" + q(**ds, pid=pids[0])),
        ("PUT", "/query/rawChipByLocation"),
        ("POST", "/query/parcelTimeSeries"),
        ("PATCH", "/query/chipsByLocation"),
    ]:
        s.ask("405", path, method=method, body={} if method != "DELETE" else None)

    # HEAD and OPTIONS.
    for path in (
        "/query/info",
        "/query/rawChipByLocation?" + q(**at, **short, band="B04", onlylist="True"),
        "/query/parcelByID?" + q(**ds, pid=pids[0]),
    ):
        s.ask("HEAD", path, method="HEAD")
    for path in (
        "/query/info",
        "/query/rawChipByLocation",
        "/query/rawChipsBatch",
        "/query/chipsByLocation",
        "/query/parcelTimeSeries",
        "/query/parcelByID",
    ):
        s.ask("OPTIONS", path, method="OPTIONS")


def _add_days(day: str, n: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(day) + dt.timedelta(days=n)).isoformat()


# --- compare ------------------------------------------------------------------------------


def json_diff(a: Any, b: Any, path: str = "$") -> list[str]:
    if type(a) is not type(b):
        return [f"{path}: {json.dumps(a)[:200]} -> {json.dumps(b)[:200]}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: added {json.dumps(b[k])[:200]}")
            elif k not in b:
                out.append(f"{path}.{k}: removed {json.dumps(a[k])[:200]}")
            else:
                out += json_diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list):
        if len(a) != len(b):
            return [
                f"{path}: {len(a)} items -> {len(b)} items: "
                f"{json.dumps(a)[:200]} -> {json.dumps(b)[:200]}"
            ]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += json_diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {json.dumps(a)[:200]} -> {json.dumps(b)[:200]}"]


def compare(a_path: Path, b_path: Path) -> int:
    a = {r["request"]: r for r in json.loads(a_path.read_text())["results"]}
    b = {r["request"]: r for r in json.loads(b_path.read_text())["results"]}
    differing = 0
    for key in [*a, *[k for k in b if k not in a]]:
        if key not in b or key not in a:
            print(f"== {key}: only in {'A' if key in a else 'B'}")
            differing += 1
            continue
        ra, rb = a[key], b[key]
        if ra == rb:
            continue
        differing += 1
        print(f"== {key}")
        lines: list[str] = []
        for field in ("status", "headers", "json", "body", "sha256", "size"):
            if ra.get(field) != rb.get(field):
                lines += json_diff(ra.get(field), rb.get(field), field)
        if ra.get("text") != rb.get("text"):
            diff = difflib.unified_diff(
                ra.get("text") or [], rb.get("text") or [], "A", "B", lineterm="", n=1
            )
            lines += list(diff)[:60]
        for line in lines[:80]:
            print("   " + line)
    print(f"{len(a)} requests in A, {len(b)} in B; {differing} differ")
    return 1 if differing else 0


# --- main ---------------------------------------------------------------------------------


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tree",
        type=Path,
        default=HERE,
        help=f"source tree to serve (its manage.py and code; default {HERE})",
    )
    parser.add_argument("--out", type=Path, help="write the snapshot here (default: stdout)")
    parser.add_argument(
        "--work", type=Path, help="work folder (default /tmp/cbmweb-snapshot/<tree hash>)"
    )
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument(
        "--python",
        default=DEFAULT_PYTHON,
        help=f"the interpreter that runs the tree (default {DEFAULT_PYTHON})",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="print how snapshot B differs from A (exit 1 if it does)",
    )
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    tree = args.tree.resolve()
    if not (tree / "manage.py").is_file():
        parser.error(f"{tree} holds no manage.py")
    work = (
        args.work
        or Path("/tmp/cbmweb-snapshot")
        / hashlib.sha1(str(tree).encode(), usedforsecurity=False).hexdigest()[:10]
    )
    work.mkdir(parents=True, exist_ok=True)
    demo = Demo(tree, work.resolve(), args.python, args.port or free_port())
    manifest = demo.setup()
    demo.start()
    try:
        started = time.monotonic()
        results = run_requests(f"http://127.0.0.1:{demo.port}", manifest)
        log(f"{len(results)} requests in {time.monotonic() - started:.0f} s")
    finally:
        demo.stop()
    text = json.dumps({"results": results}, indent=1, sort_keys=True) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        log(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
