"""Users with a known password, and the HTTP Basic header the CbM client sends."""

from __future__ import annotations

import base64
from typing import Any, TypedDict

from django.contrib.auth.models import User

# Every test user's password unless a test says otherwise.
PASSWORD = "s3cret-pass"
# Basic auth hashes the password on every request; tests need not pay PBKDF2 for it.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class BasicAuth(TypedDict):
    """The test client's keyword argument for the Authorization header."""

    HTTP_AUTHORIZATION: str


def basic(username: str, password: str = PASSWORD) -> BasicAuth:
    """Test client keyword arguments for HTTP Basic: client.get(url, **basic("ana"))."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def make_user(username: str, password: str = PASSWORD, **fields: Any) -> User:
    """A user who can log in with `password` (the database must be open to the test)."""
    return User.objects.create_user(username, password=password, **fields)
