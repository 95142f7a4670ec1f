"""How a scene's rows for a whole dataset reach the signature table: as plain tuples made
from the statistics' columns (no model instance per row), on PostgreSQL by COPY (straight
into the table, or into a temporary table and one INSERT ... ON CONFLICT when some are
there already), elsewhere (the SpatiaLite demo) by the ORM's bulk upsert. A bulk task
writes hundreds of thousands of rows: building and compiling a model instance for each
cost more than computing its statistics (docs/benchmarks-bulk.md).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from psycopg.errors import UniqueViolation

from chips.catalogue.models import Scene
from chips.catalogue.sar_models import SarScene
from chips.raster.zonal import BandStats
from chips.raster.zonal_bulk import StatsTable
from chips.signatures.models import SarSignature, Signature

# The two signature tables (Sentinel-2, Sentinel-1): the same columns, the same writes.
SignatureModel = type[Signature] | type[SarSignature]

# The table's columns as a row tuple holds them (the unique key first).
COLUMNS = ("parcel_id", "scene_id", "band", "sensing_time", "count", "mean", "std", "min",
           "p25", "p50", "p75", "max", "hist", "computed_at")  # fmt: skip
KEY = ("parcel_id", "scene_id", "band")
UPSERT_BATCH = 5000

Row = tuple[Any, ...]


def hist_keys(hist: dict[int, int] | None) -> dict[str, int] | None:
    """The histogram as the JSONField holds it: class codes as string keys, in order."""
    return None if hist is None else {str(k): v for k, v in sorted(hist.items())}


def hist_json(hist: dict[int, int] | None) -> str | None:
    """hist_keys as the JSON text a COPY row carries."""
    keys = hist_keys(hist)
    return None if keys is None else json.dumps(keys)


def table_rows(
    parcel_ids: Sequence[int], scene: Scene | SarScene, table: StatsTable
) -> Iterator[Row]:
    """One row per parcel of a band's StatsTable (parcel_ids in the table's order)."""
    now = timezone.now()
    n = len(table)
    hists = [hist_json(h) for h in table.hist] if table.hist else itertools.repeat(None, n)
    scene_id, band, when = scene.pk, table.band, scene.sensing_time
    for pk, count, mean, std, low, p25, p50, p75, high, hist in zip(
        parcel_ids, table.count.tolist(), *table.columns(), hists, strict=True
    ):
        yield (pk, scene_id, band, when, count, mean, std, low, p25, p50, p75, high, hist, now)


def stats_row(parcel_id: int, scene: Scene | SarScene, stats: BandStats) -> Row:
    """One parcel's row of one band (the one-parcel engine's result)."""
    return (parcel_id, scene.pk, stats.band, scene.sensing_time, stats.count, stats.mean,
            stats.std, stats.min, stats.p25, stats.p50, stats.p75, stats.max,
            hist_json(stats.hist), timezone.now())  # fmt: skip


def record(rows: Sequence[Signature | SarSignature]) -> None:
    """Upsert model rows through the ORM (a request's few rows; the bulk rows off
    PostgreSQL): a task redone after its worker died duplicates nothing."""
    if not rows:
        return
    manager: Any = type(rows[0])._default_manager
    manager.bulk_create(
        rows,
        batch_size=UPSERT_BATCH,
        update_conflicts=True,
        unique_fields=["parcel", "scene", "band"],
        update_fields=[c for c in COLUMNS if c not in KEY and c != "computed_at"],
    )


def upsert(rows: Iterable[Row], model: SignatureModel = Signature) -> int:
    """Insert the rows, or update those already there; how many. In the caller's
    transaction."""
    if connection.vendor == "postgresql":
        return _copy_upsert(rows, model)
    count = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, UPSERT_BATCH)):
        record([_instance(row, model) for row in batch])
        count += len(batch)
    return count


def insert_scene(make_rows: Callable[[], Iterable[Row]], model: SignatureModel = Signature) -> int:
    """A bulk task's rows of one scene: on PostgreSQL COPY straight into the table, the
    usual case (none of them there yet: a quarter less database work than the upsert);
    when one is there already (a rerun with other bands, or one parcel's rows a request
    recorded first), the COPY stops at it and the upsert writes them all. `make_rows`
    gives the rows afresh for the second try. In the caller's transaction."""
    if connection.vendor != "postgresql":
        return upsert(make_rows(), model)
    try:
        with transaction.atomic():  # a savepoint: a stopped COPY leaves nothing
            return _copy(connection.ops.quote_name(model._meta.db_table), make_rows())
    except UniqueViolation:
        return upsert(make_rows(), model)


def _instance(row: Row, model: SignatureModel) -> Signature | SarSignature:
    values = dict(zip(COLUMNS, row, strict=True))
    if values["hist"] is not None:
        values["hist"] = json.loads(values["hist"])
    return model(**values)


def _copy(table: str, rows: Iterable[Row]) -> int:
    """COPY the rows into `table` (a quoted name); how many."""
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django has no COPY
        with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _copy_upsert(rows: Iterable[Row], model: SignatureModel) -> int:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    load = f"{model._meta.db_table}_load"
    names = ", ".join(quote(c) for c in COLUMNS)
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}" for c in COLUMNS if c not in KEY and c != "computed_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # A session's own scratch table, emptied at commit: nothing of it outlives the work.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {load} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        count = _copy(load, rows)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {load} "
            f"ON CONFLICT ({', '.join(quote(c) for c in KEY)}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"DELETE FROM {load}")
    return count
