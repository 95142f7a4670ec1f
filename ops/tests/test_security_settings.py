"""Security settings, read by importing cbmweb.settings in a fresh interpreter per case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, cbmweb.settings as s; print(json.dumps({k: getattr(s, k) for k in ("
    "'DEBUG', 'ALLOWED_HOSTS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
    "'SESSION_COOKIE_HTTPONLY', 'MIDDLEWARE', 'X_FRAME_OPTIONS')}))"
)
CLEARED = ("SECRET_KEY", "DEBUG", "CBMWEB_DEMO", "ALLOWED_HOSTS", "SECURE_COOKIES", "DATABASE_URL")


def load(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLEARED}
    base.update({"CBMWEB_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=base, capture_output=True, text=True
    )


PRODUCTION = {"DATABASE_URL": "postgis://u@db.example:5432/cbmweb", "CBMWEB_DEMO": "0"}


def test_secret_key_required_outside_the_demo(tmp_path):
    result = load(tmp_path, **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_secret_key_required_even_with_debug(tmp_path):
    # DEBUG on a production database is still production: no well-known key.
    result = load(tmp_path, DEBUG="1", **PRODUCTION)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults(tmp_path):
    result = load(tmp_path, SECRET_KEY="k" * 50, ALLOWED_HOSTS="cbm.example.eu, a.b", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False
    assert values["ALLOWED_HOSTS"] == ["cbm.example.eu", "a.b"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert "django.middleware.csrf.CsrfViewMiddleware" in values["MIDDLEWARE"]


def test_demo_keeps_debug_off_unless_asked(tmp_path):
    demo = load(tmp_path, CBMWEB_DEMO="1")
    assert demo.returncode == 0, demo.stderr
    assert json.loads(demo.stdout)["DEBUG"] is False
    asked = load(tmp_path, CBMWEB_DEMO="1", DEBUG="1")
    assert json.loads(asked.stdout)["DEBUG"] is True


@pytest.mark.parametrize("bad", ["maybe", "2"])
def test_bad_boolean_fails_loudly(tmp_path, bad):
    result = load(tmp_path, CBMWEB_DEMO="1", DEBUG=bad)
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_ops_is_wired_in():
    """The request log and the per-user quota are on in the project settings."""
    assert "ops" in settings.INSTALLED_APPS
    middleware = settings.MIDDLEWARE
    assert middleware.index("ops.middleware.RequestLogMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert (
        "ops.throttling.UserRequestRateThrottle"
        in (settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])
    )
