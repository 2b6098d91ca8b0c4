"""Connections to the two DuckDB files.

The warehouse (internal) holds pseudonymized events and intermediate tables; the
published file holds only suppressed aggregates and is the only thing dashboards and
exports may open, read-only. Keeping them in two files makes "no pseudonym column is
ever published" a property of a file, easy to check, not of a permission.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import psutil

from data_contracts.contracts import load_contract
from pipelines.settings import K_DEPARTMENT, MEMORY_LIMIT_ENV_VAR, TIMEZONE

SCHEMAS = ("raw", "staging", "intermediate", "marts")

# The window of a full rebuild: every day an event can carry.
FULL_WINDOW_START = date(1, 1, 1)
FULL_WINDOW_END = date(9999, 12, 31)

BOOKKEEPING_TABLES = (
    """
    create table if not exists raw.landing_files (
        contract varchar,
        file_name varchar,
        delivered_on date,
        format varchar,
        size_bytes bigint,
        status varchar
    )
    """,
    """
    create table if not exists staging.quarantine (
        contract varchar,
        delivered_on date,
        file_name varchar,
        file_row bigint,  -- record number in the file as read (1 = first data record)
        file_line bigint,  -- physical line, when the reader knows it (JSON Lines, CSV lines it rejected)
        column_name varchar,
        rule varchar,
        observed_value varchar
    )
    """,
    """
    create table if not exists staging.file_loads (
        contract varchar,
        delivered_on date,
        file_name varchar,
        rows_read bigint,
        rows_loaded bigint,
        rows_quarantined bigint,
        error varchar,
        -- When the file was loaded: a reloaded file is a change, even with the same counts
        -- (pipelines/incremental.py recomputes the days it touches).
        loaded_at timestamptz default current_timestamp
    )
    """,
    # Warehouses created before loaded_at existed.
    "alter table staging.file_loads add column if not exists loaded_at timestamptz default current_timestamp",
)


def memory_limit() -> str:
    """REPERES_MEMORY_LIMIT, or a third of the machine's memory, at most 3 GiB.

    DuckDB's own default (80 % of the machine) lets it keep whatever it reads as cache: a 2 GB
    landing file then costs 2 GB of memory. A limit makes it stream and spill instead, leaves
    room for Python and Dagster, and keeps a département's run under 4 GiB (issue 8).
    """
    configured = os.environ.get(MEMORY_LIMIT_ENV_VAR)
    if configured:
        return configured
    third_mib = psutil.virtual_memory().total // 3 // (1 << 20)
    return f"{min(third_mib, 3 * 1024)}MiB"


def configure(connection: duckdb.DuckDBPyConnection, k_school: int) -> None:
    """Session settings every model relies on: local time zone, both k, and the contract's enums."""
    connection.execute(f"set memory_limit = '{memory_limit()}'")
    connection.execute(f"set TimeZone = '{TIMEZONE}'")
    connection.execute("set enable_progress_bar = false")
    connection.execute("set variable k_school = ?", [k_school])
    connection.execute("set variable k_department = ?", [K_DEPARTMENT])
    events = load_contract("events")
    for name in ("role", "service", "action"):
        connection.execute(f"set variable {name}_values = ?", [list(events.column(name).valid_values)])
    set_recompute_window(connection, None)


def set_recompute_window(connection: duckdb.DuckDBPyConnection, window: tuple[date, date] | None) -> None:
    """The days [start, end) the incremental models rebuild (`getvariable('recompute_start')`
    in their SQL); None = every day, a full rebuild. DuckDB folds the variables into constants,
    so the filters reach the table scans and skip the row groups outside the window."""
    start, end = window or (FULL_WINDOW_START, FULL_WINDOW_END)
    connection.execute("set variable recompute_start = ?", [start])
    connection.execute("set variable recompute_end = ?", [end])


@contextmanager
def connect_warehouse(path: Path, k_school: int) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        configure(connection, k_school)
        connection.execute(f"set temp_directory = '{path.parent / 'duckdb_spill'}'")
        for schema in SCHEMAS:
            connection.execute(f"create schema if not exists {schema}")
        for statement in BOOKKEEPING_TABLES:
            connection.execute(statement)
        yield connection
    finally:
        connection.close()


def connect_published_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)
