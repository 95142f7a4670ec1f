"""The published OpenAPI schema (/api/schema/): a valid OpenAPI document that lists, for every
operation, its parameters (types, enums, bounds, defaults, required), bodies, answers,
errors and security, so that a client or a fuzzer can build valid requests from it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11"]
BANDS += ["B12", "SCL"]
CHIP_BANDS = [*BANDS, "VV", "VH"]  # VV and VH: plevel=CARD-BS|CARD-COH6
BOOL_FALSE = {"type": "boolean", "default": False}
DATE = {"type": "string", "format": "date"}
LEVEL = {"type": "string", "enum": ["LEVEL1C", "LEVEL2A"], "default": "LEVEL2A"}
# The chip endpoints also take Sentinel-1's two product kinds (rawChipsBatch does not).
CHIP_LEVEL = {"type": "string", "enum": [*LEVEL["enum"], "CARD-BS", "CARD-COH6"],
              "default": "LEVEL2A"}  # fmt: skip
CHIPSIZE = {"type": "integer", "minimum": 10, "maximum": 5120, "default": 1280}
LON = {"type": "number", "minimum": -180, "maximum": 180}
LAT = {"type": "number", "minimum": -90, "maximum": 90}


@pytest.fixture(scope="module")
def schema(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operation(schema: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    return schema["paths"][path][method]


def parameters(schema: dict[str, Any], path: str, method: str = "get") -> dict[str, Any]:
    """name -> the parameter's schema, plus `required` (False when absent)."""
    return {
        p["name"]: {**p["schema"], "required": p.get("required", False)}
        for p in operation(schema, path, method).get("parameters", [])
    }


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def has(actual: dict[str, Any], expected: dict[str, Any]) -> bool:
    return all(actual.get(k) == v for k, v in expected.items())


def test_the_schema_is_valid_openapi_as_json_and_yaml(schema: dict[str, Any]) -> None:
    validate(schema)
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    validate(yaml.safe_load(response.content))


def test_every_operation_is_there(schema: dict[str, Any]) -> None:
    operations = {(path, m) for path, item in schema["paths"].items() for m in item}
    for name in ("rawChipByLocation", "rawChipByParcelID", "rawChipByParcelId", "info"):
        assert (f"/query/{name}", "get") in operations
    for name in ("chipsByLocation", "chipsByParcelID", "parcelByID", "parcelByLocation"):
        assert (f"/query/{name}", "get") in operations
    assert ("/query/parcelsByPolygon", "post") in operations
    assert ("/query/rawChipsBatch", "post") in operations
    assert ("/query/jobs/{job_id}", "get") in operations
    assert ("/dump/{token}/{file_name}", "get") in operations
    assert ("/query/parcelTimeSeries", "get") in operations
    for name in ("markers", "trafficLights", "parcelEvidence"):
        assert (f"/query/{name}", "get") in operations
    for name in ("parcelSuggest", "parcelMap", "inspectionDecisions"):  # the inspector's
        assert (f"/query/{name}", "get") in operations
    assert ("/query/rawS1ChipsBatch", "post") in operations  # Sentinel-1
    for name in ("backgroundByLocation", "backgroundByParcelID", "backgroundByParcelId"):
        assert (f"/query/{name}", "get") in operations
    assert ("/query/weatherTimeSeries", "get") in operations
    assert ("/background/tiles/{name}/{z}/{x}/{y}.png", "get") in operations
    # 27 of the API, the background map tiles, /dump/ and the schema itself
    assert len(operations) == 30


def test_raw_chip_by_location_parameters(schema: dict[str, Any]) -> None:
    params = parameters(schema, "/query/rawChipByLocation")
    assert set(params) == {
        "lon", "lat", "start_date", "end_date", "plevel", "band", "chipsize", "refresh",
        "onlylist", "async",
    }  # fmt: skip
    assert has(params["lon"], LON | {"required": True})
    assert has(params["lat"], LAT | {"required": True})
    assert has(params["start_date"], DATE | {"required": True})
    assert has(params["end_date"], DATE | {"required": True})
    assert has(params["plevel"], CHIP_LEVEL | {"required": False})
    assert has(params["band"], {"type": "string", "enum": CHIP_BANDS, "required": True})
    assert has(params["chipsize"], CHIPSIZE | {"required": False})
    for name in ("refresh", "onlylist", "async"):
        assert has(params[name], BOOL_FALSE | {"required": False})


def test_chips_by_location_parameters(schema: dict[str, Any]) -> None:
    params = parameters(schema, "/query/chipsByLocation")
    assert set(params) == {
        "lon", "lat", "start_date", "end_date", "plevel", "bands", "lut", "chipsize", "refresh",
        "job", "format",
    }  # fmt: skip
    assert has(params["lon"], LON | {"required": True})
    assert has(params["lat"], LAT | {"required": True})
    assert has(params["start_date"], DATE | {"required": True})
    assert has(params["plevel"], CHIP_LEVEL)
    assert has(params["bands"], {"type": "string", "default": "B08_B04_B03", "required": False})
    assert params["bands"]["pattern"].startswith("^(B02|B03|")
    assert has(params["lut"], {"type": "string", "default": "5_95", "required": False})
    assert "pattern" in params["lut"]
    assert has(params["chipsize"], CHIPSIZE)
    assert has(params["refresh"], BOOL_FALSE)
    assert has(params["job"], {"type": "string", "format": "uuid", "required": False})
    assert has(params["format"], {"type": "string", "enum": ["html", "json"]})


def test_parcel_by_id_parameters(schema: dict[str, Any]) -> None:
    params = parameters(schema, "/query/parcelByID")
    assert set(params) == {"aoi", "year", "ptype", "pid", "withGeometry", "wgs84"}
    assert has(params["aoi"], {"type": "string", "maxLength": 16, "required": True})
    assert params["aoi"]["pattern"] == "^[A-Za-z][A-Za-z0-9_]{0,15}$"
    assert has(params["year"], {"type": "integer", "minimum": 1900, "maximum": 2100})
    assert params["year"]["required"]
    assert has(params["ptype"], {"type": "string", "pattern": "^[a-z0-9_]{0,8}$", "maxLength": 8})
    assert not params["ptype"]["required"]  # absent or empty: the main set
    assert has(params["pid"], {"type": "string", "minLength": 1, "maxLength": 64})
    assert params["pid"]["required"]
    assert has(params["withGeometry"], BOOL_FALSE | {"required": False})
    assert has(params["wgs84"], BOOL_FALSE | {"required": False})
    assert parameters(schema, "/query/parcelById") == params


def test_other_operations_parameters(schema: dict[str, Any]) -> None:
    by_parcel = parameters(schema, "/query/rawChipByParcelID")
    assert {"aoi", "year", "ptype", "pid", "band", "start_date"} <= set(by_parcel)
    assert "lon" not in by_parcel
    polygon = parameters(schema, "/query/parcelsByPolygon")
    assert has(polygon["polygon"], {"type": "string", "required": True})
    assert has(polygon["max"], {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100})
    assert has(polygon["only_ids"], {"type": "boolean", "default": True})
    assert "polygon" not in parameters(schema, "/query/parcelsByPolygon", "post")
    peers = parameters(schema, "/query/parcelPeers")
    assert has(peers["distance"], {"type": "number", "minimum": 0, "maximum": 100000})
    assert has(peers["max"], {"type": "integer", "minimum": 1, "maximum": 1000, "default": 10})


def test_every_parameter_has_a_type_and_constraints(schema: dict[str, Any]) -> None:
    """What a fuzzer needs to build valid values: a type; bounds for numbers; an enum, a
    pattern, a format or a length for strings."""
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                where = f"{method} {path} {param['name']}"
                kind = param["schema"].get("type")
                assert kind in ("string", "number", "integer", "boolean"), where
                if kind in ("number", "integer"):
                    assert {"minimum", "maximum"} <= set(param["schema"]), where
                if kind == "string":
                    constraints = {"enum", "pattern", "format", "maxLength", "minLength"}
                    assert constraints & set(param["schema"]), where


def test_request_bodies(schema: dict[str, Any]) -> None:
    batch = operation(schema, "/query/rawChipsBatch", "post")["requestBody"]
    assert batch["required"] and list(batch["content"]) == ["application/json"]
    body = resolve(schema, batch["content"]["application/json"]["schema"])
    assert set(body["required"]) == {"lon", "lat", "tiles", "bands"}
    props = body["properties"]
    assert set(props) == {"lon", "lat", "plevel", "tiles", "bands", "chipsize", "async"}
    assert has(props["lon"], LON) and has(props["chipsize"], CHIPSIZE)
    assert has(props["tiles"], {"type": "array", "minItems": 1, "items": {"type": "string"}})
    assert resolve(schema, props["bands"]["items"])["enum"] == BANDS
    assert resolve(schema, props["plevel"]["allOf"][0])["enum"] == ["LEVEL1C", "LEVEL2A"]
    assert has(props["async"], BOOL_FALSE)

    polygon = operation(schema, "/query/parcelsByPolygon", "post")["requestBody"]
    geojson = polygon["content"]["application/json"]["schema"]
    kinds = [alternative["properties"]["type"]["enum"] for alternative in geojson["oneOf"]]
    assert kinds == [["Polygon"], ["MultiPolygon"], ["Feature"]]
    assert "requestBody" not in operation(schema, "/query/parcelsByPolygon")


def test_answers(schema: dict[str, Any]) -> None:
    def answer(path: str, status: str, media: str = "application/json", method: str = "get"):
        content = operation(schema, path, method)["responses"][status]["content"]
        return resolve(schema, content[media]["schema"])

    raw = answer("/query/rawChipByLocation", "200")
    assert set(raw["properties"]) == {"dates", "chips", "errors"}
    assert raw["properties"]["chips"]["items"] == {"type": "string", "nullable": True}
    assert set(raw["required"]) == {"dates", "chips"}
    job = answer("/query/rawChipByLocation", "202")
    assert set(job["required"]) == {"job", "url", "status", "done", "total"}
    assert answer("/query/rawChipsBatch", "202", method="post") == job
    assert answer("/query/jobs/{job_id}", "200") == job
    columns = answer("/query/parcelByID", "200")
    assert set(columns["properties"]) == {
        "pid", "cropname", "cropcode", "srid", "area", "clon", "clat", "geom",
    }  # fmt: skip
    assert answer("/query/parcelsByPolygon", "200", method="post")["required"] == ["pid"]
    assert set(answer("/query/parcelPeers", "200")["properties"]) == {"pids", "distance"}
    assert set(answer("/query/info", "200")["properties"]) == {"server", "aois", "backgrounds"}
    composite = answer("/query/chipsByLocation", "200")
    assert {"state", "done", "total", "error", "job", "dates", "chips", "items", "failed"} == set(
        composite["properties"]
    )
    assert answer("/query/chipsByParcelID", "200", "text/html") == {"type": "string"}


ERRORS = {
    "/query/rawChipByLocation": {"400", "401", "429", "503"},
    "/query/rawChipByParcelID": {"400", "401", "403", "404", "429", "503"},
    "/query/parcelByID": {"400", "401", "403", "404", "429", "503"},
    "/query/parcelByLocation": {"400", "401", "403", "404", "429", "503"},
    "/query/chipsByParcelID": {"400", "401", "403", "404", "429", "503"},
    "/query/info": {"401", "429", "503"},
}


def test_errors_share_one_shape(schema: dict[str, Any]) -> None:
    error = schema["components"]["schemas"]["ErrorAnswer"]
    assert set(error["properties"]) == {"error", "param", "choices", "windows"}
    assert error["required"] == ["error"]
    for path, statuses in ERRORS.items():
        responses = operation(schema, path)["responses"]
        assert statuses <= set(responses), path
        for status in statuses:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorAnswer", (path, status)
    page_error = operation(schema, "/query/chipsByLocation")["responses"]["400"]["content"]
    assert set(page_error) == {"application/json", "text/html"}


def test_security_schemes(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}
    assert (
        schemes["tokenAuth"]["in"] == "header"
        and "Token <key>" in (schemes["tokenAuth"]["description"])
    )
    for path, item in schema["paths"].items():
        if path.startswith("/query/"):
            for op in item.values():
                # The three schemes, and no anonymous alternative ({}).
                assert op["security"] == [
                    {"basicAuth": []},
                    {"tokenAuth": []},
                    {"cookieAuth": []},
                ], path


def test_dump_is_documented_without_credentials(schema: dict[str, Any]) -> None:
    dump = operation(schema, "/dump/{token}/{file_name}")
    assert dump["security"] == []
    assert {p["name"] for p in dump["parameters"]} == {"token", "file_name"}
    assert all(p["in"] == "path" and p["required"] for p in dump["parameters"])
    assert set(dump["responses"]["200"]["content"]) == {"image/tiff", "image/png"}
    error = dump["responses"]["404"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/ErrorAnswer"}


def test_parcel_time_series_parameters(schema: dict[str, Any]) -> None:
    params = parameters(schema, "/query/parcelTimeSeries")
    assert all(params[name]["required"] for name in ("aoi", "year", "pid"))
    assert has(
        params["tstype"], {"enum": ["s2", "scl", "bs", "c6"], "default": "s2", "required": False}
    )
    assert has(params["tsformat"], {"enum": ["json", "csv"], "default": "json"})
    assert has(params["min_clear"], {"minimum": 0, "maximum": 100, "required": False})
    assert has(params["scl"], {"type": "boolean", "default": True})
    assert not params["start_date"]["required"] and not params["band"]["required"]


@pytest.mark.django_db
def test_api_docs_page_served_from_the_package_under_the_csp(client: Client) -> None:
    """/api/docs/ renders the schema with Swagger UI from this server's static files: no
    outside origin, no inline script, its one style block under the request's nonce."""
    import re

    from django.contrib.staticfiles import finders

    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce and f'<style nonce="{nonce.group(1)}">' in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources)  # nothing from a CDN
    for src in sources:
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src
    assert not re.search(r"<script>(?!</script>)", html)  # every script has a src
    script = next(s for s in sources if "script" in s)
    assert "/api/schema/" in client.get(script).content.decode()
