"""info: the caller's AOIs only, with years, datasets and parcel ids to try."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from testing.auth import basic

pytestmark = [pytest.mark.django_db, pytest.mark.realdata]


def test_staff_sees_every_aoi(samples: Path, staff_client: Client) -> None:
    body = staff_client.get("/query/info").json()
    assert body["server"]["name"] == "cbmweb"
    assert set(body["aois"]) == {"nl", "at", "dk", "fr"}
    nl = body["aois"]["nl"]
    assert nl["years"] == [2023]
    assert nl["datasets"]["2023"]["srid"] == 28992
    assert nl["datasets"]["2023"]["parcels"] == 100
    assert nl["id_examples_2023"] == ["1", "10", "100"]


def test_granted_user_sees_only_their_aois(samples: Path, nl_user) -> None:  # noqa: ANN001
    body = Client().get("/query/info", **basic("nluser")).json()
    assert set(body["aois"]) == {"nl"}


def test_ptype_datasets_get_their_own_examples(samples: Path, staff_client: Client) -> None:
    from parcels.tests.samples import SAMPLES, import_sample

    import_sample(samples, SAMPLES["nl"], ptype="g")
    nl = staff_client.get("/query/info").json()["aois"]["nl"]
    assert nl["years"] == [2023]
    assert set(nl["datasets"]) == {"2023", "2023_g"}
    assert nl["id_examples_2023_g"] == ["1", "10", "100"]
