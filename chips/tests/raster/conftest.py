"""The raster core's tests run without a database, as the core itself does (no Django)."""

from __future__ import annotations

import pytest

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def no_database(request: pytest.FixtureRequest) -> None:
    """A test here that asks for the database is not a raster test: it belongs elsewhere."""
    asked = DATABASE_FIXTURES & set(request.fixturenames)
    marked = request.node.get_closest_marker("django_db")
    if asked or marked:
        pytest.fail(f"{request.node.nodeid} uses the database; raster tests must not")
