"""The scene catalogue in the admin: list, search, filters, date hierarchy, read-only assets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chips.catalogue.ingest import scene_ingest
from chips.catalogue.sources.records import AssetRecord, SceneRecord
from chips.models import Scene

pytestmark = pytest.mark.django_db

SQUARE = "MULTIPOLYGON (((5 51, 6 51, 6 52, 5 52, 5 51)))"


def record(
    product_id: str, level: str, sensing: datetime, *, source_format: str = "safe"
) -> SceneRecord:
    tile = product_id.split("_")[5][1:]
    return SceneRecord(
        product_id=product_id,
        mission=product_id[:3],
        level=level,
        tile=tile,
        relative_orbit=int(product_id.split("_")[4][1:]),
        sensing_time=sensing,
        processing_baseline="05.09",
        generation_time=None,
        cloud_cover=12.5,
        footprint_wkt=SQUARE,
        epsg=32631,
        radiometric_offset=-1000,
        source_format=source_format,
        source_href=f"/archive/{product_id}.SAFE",
        assets=(
            AssetRecord("B04", 10, f"/archive/{product_id}.SAFE/B04.jp2"),
            AssetRecord("B08", 10, f"/archive/{product_id}.SAFE/B08.jp2"),
        ),
    )


L2A_UFU = "S2A_MSIL2A_20230615T105031_N0509_R051_T31UFU_20230615T143120"
L1C_UFU = "S2B_MSIL1C_20230620T105029_N0509_R051_T31UFU_20230620T125633"
L2A_UGU = "S2B_MSIL2A_20230720T105029_N0509_R051_T31UGU_20230720T125633"


@pytest.fixture
def admin_client() -> Client:
    scene_ingest(record=record(L2A_UFU, "LEVEL2A", datetime(2023, 6, 15, 10, 50, 31, tzinfo=UTC)))
    scene_ingest(record=record(L1C_UFU, "LEVEL1C", datetime(2023, 6, 20, 10, 50, 29, tzinfo=UTC)))
    scene_ingest(
        record=record(
            L2A_UGU, "LEVEL2A", datetime(2023, 7, 20, 10, 50, 29, tzinfo=UTC),
            source_format="stac",
        )
    )  # fmt: skip
    user = User.objects.create_superuser("admin", "admin@example.org", "pw-admin-123")
    client = Client()
    client.force_login(user)
    return client


def listed(client: Client, query: str = "") -> set[str]:
    response = client.get(f"/admin/chips/scene/{query}")
    assert response.status_code == 200
    page = response.content.decode()
    return {pid for pid in (L2A_UFU, L1C_UFU, L2A_UGU) if pid in page}


def test_list_search_and_filters(admin_client: Client) -> None:
    page = admin_client.get("/admin/chips/scene/").content.decode()
    for header in ("Product id", "Level", "Tile", "Relative orbit", "Sensing time"):
        assert header in page
    assert listed(admin_client) == {L2A_UFU, L1C_UFU, L2A_UGU}
    assert listed(admin_client, "?q=31UGU") == {L2A_UGU}
    assert listed(admin_client, f"?q={L1C_UFU[:30]}") == {L1C_UFU}
    assert listed(admin_client, "?level__exact=LEVEL1C") == {L1C_UFU}
    assert listed(admin_client, "?mission__exact=S2A") == {L2A_UFU}
    assert listed(admin_client, "?tile__exact=31UFU") == {L2A_UFU, L1C_UFU}
    assert listed(admin_client, "?source_format__exact=stac") == {L2A_UGU}
    assert listed(admin_client, "?sensing_time__year=2023&sensing_time__month=6") == {
        L2A_UFU,
        L1C_UFU,
    }


def test_scene_page_shows_assets_read_only_and_loads_nothing_from_a_cdn(
    admin_client: Client,
) -> None:
    scene = Scene.objects.get(product_id=L2A_UFU)
    response = admin_client.get(f"/admin/chips/scene/{scene.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"/archive/{L2A_UFU}.SAFE/B08.jp2" in page
    assert "W 5.0000 S 51.0000 E 6.0000 N 52.0000" in page
    assert 'name="assets-0-href"' not in page  # the inline has no inputs
    assert "cdn" not in page.lower() and "openlayers" not in page.lower()


def test_scenes_come_from_ingest_not_from_the_add_form(admin_client: Client) -> None:
    assert admin_client.get("/admin/chips/scene/add/").status_code == 403
    scene = Scene.objects.get(product_id=L2A_UFU)
    response = admin_client.post(f"/admin/chips/scene/{scene.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Scene.objects.filter(product_id=L2A_UFU).exists()
