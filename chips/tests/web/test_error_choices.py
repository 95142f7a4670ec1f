"""Errors whose parameter takes few values list them (`choices`), so a script can correct
itself without parsing the sentence. The expected values are the contract's (api.md), not
the code's tables."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

WINDOW = {"lon": "5.9", "lat": "52.5", "start_date": "2024-04-01", "end_date": "2024-04-21"}
# api.md: 10 m B02 B03 B04 B08; 20 m B05 B06 B07 B8A B11 B12 SCL; 60 m B01 B09; B10 L1C only.
L2A = {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B11", "B12", "SCL"}
L1C = (L2A - {"SCL"}) | {"B10"}


@pytest.mark.parametrize(
    ("level", "bad", "bands"), [("LEVEL2A", "B10", L2A), ("LEVEL1C", "SCL", L1C)]
)
def test_band_error_lists_the_levels_bands(admin_client: Client, level, bad, bands) -> None:
    answer = admin_client.get(
        "/query/rawChipByLocation", {**WINDOW, "plevel": level, "band": bad}
    ).json()
    assert answer["param"] == "band" and set(answer["choices"]) == bands
    assert len(answer["choices"]) == len(bands)


def test_level_and_format_errors_list_theirs(admin_client: Client) -> None:
    answer = admin_client.get(
        "/query/rawChipByLocation", {**WINDOW, "plevel": "L3", "band": "B04"}
    ).json()
    assert answer["param"] == "plevel" and set(answer["choices"]) >= {"LEVEL2A", "LEVEL1C"}
    answer = admin_client.get("/query/info", {"format": "xml"}).json()
    assert answer["param"] == "format" and "json" in answer["choices"]


def test_free_form_parameters_have_no_choices(admin_client: Client) -> None:
    answer = admin_client.get("/query/rawChipByLocation", {**WINDOW, "lat": "91", "band": "B04"})
    assert answer.status_code == 400 and "choices" not in answer.json()
