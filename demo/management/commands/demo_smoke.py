"""Ask a running demo site a few questions over HTTP, as a CbM client would; fail loudly.

Used by `make smoke` (.ci/smoke_demo.sh) after `demo_setup --small`.
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.examples import example_urls


def fetch(url: str, *, auth: tuple[str, str] | None) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


class Command(BaseCommand):
    help = "Smoke-test a running demo site: front page, the example URLs, a /dump/ download."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("base", help="e.g. http://127.0.0.1:8000")

    def handle(self, *args: Any, base: str, **options: Any) -> None:
        auth = ("demo", "demo")
        status, _, _ = fetch(f"{base}/query/info", auth=None)
        if status != 401:
            raise CommandError(f"/query/info without credentials answered {status}, not 401")
        urls = example_urls()
        if len(urls) < 4:
            raise CommandError("the catalogue holds no L2A scene: the demo ingest failed")
        dumps: list[str] = []
        for label, url in [("front page", "/"), *urls]:
            status, body, content_type = fetch(base + url, auth=auth)
            if status != 200:
                raise CommandError(f"{label}: {url} answered {status}: {body[:300]!r}")
            if content_type.startswith("application/json"):
                answer = json.loads(body)
                dumps += [c for c in answer.get("chips", []) if c.startswith("/dump/")]
            self.stdout.write(f"ok  {status} {url}")
        if not dumps:
            raise CommandError("no example answered with /dump/ chip files")
        status, body, _ = fetch(base + dumps[0], auth=None)
        if status != 200 or not body.startswith((b"II*\x00", b"MM\x00*")):
            raise CommandError(f"{dumps[0]} answered {status}, not a GeoTIFF")
        self.stdout.write(f"ok  {status} {dumps[0]} ({len(body)} bytes, no credentials)")
        for url in (
            "/inspect/",
            "/inspect/review?aoi=nl&year=2024",
            "/inspect/map?aoi=nl&year=2024",
        ):
            status, body, _ = fetch(base + url, auth=auth)
            if status != 200:
                raise CommandError(f"the inspector's {url} answered {status}: {body[:300]!r}")
            self.stdout.write(f"ok  {status} {url}")
        self.operator_pages(base)

    def operator_pages(self, base: str) -> None:
        """The operator's admin pages (a session: the admin signs in by its form)."""
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = opener.open(f"{base}/admin/login/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        if token is None:
            raise CommandError("the admin's sign-in form has no CSRF token")
        data = urllib.parse.urlencode({"username": "admin", "password": "admin",
                                       "csrfmiddlewaretoken": token.group(1),
                                       "next": "/admin/"}).encode()  # fmt: skip
        request = urllib.request.Request(f"{base}/admin/login/", data=data,
                                         headers={"Referer": f"{base}/admin/login/"})  # fmt: skip
        opener.open(request, timeout=60)
        for url in ("/admin/", "/admin/chips/clientcache/", "/admin/ops/requestlog/"):
            try:
                with opener.open(base + url, timeout=120) as response:
                    status, final = response.status, response.geturl()
            except urllib.error.HTTPError as exc:
                raise CommandError(f"admin {url} answered {exc.code}") from exc
            if status != 200 or "/login/" in final:
                raise CommandError(f"admin {url}: {status} at {final} (not signed in?)")
            self.stdout.write(f"ok  {status} {url} (operator)")
