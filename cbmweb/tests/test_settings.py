"""Settings come from the environment and refuse unsafe or malformed values loudly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CBMWEB_DEMO", "SECRET_KEY", "DEBUG")
    }
    clean.update(env)
    code = "import cbmweb.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.ALLOWED_HOSTS)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_secret_key_required_outside_the_demo() -> None:
    result = load_settings({"DATABASE_URL": "postgis://postgres@127.0.0.1/x", "CBMWEB_DEMO": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_safe() -> None:
    result = load_settings(
        {
            "DATABASE_URL": "postgis://postgres@127.0.0.1/x",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "chips.example.eu",
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "['chips.example.eu']"]


def test_malformed_boolean_fails_loudly() -> None:
    result = load_settings({"DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "DEBUG='perhaps' is not a boolean" in result.stderr
