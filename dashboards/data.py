"""All the dashboard's reads: the published release only, through a read-only connection.

The pipeline replaces `published.duckdb` atomically at each release, so the connection and
every cached query are keyed on the file's identity (inode and mtime): a new release gets a
new connection and fresh results without restarting the server.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from typing import NamedTuple

import duckdb
import pandas as pd
import streamlit as st

from dashboards.labels import ROLES, SERVICES
from pipelines.privacy_report import ReleaseFacts

PUBLISHED_DB_ENV = "REPERES_PUBLISHED_DB"
QUERY_TTL_SECONDS = 60
QUERY_CACHE_ENTRIES = 512
PUBLISHED_CATALOG = "published"


class Release(NamedTuple):
    """Which file, and which version of it, the queries read."""

    path: str
    inode: int
    mtime_ns: int


class ReleaseInfo(NamedTuple):
    data_through: dt.date | None
    k_school: int
    published_tables: int
    cells_published: int
    cells_suppressed: int


class PublicationUnavailable(Exception):
    """The published file is missing or cannot be opened; the message is for the reader."""


def current_release() -> Release | None:
    """The published file as it is on disk now, or None when there is none."""
    path = os.environ.get(PUBLISHED_DB_ENV)
    if not path:
        return None
    try:
        status = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return Release(path, status.st_ino, status.st_mtime_ns)


def published_db_location() -> str:
    """Where the dashboard looks for the release, for the message shown when it is missing."""
    path = os.environ.get(PUBLISHED_DB_ENV)
    if not path:
        return f"la variable d'environnement {PUBLISHED_DB_ENV} n'est pas définie."
    return f"fichier attendu : {path}"


@st.cache_resource(max_entries=2, on_release=lambda connection: connection.close())
def _connect(release: Release) -> duckdb.DuckDBPyConnection:
    """A connection that can only read this release.

    `duckdb.connect(path, read_only=True)` would be simpler, but DuckDB hands back the database
    it already has open for a path, which still reads the previous release's (renamed away)
    file. A fresh in-memory database that attaches the file read-only always opens the file
    now at `path`; once attached, file access is switched off so no query can reach anything
    else. Two entries: a session still reading the previous release keeps its connection
    while the next one opens; the third release closes the oldest.
    """
    connection = duckdb.connect(":memory:")
    connection.execute(f"attach ? as {PUBLISHED_CATALOG} (read_only)", [release.path])
    connection.execute("set enable_external_access = false")
    connection.execute("set lock_configuration = true")
    return connection


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=QUERY_CACHE_ENTRIES, show_spinner=False)
def _query(release: Release, sql: str, parameters: tuple = ()) -> pd.DataFrame:
    # One connection serves every session: each query gets its own cursor, which is how
    # DuckDB connections are shared between threads.
    with _connect(release).cursor() as cursor:
        cursor.execute(f"use {PUBLISHED_CATALOG}")
        return cursor.execute(sql, list(parameters)).df()


def _read(sql: str, parameters: tuple = ()) -> pd.DataFrame:
    release = current_release()
    if release is None:
        raise PublicationUnavailable(os.environ.get(PUBLISHED_DB_ENV, ""))
    try:
        frame = _query(release, sql, parameters)
    except duckdb.Error as error:
        raise PublicationUnavailable(str(error)) from error
    if "week_start" in frame.columns:
        frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    return frame


def _in_reading_order(frame: pd.DataFrame, column: str, order: tuple[str, ...]) -> pd.DataFrame:
    """Weeks in time order, then roles or services in the order the pages present them."""
    rank = {value: position for position, value in enumerate(order)}
    return frame.sort_values(
        ["week_start", column],
        key=lambda values: values.map(rank) if values.name == column else values,
        kind="stable",
    ).reset_index(drop=True)


def release_info() -> ReleaseInfo:
    frame = _read(
        "select data_through, k_school, published_tables, cells_published, cells_suppressed "
        "from main.release_info limit 1"
    )
    if frame.empty:
        return ReleaseInfo(None, 5, 0, 0, 0)
    row = frame.iloc[0]
    data_through = None if pd.isna(row["data_through"]) else pd.Timestamp(row["data_through"])
    return ReleaseInfo(
        data_through=data_through.date() if data_through is not None else None,
        k_school=int(row["k_school"]),
        published_tables=int(row["published_tables"]),
        cells_published=int(row["cells_published"]),
        cells_suppressed=int(row["cells_suppressed"]),
    )


def schools() -> list[str]:
    frame = _read(
        "select distinct school_uai from main.adoption_weekly order by school_uai",
    )
    return frame["school_uai"].tolist()


def _bands(table: str, *rates: str) -> str:
    """`, <rate>_band` for each rate the release publishes in bands (rule 7), if it has them."""
    frame = _read(
        "select column_name from information_schema.columns where table_catalog = ? and table_name = ?",
        (PUBLISHED_CATALOG, table),
    )
    present = set(frame["column_name"])
    return "".join(f", {rate}_band" for rate in rates if f"{rate}_band" in present)


def adoption_weekly(school_uai: str) -> pd.DataFrame:
    frame = _read(
        f"select role, week_start, enrolled, active_users, adoption_rate{_bands('adoption_weekly', 'adoption_rate')}, "
        "is_suppressed from main.adoption_weekly where school_uai = ?",
        (school_uai,),
    )
    return _in_reading_order(frame, "role", ROLES)


def classes(school_uai: str) -> list[str]:
    frame = _read(
        "select distinct class_id from main.homework_class_weekly where school_uai = ? order by class_id",
        (school_uai,),
    )
    return frame["class_id"].tolist()


def homework_class_weekly(school_uai: str, class_id: str) -> pd.DataFrame:
    bands = _bands("homework_class_weekly", "submission_rate", "on_time_rate")
    return _read(
        "select week_start, homework_count, expected, on_time, late, missing, pending, "
        f"submission_rate, on_time_rate{bands}, is_suppressed "
        "from main.homework_class_weekly where school_uai = ? and class_id = ? "
        "order by week_start",
        (school_uai, class_id),
    )


def service_usage_weekly(school_uai: str, role: str) -> pd.DataFrame:
    frame = _read(
        f"select service, week_start, enrolled, users, reach{_bands('service_usage_weekly', 'reach')}, "
        "is_suppressed from main.service_usage_weekly where school_uai = ? and role = ?",
        (school_uai, role),
    )
    return _in_reading_order(frame, "service", SERVICES)


def roles_with_service_usage(school_uai: str) -> list[str]:
    frame = _read(
        "select distinct role from main.service_usage_weekly where school_uai = ?",
        (school_uai,),
    )
    return frame["role"].tolist()


def data_quality_weekly(school_uai: str) -> pd.DataFrame:
    return _read(
        "select week_start, events, events_unmatched from main.data_quality_weekly "
        "where school_uai = ? order by week_start",
        (school_uai,),
    )


def release_facts() -> ReleaseFacts:
    """The release's own description, for the transparency page (rule 10)."""
    frame = _read("select * from main.release_info limit 1")
    if frame.empty:
        return ReleaseFacts()
    known = ReleaseFacts.__dataclass_fields__
    row = {name: value for name, value in frame.iloc[0].items() if name in known}
    return ReleaseFacts(**{name: None if pd.isna(value) else _plain(value) for name, value in row.items()})


def _plain(value):
    """numpy and pandas scalars as the Python values the report formats."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value
