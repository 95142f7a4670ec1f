"""Production serving: static files from gunicorn (WhiteNoise), the Content-Security-Policy
of the pages, and `check --deploy` clean in a production configuration (a subprocess with
a production environment: no demo, a real SECRET_KEY, TLS settings on)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from testing import servers
from testing.gunicorn import serving

ROOT = servers.ROOT


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_gunicorn_serves_the_collected_static_files(tmp_path: Path) -> None:
    source = finders.find("admin/css/base.css")
    assert source
    with serving(tmp_path / "var", tmp_path / "gunicorn.log") as server:
        url = server.url("/static/admin/css/base.css")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/css")
            assert response.read() == Path(str(source)).read_bytes()
        log = server.output()
    assert (tmp_path / "var" / "static" / "admin" / "css" / "base.css").is_file()
    assert "Booting worker" in log and log.count("Booting worker") == 2  # WEB_CONCURRENCY


def nonce_of(header: str) -> str:
    found = re.search(r"script-src 'self' 'nonce-([\w-]+)'", header)
    assert found, header
    return found.group(1)


def test_pages_carry_a_csp_whose_nonce_opens_their_own_blocks(client: Client, db: None) -> None:
    page = client.get("/")
    header = page["Content-Security-Policy"]
    assert "default-src 'self'" in header and "object-src 'none'" in header
    assert "'unsafe-inline'" not in header and "http" not in header  # nothing from outside
    nonce = nonce_of(header)
    html = page.content.decode()
    blocks = re.findall(r"<(script|style)([^>]*)>", html)
    assert blocks
    for _, attributes in blocks:  # every inline block carries this request's nonce
        assert f'nonce="{nonce}"' in attributes or "src=" in attributes, attributes
    assert " style=" not in html and not re.search(r" on[a-z]+=", html)
    assert nonce_of(client.get("/")["Content-Security-Policy"]) != nonce  # one per request


def test_templates_have_no_inline_style_attributes_or_handlers() -> None:
    """A CSP without 'unsafe-inline' ignores style="" and on*= attributes: none is used."""
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert " style=" not in text, template
        assert not re.search(r"\son[a-z]+=", text), template
        for attributes in re.findall(r"<(?:script|style)([^>]*)>", text):
            assert "csp_nonce" in attributes or "src=" in attributes, template


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CBMWEB_DEMO"}
    env.update(
        CBMWEB_DEMO="0",
        DEBUG="0",
        DATABASE_URL=servers.current_database_url(),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cbm.example.org",
        BEHIND_TLS_PROXY="1",
        SECURE_SSL_REDIRECT="1",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_PRELOAD="1",
    )
    env.update(extra)
    return env


@pytest.mark.django_db
def test_check_deploy_is_clean_in_production() -> None:
    done = subprocess.run(  # noqa: S603 - our interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.django_db
def test_tls_settings_come_from_the_environment() -> None:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="cbmweb.settings")
    on = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert on.stdout.split() == ["True", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')"]
    plain = {k: v for k, v in env.items() if not k.startswith(("SECURE_", "BEHIND_"))}
    off = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], cwd=ROOT, env=plain, capture_output=True, text=True
    )
    assert off.stdout.split() == ["False", "0", "None"], off.stderr
