"""Write a release: copy the suppressed marts into a fresh published.duckdb, then swap it in.

The new file is written beside the old one and moved over it with os.replace, which is
atomic: a dashboard reading during a run keeps the previous release, and a run killed
half-way leaves the previous release untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

# Columns that must never leave the warehouse, whatever a future model selects.
FORBIDDEN_COLUMNS = ("user_key", "event_key", "user_id", "event_id")


@dataclass(frozen=True)
class Release:
    tables: int
    cells_published: int
    cells_suppressed: int


def publish(
    connection: duckdb.DuckDBPyConnection, marts: list[str], published_path: Path, k_school: int
) -> Release:
    """`connection` is the warehouse; `marts` the tables of schema marts to publish."""
    for mart in marts:
        columns = {row[0] for row in connection.execute(f"describe marts.{mart}").fetchall()}
        leaked = columns.intersection(FORBIDDEN_COLUMNS)
        if leaked:
            raise ValueError(f"marts.{mart} has identifying column(s) {sorted(leaked)}: refusing to publish.")

    staging_path = published_path.with_name(published_path.name + ".next")
    staging_path.unlink(missing_ok=True)
    connection.execute(f"attach '{staging_path}' as next_release")
    try:
        cells_published = cells_suppressed = 0
        for mart in marts:
            connection.execute(f"create table next_release.main.{mart} as select * from marts.{mart}")
            rows, suppressed = connection.execute(
                f"select count(*), coalesce(count_if(is_suppressed), 0) from marts.{mart}"
            ).fetchone()
            cells_published += rows
            cells_suppressed += suppressed
        connection.execute(
            """
            create table next_release.main.release_info as
            select
                (select max(occurred_on) from intermediate.int_events) as data_through,
                cast(? as integer) as k_school,
                cast(? as integer) as published_tables,
                cast(? as bigint) as cells_published,
                cast(? as bigint) as cells_suppressed
            """,
            [k_school, len(marts), cells_published, cells_suppressed],
        )
    finally:
        connection.execute("detach next_release")
    os.replace(staging_path, published_path)
    return Release(tables=len(marts), cells_published=cells_published, cells_suppressed=cells_suppressed)
