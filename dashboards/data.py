"""All the dashboard's reads: the published release only, through a read-only connection.

The pipeline replaces `published.duckdb` atomically at each release, so the connection and
every cached query are keyed on the file's identity (inode and mtime): a new release gets a
new connection and fresh results without restarting the server.

Scoped access (DESIGN.md §4 rule 9) is enforced here, not only in the widgets: every function
that returns rows of a school takes the reader's `Entitlement`, refuses a table or a school it
does not cover (`AccessDenied`), and filters `school_uai` in SQL on the entitled schools. The
cached query's key is (release, SQL, parameters), and the entitled schools are among the
parameters: one account's cached rows can never be served to another.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd
import streamlit as st

from dashboards.access import SCHOOL_COLUMN, Entitlement, tables_with_school_rows
from dashboards.labels import ROLES, SERVICES
from pipelines import run_history
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


class AccessDenied(Exception):
    """The reader's entitlement does not cover this table or this school: nothing is read."""


# Tables whose rows each belong to one school (their grain has school_uai), from _privacy.yml.
SCHOOL_ROW_TABLES = tables_with_school_rows()


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


def _release() -> Release:
    release = current_release()
    if release is None:
        raise PublicationUnavailable(os.environ.get(PUBLISHED_DB_ENV, ""))
    return release


def _read(sql: str, parameters: tuple = ()) -> pd.DataFrame:
    release = _release()
    try:
        frame = _query(release, sql, parameters)
    except duckdb.Error as error:
        raise PublicationUnavailable(str(error)) from error
    if "week_start" in frame.columns:
        frame["week_start"] = pd.to_datetime(frame["week_start"]).dt.date
    return frame


def _scope(entitlement: Entitlement, table: str, school_uai: str | None = None) -> tuple[str, tuple]:
    """The `where` condition (and its parameters) that keeps only rows `entitlement` may read.

    Raises AccessDenied for a table outside the entitlement or a school outside it. With
    `school_uai`, only that school's rows; in any case, on a table of school rows, only the
    entitled schools' rows (the département, entitled to every school, reads k = 10 tables).
    """
    if not entitlement.may_read(table):
        raise AccessDenied(table)
    conditions, parameters = [], []
    if school_uai is not None:
        if not entitlement.may_see(school_uai):
            raise AccessDenied(table)
        conditions.append(f"{SCHOOL_COLUMN} = ?")
        parameters.append(school_uai)
    if table in SCHOOL_ROW_TABLES and entitlement.schools is not None:
        conditions.append(f"list_contains(?, {SCHOOL_COLUMN})")
        parameters.append(list(entitlement.schools))
    return " and ".join(conditions) or "true", tuple(parameters)


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


def schools(entitlement: Entitlement) -> list[str]:
    """The entitled schools that the release publishes, for the school picker."""
    where, parameters = _scope(entitlement, "adoption_weekly")
    frame = _read(
        f"select distinct school_uai from main.adoption_weekly where {where} order by school_uai",
        parameters,
    )
    return frame["school_uai"].tolist()


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=2, show_spinner=False)
def _band_columns(release: Release) -> dict[str, frozenset[str]]:
    """Table → its `_band` columns, for the whole release in one schema query.

    Why: a page reads half a dozen tables, and asking the schema once per table cost as many
    queries (and cache look-ups of a DataFrame) on every run; the schema only changes with the
    release, which keys this cache.
    """
    try:
        frame = _query(
            release,
            "select table_name, column_name from information_schema.columns "
            "where table_catalog = ? and suffix(column_name, '_band')",
            (PUBLISHED_CATALOG,),
        )
    except duckdb.Error as error:
        raise PublicationUnavailable(str(error)) from error
    columns: dict[str, set[str]] = {}
    for table, column in frame.itertuples(index=False, name=None):
        columns.setdefault(table, set()).add(column)
    return {table: frozenset(names) for table, names in columns.items()}


def _bands(table: str, *rates: str) -> str:
    """`, <rate>_band` for each rate the release publishes in bands (rule 7), if it has them."""
    present = _band_columns(_release()).get(table, frozenset())
    return "".join(f", {rate}_band" for rate in rates if f"{rate}_band" in present)


def adoption_weekly(entitlement: Entitlement, school_uai: str) -> pd.DataFrame:
    where, parameters = _scope(entitlement, "adoption_weekly", school_uai)
    frame = _read(
        f"select role, week_start, enrolled, active_users, adoption_rate{_bands('adoption_weekly', 'adoption_rate')}, "
        f"is_suppressed from main.adoption_weekly where {where}",
        parameters,
    )
    return _in_reading_order(frame, "role", ROLES)


def adoption_department_weekly(entitlement: Entitlement) -> pd.DataFrame:
    """Adoption across every school of the département, per role (k = 10)."""
    where, parameters = _scope(entitlement, "adoption_department_weekly")
    bands = _bands("adoption_department_weekly", "adoption_rate")
    frame = _read(
        f"select role, week_start, enrolled, active_users, adoption_rate{bands}, "
        f"is_suppressed from main.adoption_department_weekly where {where}",
        parameters,
    )
    return _in_reading_order(frame, "role", ROLES)


def classes(entitlement: Entitlement, school_uai: str) -> list[str]:
    where, parameters = _scope(entitlement, "homework_class_weekly", school_uai)
    frame = _read(
        f"select distinct class_id from main.homework_class_weekly where {where} order by class_id",
        parameters,
    )
    return frame["class_id"].tolist()


def homework_class_weekly(entitlement: Entitlement, school_uai: str, class_id: str) -> pd.DataFrame:
    where, parameters = _scope(entitlement, "homework_class_weekly", school_uai)
    bands = _bands("homework_class_weekly", "submission_rate", "on_time_rate")
    return _read(
        "select week_start, homework_count, expected, on_time, late, missing, pending, "
        f"submission_rate, on_time_rate{bands}, is_suppressed "
        f"from main.homework_class_weekly where {where} and class_id = ? "
        "order by week_start",
        (*parameters, class_id),
    )


def service_usage_weekly(entitlement: Entitlement, school_uai: str, role: str) -> pd.DataFrame:
    where, parameters = _scope(entitlement, "service_usage_weekly", school_uai)
    frame = _read(
        f"select service, week_start, enrolled, users, reach{_bands('service_usage_weekly', 'reach')}, "
        f"is_suppressed from main.service_usage_weekly where {where} and role = ?",
        (*parameters, role),
    )
    return _in_reading_order(frame, "service", SERVICES)


def roles_with_service_usage(entitlement: Entitlement, school_uai: str) -> list[str]:
    where, parameters = _scope(entitlement, "service_usage_weekly", school_uai)
    frame = _read(
        f"select distinct role from main.service_usage_weekly where {where}",
        parameters,
    )
    return frame["role"].tolist()


def data_quality_weekly(entitlement: Entitlement, school_uai: str) -> pd.DataFrame:
    where, parameters = _scope(entitlement, "data_quality_weekly", school_uai)
    return _read(
        "select week_start, events, events_unmatched from main.data_quality_weekly "
        f"where {where} order by week_start",
        parameters,
    )


# The pages' own reads (direction, conseil de classe, référent) ------------------------------
# A period is two dates, `first_day` and `last_day` (dashboards/filters.py `Period`): a week is
# in it when its Thursday is, as the marts assign weeks to school years and terms; a month when
# its first day is. They are SQL parameters, like the schools, so they key the query cache.

_WEEK_IN_PERIOD = "week_start + 3 between ? and ?"
_TERM_OF_WEEK = (
    "case when month(week_start + 3) >= 9 then 'T1' when month(week_start + 3) <= 3 then 'T2' else 'T3' end"
)
_YEAR_OF_WEEK = (
    "concat(year(week_start + 3) - (month(week_start + 3) < 9)::int, '-', "
    "year(week_start + 3) - (month(week_start + 3) < 9)::int + 1)"
)


def school_terms(entitlement: Entitlement, school_uai: str) -> list[tuple[str, str]]:
    """The (school year, term) pairs that the school's published weeks cover, for the period picker."""
    where, parameters = _scope(entitlement, "adoption_weekly", school_uai)
    frame = _read(
        f"select distinct {_YEAR_OF_WEEK} as school_year, {_TERM_OF_WEEK} as term "
        f"from main.adoption_weekly where {where} order by all",
        parameters,
    )
    return list(frame.itertuples(index=False, name=None))


def adoption_weekly_between(
    entitlement: Entitlement, school_uai: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """adoption_weekly of one school, every role, for the weeks of a period."""
    where, parameters = _scope(entitlement, "adoption_weekly", school_uai)
    bands = _bands("adoption_weekly", "adoption_rate")
    return _read(
        f"select role, week_start, school_week_number, enrolled, active_users, adoption_rate{bands}, "
        f"is_suppressed from main.adoption_weekly where {where} and {_WEEK_IN_PERIOD} "
        "order by week_start, list_position(?, role)",
        (*parameters, first_day, last_day, list(ROLES)),
    )


def adoption_first_month(entitlement: Entitlement, school_uai: str) -> pd.DataFrame:
    """One row per role: the first four school weeks after the school's start date."""
    where, parameters = _scope(entitlement, "adoption_first_month", school_uai)
    bands = _bands("adoption_first_month", "active_share", "regular_share")
    frame = _read(
        "select role, start_week, weeks_observed, enrolled, active_once, regular, active_share, "
        f"regular_share{bands}, is_suppressed from main.adoption_first_month where {where} "
        "order by list_position(?, role)",
        (*parameters, list(ROLES)),
    )
    frame["start_week"] = pd.to_datetime(frame["start_week"]).dt.date
    return frame


def adoption_trends(
    entitlement: Entitlement, school_uai: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """Each role's rate against the previous school week and last year, for the weeks of a period."""
    where, parameters = _scope(entitlement, "adoption_trends", school_uai)
    return _read(
        "select role, week_start, school_year, school_week_number, adoption_rate, previous_rate, change, "
        f"last_year_rate, change_since_last_year from main.adoption_trends where {where} "
        f"and {_WEEK_IN_PERIOD} order by week_start, list_position(?, role)",
        (*parameters, first_day, last_day, list(ROLES)),
    )


def adoption_position(
    entitlement: Entitlement, school_uai: str, role: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """The school's rate for one role against the département's quartiles, week by week."""
    where, parameters = _scope(entitlement, "adoption_position", school_uai)
    return _read(
        "select week_start, adoption_rate, schools, department_q1, department_median, department_q3, "
        f"quartile from main.adoption_position where {where} and role = ? and {_WEEK_IN_PERIOD} "
        "order by week_start",
        (*parameters, role, first_day, last_day),
    )


def service_usage_in_week(entitlement: Entitlement, school_uai: str, week_start: dt.date) -> pd.DataFrame:
    """service_usage_weekly of one school and one week: every role and service."""
    where, parameters = _scope(entitlement, "service_usage_weekly", school_uai)
    return _read(
        f"select role, service, week_start, enrolled, users, reach{_bands('service_usage_weekly', 'reach')}, "
        f"is_suppressed from main.service_usage_weekly where {where} and week_start = ? "
        "order by list_position(?, role), list_position(?, service)",
        (*parameters, week_start, list(ROLES), list(SERVICES)),
    )


def homework_class_between(
    entitlement: Entitlement, school_uai: str, class_id: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """homework_class_weekly of one class, for the weeks of a period."""
    where, parameters = _scope(entitlement, "homework_class_weekly", school_uai)
    bands = _bands("homework_class_weekly", "submission_rate", "on_time_rate")
    return _read(
        "select week_start, homework_count, expected, on_time, late, missing, pending, "
        f"submission_rate, on_time_rate{bands}, is_suppressed "
        f"from main.homework_class_weekly where {where} and class_id = ? and {_WEEK_IN_PERIOD} "
        "order by week_start",
        (*parameters, class_id, first_day, last_day),
    )


def homework_load_class(
    entitlement: Entitlement, school_uai: str, class_id: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """homework_load_class_daily of one class: homework due each day, for the weeks of a period."""
    where, parameters = _scope(entitlement, "homework_load_class_daily", school_uai)
    frame = _read(
        "select week_start, due_on, weekday, pupils, homework_due, disciplines, is_suppressed "
        f"from main.homework_load_class_daily where {where} and class_id = ? and {_WEEK_IN_PERIOD} "
        "order by due_on",
        (*parameters, class_id, first_day, last_day),
    )
    frame["due_on"] = pd.to_datetime(frame["due_on"]).dt.date
    return frame


def cdt_class_weekly(
    entitlement: Entitlement, school_uai: str, class_id: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """cdt_class_weekly of one class (entries, never a teacher's), for the weeks of a period."""
    where, parameters = _scope(entitlement, "cdt_class_weekly", school_uai)
    return _read(
        "select week_start, is_school_week, teachers, teachers_posting, entries, disciplines_with_entries, "
        f"is_suppressed from main.cdt_class_weekly where {where} and class_id = ? and {_WEEK_IN_PERIOD} "
        "order by week_start",
        (*parameters, class_id, first_day, last_day),
    )


def cdt_class_term(
    entitlement: Entitlement, school_uai: str, class_id: str, school_year: str, term: str | None = None
) -> pd.DataFrame:
    """cdt_class_term of one class: each term of a school year, or only `term`."""
    where, parameters = _scope(entitlement, "cdt_class_term", school_uai)
    return _read(
        "select school_year, term, teachers, school_weeks, weeks_with_entries, regularity, is_suppressed "
        f"from main.cdt_class_term where {where} and class_id = ? and school_year = ? "
        "and (? is null or term = ?) order by term",
        (*parameters, class_id, school_year, term, term),
    )


def parent_reach_monthly(
    entitlement: Entitlement, school_uai: str, class_id: str, first_day: dt.date, last_day: dt.date
) -> pd.DataFrame:
    """parent_reach_monthly of one class, for the months of a period."""
    where, parameters = _scope(entitlement, "parent_reach_monthly", school_uai)
    bands = _bands("parent_reach_monthly", "reach")
    frame = _read(
        f"select month_start, pupils, pupils_with_parent, pupils_with_parent_active, reach{bands}, "
        f"is_suppressed from main.parent_reach_monthly where {where} and class_id = ? "
        "and month_start between ? and ? order by month_start",
        (*parameters, class_id, first_day, last_day),
    )
    frame["month_start"] = pd.to_datetime(frame["month_start"]).dt.date
    return frame


def training_needs(entitlement: Entitlement) -> pd.DataFrame:
    """training_needs of every entitled school, at the release's reference week, highest priority first."""
    where, parameters = _scope(entitlement, "training_needs")
    bands = _bands("training_needs", "share")
    return _read(
        f"select school_uai, role, service, week_start, teachers, teachers_using, share, priority{bands}, "
        f"is_suppressed from main.training_needs where {where} "
        "qualify week_start = max(week_start) over () "
        "order by priority desc nulls last, school_uai, service",
        parameters,
    )


def training_needs_discipline(entitlement: Entitlement) -> pd.DataFrame:
    """training_needs_discipline (the département's teams, k = 10), highest priority first."""
    where, parameters = _scope(entitlement, "training_needs_discipline")
    bands = _bands("training_needs_discipline", "share")
    return _read(
        f"select discipline, role, service, week_start, teachers, teachers_using, share, priority{bands}, "
        f"is_suppressed from main.training_needs_discipline where {where} "
        "qualify week_start = max(week_start) over () "
        "order by priority desc nulls last, discipline, service",
        parameters,
    )


def workshop_effects(entitlement: Entitlement) -> pd.DataFrame:
    """workshop_effects of every entitled school (k = 10), latest workshops first."""
    where, parameters = _scope(entitlement, "workshop_effects")
    bands = _bands("workshop_effects", "share_before", "share_after")
    return _read(
        "select school_uai, role, service, week_start, weeks_before_available, weeks_after_available, "
        "control_schools, attendees, teachers, teachers_using_before, teachers_using_after, share_before, "
        f"share_after, control_share_before, control_share_after, effect{bands}, is_suppressed "
        f"from main.workshop_effects where {where} order by week_start desc, school_uai, service",
        parameters,
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


# Data quality ("Qualité des données" page) ------------------------------------------------
# The data-quality tables count files and rows, never persons (audience none in _privacy.yml);
# the run history is the pipeline's own small file beside the release (pipelines/run_history.py),
# since a failed run publishes nothing that could say it failed.

RUN_HISTORY_ENV = "REPERES_RUN_HISTORY"
RUNS_SHOWN = 10
QUALITY_DATE_COLUMNS = ("delivered_on", "last_delivered_on", "last_event_on")


def _published_tables() -> set[str]:
    frame = _read(
        "select table_name from information_schema.tables where table_catalog = ?", (PUBLISHED_CATALOG,)
    )
    return set(frame["table_name"])


def _quality_table(entitlement: Entitlement, table: str, columns: str, order: str) -> pd.DataFrame | None:
    """The rows of a data-quality table, or None when the release predates it."""
    where, parameters = _scope(entitlement, table)
    if table not in _published_tables():
        return None
    frame = _read(f"select {columns} from main.{table} where {where} order by {order}", parameters)
    for column in QUALITY_DATE_COLUMNS:
        if column in frame.columns:
            frame[column] = [
                None if pd.isna(value) else pd.Timestamp(value).date() for value in frame[column]
            ]
    return frame


def data_quality_sources(entitlement: Entitlement) -> pd.DataFrame | None:
    """One row per source (events, roster, workshops): files, last day delivered, rows."""
    return _quality_table(
        entitlement,
        "data_quality_sources",
        "contract, last_delivered_on, last_event_on, files, files_unreadable, rows_read, rows_loaded, "
        "rows_quarantined, rows_duplicate",
        "contract",
    )


def data_quality_files(entitlement: Entitlement) -> pd.DataFrame | None:
    """One row per landing file loaded, latest deliveries first."""
    return _quality_table(
        entitlement,
        "data_quality_files",
        "contract, delivered_on, file_name, error, rows_read, rows_loaded, rows_quarantined, rows_duplicate",
        "delivered_on desc nulls last, contract, file_name",
    )


def data_quality_rules(entitlement: Entitlement) -> pd.DataFrame | None:
    """One row per source, column and broken rule of the quarantined rows, the most frequent first."""
    return _quality_table(
        entitlement,
        "data_quality_rules",
        "contract, column_name, rule, first_file_name, first_file_row, first_file_line, "
        "last_delivered_on, rows_quarantined, files",
        "rows_quarantined desc, contract, column_name, rule",
    )


def roster_coverage(entitlement: Entitlement) -> pd.DataFrame:
    """Events and events of accounts missing from the roster, per entitled school and week."""
    where, parameters = _scope(entitlement, "data_quality_weekly")
    return _read(
        "select school_uai, week_start, events, events_unmatched from main.data_quality_weekly "
        f"where {where} order by school_uai, week_start",
        parameters,
    )


def run_history_location() -> Path | None:
    """$REPERES_RUN_HISTORY, else run_history.jsonl beside the published file (DATA/)."""
    if os.environ.get(RUN_HISTORY_ENV):
        return Path(os.environ[RUN_HISTORY_ENV])
    published = os.environ.get(PUBLISHED_DB_ENV)
    return Path(published).with_name(run_history.RUN_HISTORY_FILE) if published else None


@st.cache_data(ttl=QUERY_TTL_SECONDS, max_entries=8, show_spinner=False)
def _runs(path: str, mtime_ns: int, size: int, limit: int) -> list[dict]:
    # Keyed on the file's mtime and size: a new line is read at once, an unchanged file never.
    return run_history.read_records(Path(path), limit)


def recent_runs(limit: int = RUNS_SHOWN) -> list[dict]:
    """The last runs of `reperes run`, newest first (empty when none is recorded)."""
    path = run_history_location()
    if path is None:
        return []
    try:
        status = path.stat()
    except OSError:
        return []
    return _runs(str(path), status.st_mtime_ns, status.st_size, limit)
