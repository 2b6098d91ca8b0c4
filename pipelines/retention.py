"""Retention (DESIGN.md §4 rule 4): remove what the warehouse may no longer hold, for good.

Plain functions on a DuckDB connection to the warehouse (no Dagster here); the CLI and the
runner call them, and the rebuild of the models and the release goes through Dagster.

- **Expired events**: events that occurred before `events_cutoff(today)` are deleted from
  staging. The cutoff is the first Monday (Europe/Paris) on or after today − RETENTION_DAYS,
  so at most RETENTION_DAYS days are ever kept, and an ISO week leaves the warehouse whole:
  a week half purged would be published with wrong figures, and two successive releases
  would differ by one day's activity of that week (DESIGN.md §4 rule 6).
- **Leavers**: a person leaves a school when every one of their memberships there has an end
  date. LEAVER_GRACE_DAYS days after the last of those end dates (`end_date <=
  leaver_cutoff(today)`), their memberships in that school and all their events in that
  school are deleted, whatever their age. Their memberships in other schools, and their
  events there, stay. Accounts that are not in the roster at all (never listed, or dropped
  from a later roster snapshot) have no known end date: only the retention window applies
  to them. Memberships that ended before the events cutoff are deleted too: no event they
  could match is left.
- **Erasure or objection** for one ENT account: its pseudonym (under the current key) goes
  on a deny-list, `raw.erased_users`, and its rows are deleted from staging and from the
  intermediate tables; ingestion drops deny-listed rows before they are committed, so a
  re-delivered file does not bring the person back. `raw.erasure_log` records the date and
  the counts, never an identifier.
- **Compaction**: DuckDB keeps deleted rows' bytes in free blocks of the file, so after a
  purge the database is copied live-rows-only into a fresh file that replaces the old one.
- **Landing files**: once a run has loaded, checked and published them, they are moved to an
  archive folder or deleted, and `raw.landing_disposals` keeps the history.

`staging.file_loads` keeps adding up after a deletion: the rows removed from a file are
taken off its rows_loaded (or rows_quarantined) and rows_read, so the run summary still
balances; it then describes what the warehouse holds, not what was once read.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.settings import LEAVER_GRACE_DAYS, RETENTION_DAYS, TIMEZONE

# Where `reperes run` moves loaded landing files when --archive is not given.
LANDING_ARCHIVE_ENV_VAR = "REPERES_LANDING_ARCHIVE"

RETENTION_TABLES = (
    # The deny-list: one keyed pseudonym per person who asked for erasure or objected. It
    # is personal data kept to honour the request; no date, no order that could link it to
    # the log below (the table is rewritten sorted).
    "create table if not exists raw.erased_users (user_key varchar)",
    """
    create table if not exists raw.erasure_log (
        requested_on date,
        events_removed bigint,
        memberships_removed bigint,
        completed boolean
    )
    """,
    """
    create table if not exists raw.purge_log (
        purged_on date,
        events_cutoff date,
        leaver_cutoff date,
        events_expired bigint,
        leaver_events bigint,
        erased_events bigint,
        memberships_removed bigint,
        quarantine_rows bigint,
        completed boolean
    )
    """,
    """
    create table if not exists raw.landing_disposals (
        run_id varchar,
        contract varchar,
        file_name varchar,
        delivered_on date,
        size_bytes bigint,
        disposition varchar,
        disposed_at timestamptz
    )
    """,
)


def ensure_retention_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists raw")
    for statement in RETENTION_TABLES:
        connection.execute(statement)


def events_cutoff(today: date, retention_days: int = RETENTION_DAYS) -> date:
    """The first Monday on or after today − retention_days: events before it are purged."""
    earliest = today - timedelta(days=retention_days)
    return earliest + timedelta(days=(7 - earliest.weekday()) % 7)


def leaver_cutoff(today: date, grace_days: int = LEAVER_GRACE_DAYS) -> date:
    """Memberships whose end date is on or before this day ended at least grace_days ago."""
    return today - timedelta(days=grace_days)


LEAVER_CONDITION = """exists (
    select 1 from leavers
    where leavers.user_key = {table}.user_key and leavers.school_uai = {table}.school_uai
)"""


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(TIMEZONE))


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _delete_staged_rows(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    contract: str,
    condition: str,
    parameters: list,
    loaded: bool = True,
) -> int:
    """Delete the rows of `table` matching `condition` and take them off their file's figures.

    `loaded` rows count in rows_loaded (staging tables), the others in rows_quarantined (the
    quarantine, where a file quarantined whole has one row without a file_row and counts 0).
    """
    counted = "count(*)" if loaded else "count(file_row)"
    connection.execute(
        f"""
        create or replace temp table removed_rows as
        select file_name, {counted} as removed from {table} where {condition} group by file_name
        """,
        parameters,
    )
    removed = 0
    if connection.execute("select count(*) from removed_rows").fetchone()[0]:
        removed = connection.execute(f"delete from {table} where {condition}", parameters).fetchone()[0]
        counter = "rows_loaded" if loaded else "rows_quarantined"
        connection.execute(
            f"""
            update staging.file_loads
            set {counter} = file_loads.{counter} - removed_rows.removed,
                rows_read = file_loads.rows_read - removed_rows.removed
            from removed_rows
            where file_loads.contract = ? and file_loads.file_name = removed_rows.file_name
            """,
            [contract],
        )
    connection.execute("drop table removed_rows")
    return int(removed)


@dataclass(frozen=True)
class PurgeCounts:
    """What one purge removed; no identifier, so it can be printed, logged and stored."""

    today: date
    events_cutoff: date
    leaver_cutoff: date
    events_expired: int
    leaver_events: int
    erased_events: int
    memberships_removed: int
    quarantine_rows: int

    @property
    def events_removed(self) -> int:
        return self.events_expired + self.leaver_events + self.erased_events

    def lines(self) -> list[str]:
        return [
            f"events before {self.events_cutoff} (expired)    {self.events_expired:>10,}",
            f"leavers' events (ended by {self.leaver_cutoff})  {self.leaver_events:>10,}",
            f"deny-listed persons' events           {self.erased_events:>10,}",
            f"roster memberships removed            {self.memberships_removed:>10,}",
            f"quarantined rows of old deliveries    {self.quarantine_rows:>10,}",
        ]


def purge_expired(connection: duckdb.DuckDBPyConnection, today: date, dry_run: bool = False) -> PurgeCounts:
    """Delete expired events, leavers and deny-listed persons from staging, in one transaction.

    The intermediate tables and the marts still hold the purged rows until they are rebuilt,
    and the file keeps their bytes until it is compacted: the caller does both.
    """
    ensure_retention_tables(connection)
    cutoff, leavers_ended_by = events_cutoff(today), leaver_cutoff(today)
    has_events = _table_exists(connection, "staging", "stg_events")
    has_roster = _table_exists(connection, "staging", "stg_roster")
    connection.execute("begin transaction")
    try:
        # Leavers are decided before any membership is deleted: (person, school) pairs whose
        # every membership ended by the leaver cutoff.
        if has_roster:
            connection.execute(
                """
                create or replace temp table leavers as
                select user_key, school_uai
                from staging.stg_roster
                group by user_key, school_uai
                having bool_and(end_date is not null and end_date <= ?)
                """,
                [leavers_ended_by],
            )
        else:
            connection.execute("create or replace temp table leavers (user_key varchar, school_uai varchar)")
        events_expired = leaver_events = erased_events = 0
        if has_events:
            events_expired = _delete_staged_rows(
                connection, "staging.stg_events", "events", "occurred_hour < ?", [_local_midnight(cutoff)]
            )
            leaver_events = _delete_staged_rows(
                connection,
                "staging.stg_events",
                "events",
                LEAVER_CONDITION.format(table="stg_events"),
                [],
            )
            erased_events = _delete_staged_rows(
                connection,
                "staging.stg_events",
                "events",
                "user_key in (select user_key from raw.erased_users)",
                [],
            )
        memberships_removed = 0
        if has_roster:
            memberships_removed = _delete_staged_rows(
                connection,
                "staging.stg_roster",
                "roster",
                f"""
                {LEAVER_CONDITION.format(table="stg_roster")}
                or end_date < ?
                or user_key in (select user_key from raw.erased_users)
                """,
                [cutoff],
            )
        # Quarantined rows of deliveries older than the window go too; files with nothing
        # left in the warehouse leave the bookkeeping.
        quarantine_rows = _delete_staged_rows(
            connection,
            "staging.quarantine",
            "events",
            "contract = 'events' and delivered_on < ?",
            [cutoff],
            loaded=False,
        )
        connection.execute(
            "delete from staging.file_loads where contract = 'events' and delivered_on < ? and rows_read = 0",
            [cutoff],
        )
        connection.execute("drop table leavers")
        counts = PurgeCounts(
            today=today,
            events_cutoff=cutoff,
            leaver_cutoff=leavers_ended_by,
            events_expired=events_expired,
            leaver_events=leaver_events,
            erased_events=erased_events,
            memberships_removed=memberships_removed,
            quarantine_rows=quarantine_rows,
        )
        removed_anything = events_expired + leaver_events + erased_events + memberships_removed
        connection.execute(
            "insert into raw.purge_log values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                today,
                cutoff,
                leavers_ended_by,
                events_expired,
                leaver_events,
                erased_events,
                memberships_removed,
                quarantine_rows,
                not (removed_anything or quarantine_rows),
            ],
        )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("rollback" if dry_run else "commit")
    return counts


@dataclass(frozen=True)
class ErasureCounts:
    events_removed: int
    memberships_removed: int
    intermediate_rows_removed: int
    already_deny_listed: bool


def erase_person(connection: duckdb.DuckDBPyConnection, user_key: str, today: date) -> ErasureCounts:
    """Delete one person's rows (by pseudonym) and deny-list them, in one transaction.

    The marts and the release still count them until they are rebuilt, and the file keeps
    the bytes until it is compacted: the caller does both.
    """
    ensure_retention_tables(connection)
    connection.execute("begin transaction")
    try:
        events_removed = memberships_removed = 0
        if _table_exists(connection, "staging", "stg_events"):
            events_removed = _delete_staged_rows(
                connection, "staging.stg_events", "events", "user_key = ?", [user_key]
            )
        if _table_exists(connection, "staging", "stg_roster"):
            memberships_removed = _delete_staged_rows(
                connection, "staging.stg_roster", "roster", "user_key = ?", [user_key]
            )
        # The rebuild will recompute these, but if it fails they must not keep the person.
        intermediate_rows = 0
        for (table,) in connection.execute(
            """
            select table_name from duckdb_columns()
            where schema_name = 'intermediate' and column_name = 'user_key'
            order by table_name
            """
        ).fetchall():
            intermediate_rows += connection.execute(
                f'delete from intermediate."{table}" where user_key = ?', [user_key]
            ).fetchone()[0]
        already = bool(
            connection.execute(
                "select count(*) from raw.erased_users where user_key = ?", [user_key]
            ).fetchone()[0]
        )
        if not already:
            connection.execute("insert into raw.erased_users values (?)", [user_key])
            connection.execute(
                "create or replace temp table sorted_erased_users as "
                "select distinct user_key from raw.erased_users order by user_key"
            )
            connection.execute("delete from raw.erased_users")
            connection.execute("insert into raw.erased_users select user_key from sorted_erased_users")
            connection.execute("drop table sorted_erased_users")
        connection.execute(
            "insert into raw.erasure_log values (?, ?, ?, false)",
            [today, events_removed, memberships_removed],
        )
    except BaseException:
        connection.execute("rollback")
        raise
    connection.execute("commit")
    return ErasureCounts(events_removed, memberships_removed, intermediate_rows, already)


def drop_erased_users(
    connection: duckdb.DuckDBPyConnection, model: str, delivered_on: date | None = None
) -> int:
    """Delete deny-listed persons' rows just loaded into staging.<model>; call it before commit.

    `model` is stg_events (then only the rows delivered on `delivered_on`) or stg_roster.
    """
    ensure_retention_tables(connection)
    if not connection.execute("select count(*) from raw.erased_users").fetchone()[0]:
        return 0
    condition = "user_key in (select user_key from raw.erased_users)"
    parameters: list = []
    if delivered_on is not None:
        condition += " and delivered_on = ?"
        parameters.append(delivered_on)
    contract = "events" if model == "stg_events" else "roster"
    return _delete_staged_rows(connection, f"staging.{model}", contract, condition, parameters)


def retention_pending(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether a purge or an erasure deleted rows whose rebuild and compaction are not done."""
    ensure_retention_tables(connection)
    return bool(
        connection.execute(
            """
            select (select count(*) from raw.purge_log where not completed)
                + (select count(*) from raw.erasure_log where not completed)
            """
        ).fetchone()[0]
    )


def mark_retention_completed(connection: duckdb.DuckDBPyConnection) -> None:
    """After the rebuild and the compaction: nothing deleted is left anywhere in the warehouse."""
    ensure_retention_tables(connection)
    connection.execute("update raw.purge_log set completed = true where not completed")
    connection.execute("update raw.erasure_log set completed = true where not completed")


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def compact_database(path: Path) -> Compaction:
    """Rewrite the database file with its live rows only, so deleted rows' bytes are gone.

    DuckDB reuses the blocks of deleted rows but never wipes them, and CHECKPOINT does not
    give them back. The database is copied into a fresh file beside it (COPY FROM DATABASE:
    schemas, tables, views, macros), flushed to disk, then moved over the old one with
    os.replace, which is atomic: a crash leaves either the old file or the new one. Nobody
    else may have the file open: DuckDB's lock makes the first step fail if someone does.
    """
    wal = path.with_name(path.name + ".wal")
    bytes_before = _size(path) + _size(wal)
    with duckdb.connect(str(path)) as connection:
        connection.execute("checkpoint")  # fold the write-ahead log into the file
    if wal.exists():
        raise RuntimeError(f"{wal} is still there after a checkpoint: is another process writing?")
    fresh = path.with_name(path.name + ".compacting")
    fresh_wal = fresh.with_name(fresh.name + ".wal")
    fresh.unlink(missing_ok=True)
    fresh_wal.unlink(missing_ok=True)
    with duckdb.connect() as connection:
        connection.execute("attach ? as fresh", [str(fresh)])
        connection.execute("attach ? as source (read_only)", [str(path)])
        connection.execute("copy from database source to fresh")
        connection.execute("detach source")
        connection.execute("detach fresh")
    with open(fresh, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(fresh, path)
    return Compaction(bytes_before=bytes_before, bytes_after=_size(path) + _size(wal))


@dataclass(frozen=True)
class LandingFile:
    contract: str
    file_name: str  # relative to the landing folder, e.g. events/2025-09-01.parquet
    delivered_on: date | None
    size_bytes: int


def loaded_landing_files(
    connection: duckdb.DuckDBPyConnection,
    event_days: Collection[date],
    include_roster: bool,
    include_workshops: bool = False,
) -> list[LandingFile]:
    """Files of the current inventory that staging loaded (not quarantined whole, not undated).

    Event files only when their delivery day is one of `event_days` (the days the run loaded),
    roster files only with include_roster (the run loaded the roster), workshop logs only with
    include_workshops (the run loaded them).
    """
    rows = connection.execute(
        """
        select inventory.contract, inventory.file_name, inventory.delivered_on, inventory.size_bytes
        from raw.landing_files as inventory
        inner join staging.file_loads as loads
            on inventory.contract = loads.contract and inventory.file_name = loads.file_name
        where inventory.status = 'ok' and loads.error is null
        order by inventory.contract, inventory.file_name
        """
    ).fetchall()
    files = [LandingFile(*row) for row in rows]
    return [
        landing_file
        for landing_file in files
        if (landing_file.contract == "events" and landing_file.delivered_on in event_days)
        or (landing_file.contract == "roster" and include_roster)
        or (landing_file.contract == "workshops" and include_workshops)
    ]


def dispose_landing_files(
    connection: duckdb.DuckDBPyConnection,
    landing: Path,
    files: Iterable[LandingFile],
    archive_dir: Path | None,
    run_id: str,
) -> int:
    """Move each file to archive_dir/<run_id>/<its relative path>, or delete it; record it.

    A file whose size changed since the inventory was taken was re-delivered during the
    run: it stays, to be loaded by the next run.
    """
    ensure_retention_tables(connection)
    disposition = "archived" if archive_dir is not None else "deleted"
    disposed = 0
    for landing_file in files:
        path = landing / landing_file.file_name
        if not path.is_file() or path.stat().st_size != landing_file.size_bytes:
            continue
        if archive_dir is not None:
            target = archive_dir / run_id / landing_file.file_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
        else:
            path.unlink()
        connection.execute(
            "insert into raw.landing_disposals values (?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                run_id,
                landing_file.contract,
                landing_file.file_name,
                landing_file.delivered_on,
                landing_file.size_bytes,
                disposition,
            ],
        )
        disposed += 1
    return disposed
