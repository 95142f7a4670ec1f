"""AOI access on every endpoint, authentication, the admin and grant_aoi."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from parcels.access import user_aois
from parcels.models import AoiGrant
from testing.auth import basic

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]
SQUARE = "4_51-6_51-6_53-4_53"
# Every parcel endpoint asking for the Dutch dataset, with an existing and a missing pid.
REQUESTS = [
    ("/query/parcelByLocation", {"lon": 4.56, "lat": 52.1}),
    ("/query/parcelByID", {"pid": "1"}),
    ("/query/parcelByID", {"pid": "no-such-parcel"}),
    ("/query/parcelById", {"pid": "1"}),
    ("/query/parcelsByPolygon", {"polygon": SQUARE}),
    ("/query/parcelPeers", {"pid": "1"}),
    ("/query/parcelPeers", {"pid": "no-such-parcel"}),
]


@pytest.mark.parametrize("url,params", REQUESTS)
def test_other_aoi_is_403_whether_or_not_it_exists(
    samples: Path,
    at_user,
    url: str,
    params: dict,  # noqa: ANN001
) -> None:
    client = Client()
    for year in (2023, 1999):  # an existing and a missing dataset answer alike
        response = client.get(url, {"aoi": "nl", "year": year, **params}, **basic("atuser"))
        assert response.status_code == 403
        assert response.json() == {"error": "no access to AOI 'nl'", "param": "aoi"}


def test_post_polygon_other_aoi_is_403(samples: Path, at_user) -> None:  # noqa: ANN001
    geometry = {"type": "Polygon", "coordinates": [[[4, 51], [6, 51], [6, 53], [4, 51]]]}
    response = Client().post(
        "/query/parcelsByPolygon?aoi=nl&year=2023",
        data=json.dumps(geometry),
        content_type="application/json",
        **basic("atuser"),
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url,params", REQUESTS[:2] + REQUESTS[4:6])
def test_granted_aoi_is_answered(samples: Path, nl_user, url: str, params: dict) -> None:  # noqa: ANN001
    response = Client().get(url, {"aoi": "nl", "year": 2023, **params}, **basic("nluser"))
    assert response.status_code == 200


def test_selector_refuses_before_lookup(samples: Path, at_user) -> None:  # noqa: ANN001
    from common.errors import Forbidden
    from parcels.selectors import parcel_from_params

    for pid in ("1", "no-such"):
        with pytest.raises(Forbidden):
            parcel_from_params(user=at_user, params={"aoi": "nl", "year": "2023", "pid": pid})


@pytest.mark.parametrize("url", ["/query/parcelByID?aoi=nl&year=2023&pid=1", "/query/info"])
def test_no_or_wrong_credentials_is_401_with_realm(samples: Path, nl_user, url: str) -> None:  # noqa: ANN001
    for response in (Client().get(url), Client().get(url, **basic("nluser", "wrong"))):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Basic realm="cbmweb"'


def test_session_auth(samples: Path, nl_user) -> None:  # noqa: ANN001
    client = Client()
    client.force_login(nl_user)
    assert client.get("/query/parcelByID?aoi=nl&year=2023&pid=1").status_code == 200
    assert client.get("/query/parcelByID?aoi=at&year=2025&pid=1").status_code == 403


def test_user_aois(nl_user, staff) -> None:  # noqa: ANN001
    assert user_aois(nl_user) == {"nl"}
    assert user_aois(staff) is None


def test_grant_aoi_command(nl_user) -> None:  # noqa: ANN001
    out = StringIO()
    call_command("grant_aoi", "nluser", "AT", "nl", stdout=out)
    call_command("grant_aoi", "nluser", "at", stdout=out)  # idempotent
    assert sorted(AoiGrant.objects.filter(user=nl_user).values_list("aoi", flat=True)) == [
        "at",
        "nl",
    ]
    with pytest.raises(CommandError):
        call_command("grant_aoi", "nobody", "nl")
    with pytest.raises(CommandError):
        call_command("grant_aoi", "nluser", "not an aoi")


def test_grants_editable_in_user_admin(nl_user, db) -> None:  # noqa: ANN001
    from django.contrib.auth.models import User

    admin_user = User.objects.create_superuser("root", "root@example.org", "root-pass")
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/admin/auth/user/{nl_user.pk}/change/")
    assert page.status_code == 200
    assert b"aoi_grants-0-aoi" in page.content
    assert client.get("/admin/parcels/aoigrant/").status_code == 200
    assert client.get("/admin/parcels/parceldataset/").status_code == 200
