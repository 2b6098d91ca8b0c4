"""Source adapters: the exports of the platforms schools run, mapped into the events contract.

Each adapter reads its own landing folder (landing/<source>/, files named YYYY-MM-DD….ext
like native event files) and maps a file, inside DuckDB, to the temp view that
pipelines/ingestion.py checks for native files: the same contract rules, quarantine,
pseudonyms and per-file balance (rows read = loaded + quarantined + duplicates), into the
same staging.stg_events, with file names that say the source (e.g. ode/2025-09-03.jsonl).
The mappings are YAML files a referent edits: data_contracts/mappings/.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from data_contracts.contracts import load_contract
from pipelines.adapters.base import Adapter
from pipelines.adapters.moodle import MOODLE, MOODLE_REPORT
from pipelines.adapters.ode import ODE
from pipelines.adapters.xapi import XAPI
from pipelines.ingestion import (
    FileLoad,
    _drop_file_views,
    _quarantine_rejected_lines,
    delivery_day,
    load_file,
    open_checked_view,
    open_landing_file,
    reader_error,
    unreadable_reason,
    utf8_readable,
)

ADAPTERS: dict[str, Adapter] = {adapter.source: adapter for adapter in (ODE, XAPI, MOODLE, MOODLE_REPORT)}
NATIVE_EVENTS_FOLDER = "events"
# The landing folders whose files feed the events contract: the native one, then one per source.
EVENT_FOLDERS = (NATIVE_EVENTS_FOLDER, *ADAPTERS)


def asset_name(adapter: Adapter) -> str:
    return "stg_events_" + adapter.source.replace("-", "_")


ADAPTER_ASSET_NAMES = tuple(asset_name(adapter) for adapter in ADAPTERS.values())


def adapter_landing_files(landing: Path) -> Iterator[tuple[Adapter, Path]]:
    """Every file of landing/<source>/ its adapter can read, in name order."""
    for adapter in ADAPTERS.values():
        for path in sorted((landing / adapter.source).glob("*")):
            if adapter.accepts(path):
                yield adapter, path


def load_source_file(
    connection: duckdb.DuckDBPyConnection,
    adapter: Adapter,
    path: Path,
    file_name: str,
    delivered_on: date | None,
    unreadable: str | None = None,
) -> FileLoad:
    """Load one source file into staging.stg_events: native checks, quarantine and counts."""
    return load_file(
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


def source_file_unreadable(
    connection: duckdb.DuckDBPyConnection, adapter: Adapter, path: Path, delivered_on: date | None
) -> str | None:
    """`unreadable_reason` for a source file, to ask before the caller's transaction."""
    return unreadable_reason(connection, path, load_contract("events"), delivered_on, adapter.open_landed)


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
    the contract rules, in a private in-memory database: nothing is stored, no key is needed
    (no pseudonym is computed), and no value of a person is reported."""
    contract = load_contract("events")
    source = adapter.source if adapter is not None else NATIVE_EVENTS_FOLDER
    report = CheckReport(file_name or f"{source}/{path.name}")
    with duckdb.connect() as connection:
        try:
            with utf8_readable(path) as readable:
                if adapter is None:
                    open_landing_file(connection, readable, contract, delivery_day(path))
                else:
                    adapter.open_landed(connection, readable)
                    open_checked_view(connection, contract, delivery_day(path))
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
    "EVENT_FOLDERS",
    "Adapter",
    "CheckReport",
    "adapter_landing_files",
    "asset_name",
    "check_file",
    "load_source_file",
]
