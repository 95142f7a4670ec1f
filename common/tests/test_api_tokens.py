"""API tokens for scripts: made and revoked by an operator in the admin, accepted beside
HTTP Basic as `Authorization: Token <key>`."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from testing.auth import BasicAuth, basic

pytestmark = pytest.mark.django_db


def test_token_made_in_the_admin_opens_the_api_until_revoked(
    client: Client, alice: User, staff_client: Client, settings
) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    staff = User.objects.get(username="staff")
    staff.is_superuser = True
    staff.save()
    added = staff_client.post("/admin/authtoken/tokenproxy/add/", {"user": alice.pk})
    assert added.status_code == 302, added.content.decode()[:2000]
    key = Token.objects.get(user=alice).key
    assert len(key) == 40
    header: BasicAuth = {"HTTP_AUTHORIZATION": f"Token {key}"}  # the same header key
    answer = client.get("/query/info", **header)
    assert answer.status_code == 200 and "aois" in answer.json()
    # HTTP Basic still works beside it; a wrong token is refused.
    assert client.get("/query/info", **basic("alice")).status_code == 200
    wrong = client.get("/query/info", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert wrong.status_code == 401 and "error" in wrong.json()
    # Revoked in the admin (which names a token by its user's id: DRF's TokenProxy).
    revoked = staff_client.post(f"/admin/authtoken/tokenproxy/{alice.pk}/delete/", {"post": "yes"})
    assert revoked.status_code == 302
    assert not Token.objects.filter(user=alice).exists()
    assert client.get("/query/info", **header).status_code == 401
