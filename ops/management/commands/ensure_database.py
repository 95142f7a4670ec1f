"""Create the configured PostgreSQL database and its postgis extension if missing.

`migrate` needs the database to exist; on SpatiaLite the file is created on first use, so
this does nothing there.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg import sql


class Command(BaseCommand):
    help = "Create the PostgreSQL database named in DATABASE_URL (and postgis) if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        if not db["ENGINE"].endswith("postgis"):
            return

        def connect(dbname: str) -> psycopg.Connection[tuple[Any, ...]]:
            return psycopg.connect(
                dbname=dbname,
                autocommit=True,
                host=db.get("HOST") or None,
                port=db.get("PORT") or None,
                user=db.get("USER") or None,
                password=db.get("PASSWORD") or None,
            )

        with connect("postgres") as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(f"created database {db['NAME']}")
        with connect(db["NAME"]) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
