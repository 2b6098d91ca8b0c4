"""Which days a run must recompute: late-arriving days rebuild the weeks they touch, and only those.

A daily run on top of a school year should not rebuild the year. The models that are
partitioned by time (`-- Incremental by <column>` in their header) rebuild only a window of
days; the others (as-of-the-last-week measures, per-homework and per-term tables, data
quality) are small and always rebuilt in full.

The window comes from comparing the staging tables with what the last successful build read
(`intermediate.build_state` and `intermediate.build_event_files`, written by the last step
of a run):
- an event file loaded, reloaded, deleted, or thinned by an erasure since then is a change;
  the days it touches are the days of its rows now in staging and of its rows that counted
  in the last build (`intermediate.int_events`), so a day whose rows vanished is recomputed;
- the window is those days widened to whole ISO weeks and whole calendar months, so that
  every weekly and monthly row the models write is either wholly inside it or untouched;
  when the data grows past its previous first or last week, the weeks in between join it
  (they appear in every weekly table, even without events);
- a change of the roster, the school calendar, the models' SQL or the events contract
  changes every week: the run is a full rebuild. The first run is one too.

Duplicates are resolved within a day (int_events): a re-delivered event counts once, and the
days outside the window never change, which keeps the window exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb

from data_contracts.contracts import CONTRACTS_DIR
from pipelines.settings import MODELS_DIR

FULL, INCREMENTAL, NOTHING = "full", "incremental", "nothing"


@dataclass(frozen=True)
class RecomputeWindow:
    """What the incremental models rebuild in this run: every day (full), the days in
    [start, end) (incremental), or none (nothing changed in the events)."""

    mode: str
    reason: str
    start: date | None = None
    end: date | None = None
    changed_files: int = 0
    touched_days: int = 0

    @property
    def days(self) -> tuple[date, date] | None:
        """The [start, end) of an incremental window, None for a full rebuild."""
        return (self.start, self.end) if self.mode == INCREMENTAL else None

    def describe(self) -> str:
        if self.mode == INCREMENTAL:
            return (
                f"incremental: {self.start} to {self.end - timedelta(days=1)} "
                f"({self.changed_files} event file(s) changed, {self.touched_days} day(s) touched)"
            )
        return f"{self.mode}: {self.reason}"


def code_fingerprint() -> str:
    """The models' SQL and the events contract (its enums feed the models): any edit makes
    the next run a full rebuild, since the tables built before it follow the old definitions."""
    digest = hashlib.sha256()
    for path in [*sorted(MODELS_DIR.rglob("*.sql")), CONTRACTS_DIR / "events.odcs.yaml"]:
        digest.update(path.relative_to(path.parents[1]).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _content_fingerprint(connection: duckdb.DuckDBPyConnection, table: str) -> str:
    """Row count and an order-independent hash of every row: small snapshot tables only."""
    schema, name = table.split(".")
    if not _table_exists(connection, schema, name):
        return "absent"
    rows, digest = connection.execute(
        f"select count(*), coalesce(sum(hash(t)), 0) from {table} as t"
    ).fetchone()
    return f"{rows}:{digest}"


def _snapshot_fingerprints(connection: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return (
        _content_fingerprint(connection, "staging.stg_roster"),
        _content_fingerprint(connection, "staging.stg_school_calendar"),
    )


CURRENT_EVENT_FILES = """
    select delivered_on, file_name, loaded_at, rows_loaded
    from staging.file_loads
    where contract = 'events'
"""


def decide_window(connection: duckdb.DuckDBPyConnection) -> RecomputeWindow:
    """Compare staging with the last build's state (see the module's docstring)."""
    if not _table_exists(connection, "intermediate", "build_state") or not _table_exists(
        connection, "intermediate", "int_events"
    ):
        return RecomputeWindow(FULL, "first build of this warehouse")
    state = connection.execute(
        "select code, roster, calendar, first_week, last_week from intermediate.build_state"
    ).fetchone()
    if state is None:
        return RecomputeWindow(FULL, "first build of this warehouse")
    code, roster, calendar, first_week, last_week = state
    if code != code_fingerprint():
        return RecomputeWindow(FULL, "the models or the events contract changed since the last build")
    if (roster, calendar) != _snapshot_fingerprints(connection):
        return RecomputeWindow(FULL, "the roster or the school calendar changed: every week is affected")

    changed = connection.execute(
        f"""
        with current_files as ({CURRENT_EVENT_FILES}),
        built_files as (select * from intermediate.build_event_files),
        differences as (
            (select * from current_files except select * from built_files)
            union all
            (select * from built_files except select * from current_files)
        )
        select distinct delivered_on, file_name from differences
        """
    ).fetchall()
    if not changed:
        return RecomputeWindow(NOTHING, "no event file changed since the last build")

    connection.execute(
        "create or replace temp table changed_event_files (delivered_on date, file_name varchar)"
    )
    connection.executemany("insert into changed_event_files values (?, ?)", changed)
    first_delivery = min(day for day, _ in changed)
    last_delivery = max(day for day, _ in changed)
    # Literal bounds on delivered_on let DuckDB skip the row groups of other deliveries.
    bounds = f"delivered_on between date '{first_delivery}' and date '{last_delivery}'"
    touched = [
        day
        for (day,) in connection.execute(
            f"""
            select occurred_on from intermediate.int_events
            where {bounds} and (delivered_on, file_name) in (select (delivered_on, file_name) from changed_event_files)
            union
            select cast(occurred_hour as date) from staging.stg_events
            where {bounds} and (delivered_on, file_name) in (select (delivered_on, file_name) from changed_event_files)
            """
        ).fetchall()
        if day is not None
    ]
    if not touched:
        return RecomputeWindow(
            NOTHING, "the changed event files hold no event (all quarantined)", changed_files=len(changed)
        )
    start, end = min(touched), max(touched) + timedelta(days=1)
    # Weeks that appear between the previous data and the new days (weekly tables list every
    # week from the first to the last, events or not).
    if first_week is not None and last_week is not None:
        if end > last_week + timedelta(days=7):
            start = min(start, last_week + timedelta(days=7))
        if start < first_week:
            end = max(end, first_week)
    start, end = whole_weeks_and_months(start, end)
    return RecomputeWindow(INCREMENTAL, "event files changed", start, end, len(changed), len(touched))


def whole_weeks_and_months(start: date, end: date) -> tuple[date, date]:
    """Widen [start, end) to whole ISO weeks and whole calendar months, so that every weekly
    (week_start) and monthly (month_start) row is wholly inside the window or wholly outside."""
    last = end - timedelta(days=1)
    start = min(start - timedelta(days=start.weekday()), start.replace(day=1))
    next_monday = last + timedelta(days=7 - last.weekday())
    next_month = (last.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, max(next_monday, next_month)


def save_build_state(connection: duckdb.DuckDBPyConnection) -> None:
    """What this build read, for the next run's comparison: written once every model is built,
    so a run that fails half-way leaves the previous state and the next run redoes its window."""
    roster, calendar = _snapshot_fingerprints(connection)
    first_week, last_week = connection.execute(
        "select min(week_start), max(week_start) from intermediate.int_weeks"
    ).fetchone()
    connection.execute("begin transaction")
    connection.execute(f"create or replace table intermediate.build_event_files as {CURRENT_EVENT_FILES}")
    connection.execute(
        """
        create or replace table intermediate.build_state as
        select ? as code, ? as roster, ? as calendar, cast(? as date) as first_week,
            cast(? as date) as last_week, current_timestamp as built_at
        """,
        [code_fingerprint(), roster, calendar, first_week, last_week],
    )
    connection.execute("commit")
