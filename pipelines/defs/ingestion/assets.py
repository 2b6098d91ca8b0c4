"""Ingestion: landing files -> staging tables (contract columns only, pseudonyms, quarantine)."""

from datetime import date
from pathlib import Path

import dagster as dg

from data_contracts.contracts import load_contract
from pipelines.adapters import (
    ADAPTER_ASSET_NAMES,
    NATIVE_EVENTS_FOLDER,
    adapter_landing_files,
    adapter_of,
    load_event_days,
)
from pipelines.defs.partitions import WAREHOUSE_POOL, delivery_days
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import (
    delivery_day,
    ensure_staging_table,
    is_landing_file,
    load_file,
    unreadable_reason,
)
from pipelines.retention import drop_erased_users
from pipelines.settings import NATIVE_SOURCE

CONTRACT_FOLDERS = {"events": "events", "roster": "roster", "workshops": "workshops"}


def _inventory_rows(landing: Path) -> list[tuple]:
    rows = []
    for contract, folder in CONTRACT_FOLDERS.items():
        for path in sorted((landing / folder).glob("*")):
            if not is_landing_file(path):
                continue
            day = delivery_day(path)
            needs_day = contract == "events"
            status = "undated: the name must start with YYYY-MM-DD" if needs_day and day is None else "ok"
            rows.append(
                (
                    contract,
                    path.relative_to(landing).as_posix(),
                    day,
                    path.suffix.lower().lstrip("."),
                    path.stat().st_size,
                    status,
                )
            )
    # Exports of other platforms (pipelines/adapters/) feed a contract from their own folders,
    # landing/<source>/: event exports dated like native event files, the directory (AAF) not.
    for adapter, path in adapter_landing_files(landing):
        day = delivery_day(path)
        needs_day = adapter.contract == "events"
        status = "undated: the name must start with YYYY-MM-DD" if needs_day and day is None else "ok"
        rows.append(
            (
                adapter.contract,
                path.relative_to(landing).as_posix(),
                day,
                path.suffix.lower().lstrip("."),
                path.stat().st_size,
                status,
            )
        )
    return rows


@dg.asset(group_name="ingestion", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def landing_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Inventory of the files in the landing folder: one row per file (name, delivery day, format, size). No personal data."""
    rows = _inventory_rows(warehouse.landing_path)
    with warehouse.connect() as connection:
        connection.execute("begin transaction")
        connection.execute("delete from raw.landing_files")
        if rows:
            connection.executemany("insert into raw.landing_files values (?, ?, ?, ?, ?, ?)", rows)
        connection.execute("commit")
    undated = [row[1] for row in rows if row[5] != "ok"]
    if undated:
        context.log.warning(f"{len(undated)} event file(s) ignored, name without a date: {undated[:5]}")
    return dg.MaterializeResult(
        metadata={"files": len(rows), "undated_files": len(undated), "dagster/row_count": len(rows)}
    )


@dg.asset(
    group_name="staging",
    kinds={"duckdb"},
    # After the source adapters, which write into the same table: what reads stg_events
    # downstream then sees every source's rows of the day.
    deps=[landing_files, *ADAPTER_ASSET_NAMES],
    partitions_def=delivery_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def stg_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per valid event row delivered that day; contract columns only, keyed pseudonyms, hours; the rest quarantined with file, row and rule."""
    days = [date.fromisoformat(key) for key in context.partition_keys]
    with warehouse.connect(pseudonymize=True) as connection:
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        totals = load_event_days(
            connection,
            warehouse.landing_path,
            days,
            NATIVE_EVENTS_FOLDER,
            context.log.info,
            context.log.warning,
        )
    return dg.MaterializeResult(metadata=totals)


def replace_snapshot(
    connection, warehouse: WarehouseResource, contract, model: str, files: list[tuple[str]]
) -> dict[str, int]:
    """Replace staging.<model> by the rows of `files`, a full snapshot (the roster, the workshop
    log), in a transaction the caller commits: its rows, quarantine and counts go together."""
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "files": 0}
    unreadable = {
        file_name: unreadable_reason(
            connection,
            warehouse.landing_path / file_name,
            contract,
            open_landed=adapter.open_landed if (adapter := adapter_of(file_name)) is not None else None,
        )
        for (file_name,) in files
    }
    connection.execute("begin transaction")
    connection.execute(f"delete from staging.{model}")
    connection.execute("delete from staging.quarantine where contract = ?", [contract.name])
    connection.execute("delete from staging.file_loads where contract = ?", [contract.name])
    for (file_name,) in files:
        # A file of a source folder (the AAF directory in landing/aaf/) is read by its adapter.
        adapter = adapter_of(file_name)
        load = load_file(
            connection,
            warehouse.landing_path / file_name,
            file_name,
            contract,
            model,
            adapter.pseudonym_source if adapter is not None else NATIVE_SOURCE,
            None,
            open_landed=adapter.open_landed if adapter is not None else None,
            unreadable=unreadable[file_name],
        )
        totals["files"] += 1
        totals["rows_read"] += load.rows_read
        totals["rows_loaded"] += load.rows_loaded
        totals["rows_quarantined"] += load.rows_quarantined
    return totals


@dg.asset(
    group_name="staging",
    kinds={"duckdb"},
    deps=[landing_files],
    pool=WAREHOUSE_POOL,
)
def stg_roster(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per valid roster (annuaire) membership: pseudonymized user, role, school, class, period; a full snapshot from the latest roster delivery."""
    contract = load_contract("roster")
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "files": 0}
    with warehouse.connect(pseudonymize=True) as connection:
        ensure_staging_table(connection, contract, "stg_roster")
        files = connection.execute(
            "select file_name from raw.landing_files where contract = 'roster' order by file_name"
        ).fetchall()
        if not files:
            # The roster file loaded by an earlier run may have been archived or deleted
            # (privacy rule 4): the snapshot it left stays until a new roster file comes.
            kept = connection.execute("select count(*) from staging.stg_roster").fetchone()[0]
            if kept:
                context.log.info(f"No new roster file: the {kept:,} memberships loaded earlier stay.")
            else:
                context.log.warning("No roster file in landing/roster/: counts work, rates stay empty.")
            return dg.MaterializeResult(metadata={**totals, "memberships_kept": kept})
        totals = replace_snapshot(connection, warehouse, contract, "stg_roster", files)
        totals["rows_of_erased_users_dropped"] = drop_erased_users(connection, "stg_roster")
        connection.execute("commit")
    return dg.MaterializeResult(metadata=totals)


@dg.asset(
    group_name="staging",
    kinds={"duckdb"},
    deps=[landing_files],
    pool=WAREHOUSE_POOL,
)
def stg_workshops(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per valid training workshop (date, school, service, attendees; no names): a full snapshot of landing/workshops/, optional."""
    contract = load_contract("workshops")
    totals = {"rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0, "files": 0}
    with warehouse.connect() as connection:
        # Created even without a log, so that the marts reading it build (and stay empty).
        ensure_staging_table(connection, contract, "stg_workshops")
        files = connection.execute(
            "select file_name from raw.landing_files where contract = 'workshops' order by file_name"
        ).fetchall()
        if not files:
            # Like the roster: a log loaded by an earlier run and since archived or deleted
            # stays until a new workshop log comes.
            kept = connection.execute("select count(*) from staging.stg_workshops").fetchone()[0]
            context.log.info(
                f"No workshop log in landing/workshops/: the {kept:,} workshops loaded earlier stay."
            )
            return dg.MaterializeResult(metadata={**totals, "workshops_kept": kept})
        totals = replace_snapshot(connection, warehouse, contract, "stg_workshops", files)
        connection.execute("commit")
    return dg.MaterializeResult(metadata=totals)
