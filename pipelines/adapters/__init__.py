"""Source adapters: the exports of the platforms schools run, mapped into our input contracts.

Each adapter reads its own landing folder, landing/<source>/, and maps a file, inside DuckDB,
to the temp view that pipelines/ingestion.py checks for native files: the same contract
rules, quarantine, pseudonyms and per-file balance (rows read = loaded + quarantined +
duplicates), into the same staging table, with file names that say the source (e.g.
ode/2025-09-03.jsonl). Event sources (ODE, xAPI, Moodle) feed staging.stg_events from files
named YYYY-MM-DD….ext like native event files; the directory (AAF) feeds staging.stg_roster
as part of the roster snapshot. The mappings are YAML files a referent edits:
data_contracts/mappings/.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from data_contracts.contracts import load_contract
from pipelines.adapters.aaf import AAF
from pipelines.adapters.base import Adapter
from pipelines.adapters.moodle import MOODLE, MOODLE_REPORT
from pipelines.adapters.ode import ODE, ODE_POSTGRES
from pipelines.adapters.xapi import XAPI
from pipelines.ingestion import (
    FileLoad,
    _drop_file_views,
    _quarantine_rejected_lines,
    batch_scans,
    delivery_day,
    load_file,
    load_parquet_batch,
    open_checked_view,
    open_landing_file,
    parquet_batch_file,
    reader_error,
    unreadable_reason,
    utf8_readable,
)
from pipelines.retention import drop_erased_users
from pipelines.settings import NATIVE_SOURCE

EVENT_ADAPTERS: dict[str, Adapter] = {
    adapter.source: adapter for adapter in (ODE, ODE_POSTGRES, XAPI, MOODLE, MOODLE_REPORT)
}
ROSTER_ADAPTERS: dict[str, Adapter] = {adapter.source: adapter for adapter in (AAF,)}
ADAPTERS: dict[str, Adapter] = {**EVENT_ADAPTERS, **ROSTER_ADAPTERS}
NATIVE_EVENTS_FOLDER = "events"
# The landing folders whose files feed the events contract: the native one, then one per source.
EVENT_FOLDERS = (NATIVE_EVENTS_FOLDER, *EVENT_ADAPTERS)


def asset_name(adapter: Adapter) -> str:
    return "stg_events_" + adapter.source.replace("-", "_")


ADAPTER_ASSET_NAMES = tuple(asset_name(adapter) for adapter in EVENT_ADAPTERS.values())


def adapter_landing_files(landing: Path) -> Iterator[tuple[Adapter, Path]]:
    """Every file of landing/<source>/ its adapter can read, in name order (every contract)."""
    for adapter in ADAPTERS.values():
        for path in sorted((landing / adapter.source).glob("*")):
            if adapter.accepts(path):
                yield adapter, path


def adapter_of(file_name: str) -> Adapter | None:
    """The adapter of a landing file named <folder>/<name>, None for a native contract file."""
    return ADAPTERS.get(file_name.split("/", 1)[0])


@dataclass
class DayLoad:
    """What loading one delivery day of one landing folder did: per file, and the erasures."""

    loads: list[FileLoad] = field(default_factory=list)
    rows_of_erased_users_dropped: int = 0


def delivery_days_with_files(
    connection: duckdb.DuckDBPyConnection, days: list[date], folder: str
) -> list[date]:
    """The days of `days` that have an event file of landing/<folder>/ in the inventory.

    One query for the whole range: a year's backfill covers about 250 days for each of the six
    event folders, most of them empty, and a day without files has nothing to open or commit."""
    if not days:
        return []
    with_files = {
        day
        for (day,) in connection.execute(
            """
            select distinct delivered_on from raw.landing_files
            where contract = 'events' and status = 'ok' and split_part(file_name, '/', 1) = ?
                and delivered_on between ? and ?
            """,
            [folder, min(days), max(days)],
        ).fetchall()
    }
    return [day for day in days if day in with_files]


# Days loaded in one transaction: a commit per day cost about a sixth of loading a 10 M-event
# year; inside one transaction DuckDB writes large inserts straight to the file instead.
DAYS_PER_TRANSACTION = 10


def _files_of_day(connection: duckdb.DuckDBPyConnection, day: date, folder: str) -> list[str]:
    return [
        file_name
        for (file_name,) in connection.execute(
            """
            select file_name from raw.landing_files
            where contract = 'events' and delivered_on = ? and status = 'ok'
                and split_part(file_name, '/', 1) = ?
            order by file_name
            """,
            [day, folder],
        ).fetchall()
    ]


def load_event_batch(
    connection: duckdb.DuckDBPyConnection, landing: Path, days: list[date], folder: str
) -> list[DayLoad]:
    """Load the files of landing/<folder>/ delivered on `days` into staging.stg_events, in one
    transaction: the one loader of stg_events (folder "events") and of every source asset.

    Why it is shared: each step below is a rule the data depends on, and two copies drift.
    - Files that cannot be opened are found first (`unreadable_reason`): in DuckDB an error
      inside a transaction aborts all of it, so they are set aside and quarantined whole.
    - The window of each day's files present is deleted, then inserted again: re-runs and
      backfills are safe, and files of that day loaded earlier and since archived (privacy
      rule 4: staging is their only copy) stay.
    - Persons who asked for erasure or objected never reach a committed row.
    - Native Parquet files are read many at a time, one scan per column layout
      (ingestion.load_parquet_batch): a day's file is often one row group, which one thread
      reads. The others, and every file of a source, are read one by one (load_file).
    A day without files in the inventory is left as it is, for the same reason.
    """
    adapter = None if folder == NATIVE_EVENTS_FOLDER else EVENT_ADAPTERS[folder]
    contract = load_contract("events")
    open_landed = adapter.open_landed if adapter is not None else None
    files = {day: _files_of_day(connection, day, folder) for day in days}
    unreadable = {
        (day, file_name): unreadable_reason(connection, landing / file_name, contract, day, open_landed)
        for day in days
        for file_name in files[day]
    }
    batched = (
        {
            file_name: member
            for day in days
            for file_name in files[day]
            if unreadable[day, file_name] is None
            and (member := parquet_batch_file(connection, landing / file_name, file_name, day)) is not None
        }
        if adapter is None
        else {}
    )
    results = []
    connection.execute("begin transaction")
    for day in days:
        for file_name in files[day]:
            connection.execute(
                "delete from staging.stg_events where delivered_on = ? and file_name = ?", [day, file_name]
            )
            for table in ("staging.quarantine", "staging.file_loads"):
                connection.execute(
                    f"delete from {table} where contract = 'events' and delivered_on = ? and file_name = ?",
                    [day, file_name],
                )
            if adapter is not None:
                adapter.forget_file(connection, day, file_name)
    loads: dict[str, FileLoad] = {}
    for scan in batch_scans(list(batched.values())):
        loads |= load_parquet_batch(connection, scan, contract, "stg_events", NATIVE_SOURCE)
    for day in days:
        result = DayLoad()
        for file_name in files[day]:
            if file_name not in batched:
                path = landing / file_name
                if adapter is None:
                    loads[file_name] = load_file(
                        connection,
                        path,
                        file_name,
                        contract,
                        "stg_events",
                        NATIVE_SOURCE,
                        day,
                        unreadable=unreadable[day, file_name],
                    )
                else:
                    loads[file_name] = load_source_file(
                        connection, adapter, path, file_name, day, unreadable[day, file_name]
                    )
            result.loads.append(loads[file_name])
        if files[day]:
            result.rows_of_erased_users_dropped = drop_erased_users(connection, "stg_events", day)
        results.append(result)
    connection.execute("commit")
    return results


def load_event_days(
    connection: duckdb.DuckDBPyConnection,
    landing: Path,
    days: list[date],
    folder: str,
    log: Callable[[str], None],
    warn: Callable[[str], None],
) -> dict[str, int]:
    """Load every day of `days` that has files of landing/<folder>/, DAYS_PER_TRANSACTION days
    a transaction (load_event_batch), logging progress after each and every unreadable file;
    the totals for the asset's metadata."""
    totals = {
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "files": 0,
        "rows_of_erased_users_dropped": 0,
    }
    loaded_days = delivery_days_with_files(connection, days, folder)
    for start in range(0, len(loaded_days), DAYS_PER_TRANSACTION):
        batch = loaded_days[start : start + DAYS_PER_TRANSACTION]
        for loaded in load_event_batch(connection, landing, batch, folder):
            for load in loaded.loads:
                totals["files"] += 1
                totals["rows_read"] += load.rows_read
                totals["rows_loaded"] += load.rows_loaded
                totals["rows_quarantined"] += load.rows_quarantined
                if load.error:
                    warn(f"{load.file_name}: {load.error}")
            totals["rows_of_erased_users_dropped"] += loaded.rows_of_erased_users_dropped
        done = start + len(batch)
        log(f"{folder}: {done}/{len(loaded_days)} days with files, {totals['rows_read']:,} rows read")
    return {**totals, "days": len(days), "days_with_files": len(loaded_days)}


def load_source_file(
    connection: duckdb.DuckDBPyConnection,
    adapter: Adapter,
    path: Path,
    file_name: str,
    delivered_on: date | None,
    unreadable: str | None = None,
) -> FileLoad:
    """Load one source file into staging.stg_events: native checks, quarantine and counts, then
    what the adapter does once the rows are in (xAPI voiding)."""
    load = load_file(
        connection,
        path,
        file_name,
        load_contract("events"),
        "stg_events",
        adapter.pseudonym_source,
        delivered_on,
        open_landed=adapter.open_landed,
        unreadable=unreadable,
    )
    if load.error is None:
        adapter.after_load(connection, path, file_name, delivered_on)
    return load


@dataclass
class CheckReport:
    """What a file would give, before anything is stored: counts and rules, never a value of a person."""

    file_name: str
    rows_read: int = 0
    rows_mapped: int = 0
    quarantined: Counter = field(default_factory=Counter)  # rule -> rows
    error: str | None = None

    @property
    def unmapped(self) -> Counter:
        """The rules naming a value the mapping does not know: 'verb not mapped: http://…' -> rows."""
        return Counter({rule: count for rule, count in self.quarantined.items() if " not mapped: " in rule})

    def lines(self) -> list[str]:
        if self.error:
            return [f"{self.file_name}: {self.error}"]
        out = [
            f"{self.file_name}",
            f"  rows read                {self.rows_read:>10,}",
            f"    would load             {self.rows_mapped:>10,}",
            f"    would be quarantined   {sum(self.quarantined.values()):>10,}",
        ]
        for rule, count in sorted(self.quarantined.items(), key=lambda item: (-item[1], item[0])):
            if rule not in self.unmapped:
                out.append(f"      {count:>8,}  {rule}")
        if self.unmapped:
            out.append("  values without a mapping yet (add them to the mapping file):")
            for rule, count in sorted(self.unmapped.items(), key=lambda item: (-item[1], item[0])):
                out.append(f"      {count:>8,}  {rule}")
        return out


def check_file(adapter: Adapter | None, path: Path, file_name: str | None = None) -> CheckReport:
    """Dry run of one file through its adapter (None: a file of the native events contract) and
    the rules of the contract it feeds, in a private in-memory database: nothing is stored, no
    key is needed (no pseudonym is computed), and no value of a person is reported."""
    contract = load_contract(adapter.contract if adapter is not None else "events")
    source = adapter.source if adapter is not None else NATIVE_EVENTS_FOLDER
    report = CheckReport(file_name or f"{source}/{path.name}")
    delivered_on = delivery_day(path) if contract.name == "events" else None
    with duckdb.connect() as connection:
        try:
            with utf8_readable(path) as readable:
                if adapter is None:
                    open_landing_file(connection, readable, contract, delivered_on)
                else:
                    adapter.open_landed(connection, readable)
                    open_checked_view(connection, contract, delivered_on)
                rows = connection.execute(
                    """
                    select coalesce(violation.column || ': ', '') || violation.rule as rule, count(*)
                    from landed_checked group by all
                    """
                ).fetchall()
            connection.execute("create schema if not exists staging")
            connection.execute(
                "create table staging.quarantine (contract varchar, delivered_on date, file_name varchar, "
                "file_row bigint, file_line bigint, column_name varchar, rule varchar, observed_value varchar)"
            )
            _quarantine_rejected_lines(connection, contract, report.file_name, None, path)
            for (rule,) in connection.execute("select rule from staging.quarantine").fetchall():
                report.quarantined[rule] += 1
        except (duckdb.Error, OSError) as failure:
            report.error = f"unreadable file: {reader_error(failure)}"
            return report
        finally:
            _drop_file_views(connection)
    for rule, count in rows:
        if rule is None:
            report.rows_mapped += count
        else:
            report.quarantined[rule] += count
    report.rows_read = report.rows_mapped + sum(report.quarantined.values())
    return report


__all__ = [
    "ADAPTERS",
    "ADAPTER_ASSET_NAMES",
    "EVENT_ADAPTERS",
    "EVENT_FOLDERS",
    "ROSTER_ADAPTERS",
    "Adapter",
    "CheckReport",
    "DayLoad",
    "adapter_landing_files",
    "adapter_of",
    "asset_name",
    "check_file",
    "delivery_days_with_files",
    "load_event_batch",
    "load_event_days",
    "load_source_file",
]
