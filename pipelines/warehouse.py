"""Connections to the two DuckDB files.

The warehouse (internal) holds pseudonymized events and intermediate tables; the
published file holds only suppressed aggregates and is the only thing dashboards and
exports may open, read-only. Keeping them in two files makes "no pseudonym column is
ever published" a property of a file, easy to check, not of a permission.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from data_contracts.contracts import load_contract
from pipelines.settings import K_DEPARTMENT, TIMEZONE

SCHEMAS = ("raw", "staging", "intermediate", "marts")

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
        error varchar
    )
    """,
)


def configure(connection: duckdb.DuckDBPyConnection, k_school: int) -> None:
    """Session settings every model relies on: local time zone, both k, and the contract's enums."""
    connection.execute(f"set TimeZone = '{TIMEZONE}'")
    connection.execute("set enable_progress_bar = false")
    connection.execute("set variable k_school = ?", [k_school])
    connection.execute("set variable k_department = ?", [K_DEPARTMENT])
    events = load_contract("events")
    for name in ("role", "service", "action"):
        connection.execute(f"set variable {name}_values = ?", [list(events.column(name).valid_values)])


@contextmanager
def connect_warehouse(path: Path, k_school: int) -> Iterator[duckdb.DuckDBPyConnection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(path))
    try:
        configure(connection, k_school)
        for schema in SCHEMAS:
            connection.execute(f"create schema if not exists {schema}")
        for statement in BOOKKEEPING_TABLES:
            connection.execute(statement)
        yield connection
    finally:
        connection.close()


def connect_published_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)
