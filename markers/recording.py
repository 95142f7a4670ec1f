"""Writing a batch's events and lights: replace the parcels' events and upsert their
lights in one transaction (a parcel is either wholly recomputed or left as it was).

On PostgreSQL the rows go in by COPY (events straight into their table; lights into a
temporary table, then one INSERT .. ON CONFLICT into theirs): building a Django model and
compiling its INSERT cost more than the detector per parcel (docs/markers.md, figures).
Elsewhere (SpatiaLite) through the ORM's bulk_create."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from markers.models import MarkerEvent, TrafficLight

EVENT_COLUMNS = ("parcel_id", "year", "marker", "marker_type", "date_start", "date_main",
                 "date_end", "value_1", "value_2", "value_3", "signal", "confidence",
                 "observations", "detector")  # fmt: skip
LIGHT_COLUMNS = ("parcel_id", "year", "practice", "light", "reason_code", "reason",
                 "observability", "clear_observations", "events", "detector", "rules",
                 "computed_at")  # fmt: skip
EventRow = tuple[int, int, str, str, dt.date, dt.date, dt.date, float, float, float, str,
                 float, int, str]  # fmt: skip
LightRow = tuple[int, int, str, str, str, str, float, int, int, str, str]


def replace(year: int, parcel_ids: Sequence[int], events: Sequence[EventRow],
            lights: Sequence[LightRow]) -> None:  # fmt: skip
    """The parcels' events replaced by `events`, their lights upserted from `lights`
    (rows in EVENT_COLUMNS / LIGHT_COLUMNS order, computed_at left out: now)."""
    now = timezone.now()
    with transaction.atomic():
        MarkerEvent.objects.filter(parcel_id__in=list(parcel_ids), year=year).delete()
        if connection.vendor == "postgresql":
            _copy(events, [(*row, now) for row in lights])
        else:
            _orm(events, [(*row, now) for row in lights])


def _copy(events: Sequence[EventRow], lights: Sequence[tuple[object, ...]]) -> None:
    q = connection.ops.quote_name
    table, lights_table = q(MarkerEvent._meta.db_table), q(TrafficLight._meta.db_table)
    updates = ", ".join(f"{c} = excluded.{c}" for c in LIGHT_COLUMNS[2:])
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own: COPY
        with cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for row in events:
                copy.write_row(row)
        cursor.execute(
            f"CREATE TEMPORARY TABLE markers_light_batch ON COMMIT DROP AS "
            f"SELECT {', '.join(LIGHT_COLUMNS)} FROM {lights_table} WITH NO DATA"
        )
        with cursor.copy(
            f"COPY markers_light_batch ({', '.join(LIGHT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for light in lights:
                copy.write_row(light)
        cursor.execute(
            f"INSERT INTO {lights_table} ({', '.join(LIGHT_COLUMNS)}) "
            f"SELECT {', '.join(LIGHT_COLUMNS)} FROM markers_light_batch "
            f"ON CONFLICT (parcel_id, year) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE markers_light_batch")


def _orm(events: Sequence[EventRow], lights: Sequence[tuple[object, ...]]) -> None:
    MarkerEvent.objects.bulk_create(
        [MarkerEvent(**dict(zip(EVENT_COLUMNS, row, strict=True))) for row in events],
        batch_size=5000,
    )
    TrafficLight.objects.bulk_create(
        [TrafficLight(**dict(zip(LIGHT_COLUMNS, row, strict=True))) for row in lights],
        batch_size=5000,
        update_conflicts=True,
        unique_fields=["parcel", "year"],
        update_fields=[c for c in LIGHT_COLUMNS[2:]],
    )
