"""HTTP Basic as the CbM client sends it: realm, remembered credentials, invalidation."""

from django.contrib.auth.models import User
from django.test import Client

from testing.auth import basic

# alice (root conftest.py) has the password "s3cret-pass" (testing.auth.PASSWORD).


def test_missing_credentials_answer_401_with_the_cbmweb_realm(client: Client, db) -> None:
    response = client.get("/query/info")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="cbmweb"'
    assert "error" in response.json()


def test_wrong_password_is_refused_even_after_a_good_one(client: Client, alice) -> None:
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 200
    assert client.get("/query/info", **basic("alice", "wrong")).status_code == 401


def test_remembered_credentials_skip_the_hasher(client: Client, alice, monkeypatch) -> None:
    client.get("/query/info", **basic("alice", "s3cret-pass"))
    # The second request is answered from the remembered pair: the password hasher (about
    # half a second per check) is not run again.
    user_class = type(alice)
    calls: list[str] = []
    original = user_class.check_password

    def counted(self: User, raw: str) -> bool:
        calls.append(raw)
        return original(self, raw)

    monkeypatch.setattr(user_class, "check_password", counted)
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 200
    assert calls == []


def test_password_change_invalidates_remembered_credentials(client: Client, alice) -> None:
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 200
    alice.set_password("new-pass-123")
    alice.save()
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 401
    assert client.get("/query/info", **basic("alice", "new-pass-123")).status_code == 200


def test_deactivated_user_is_refused_at_once(client: Client, alice) -> None:
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 200
    alice.is_active = False
    alice.save()
    assert client.get("/query/info", **basic("alice", "s3cret-pass")).status_code == 401
