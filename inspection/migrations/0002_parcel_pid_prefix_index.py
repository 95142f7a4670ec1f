"""An index for the search box's id prefixes (inspection.selectors.suggest), on PostGIS: the
parcels' (dataset_id, pid) unique index cannot serve `pid LIKE 'x%'` unless the database's
collation is "C" (C.UTF-8 is not), nor its order; (pid COLLATE "C") serves both, in byte
order, whatever the collation. On SpatiaLite the unique index serves it (nothing to do)."""

from typing import Any

from django.db import migrations

NAME = "inspection_parcel_pid_prefix"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON parcels_parcel "
            '(dataset_id, (pid COLLATE "C"))'
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("inspection", "0001_initial"),
        ("parcels", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
