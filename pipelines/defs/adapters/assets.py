"""One staging asset per source kind (ODE, xAPI, Moodle, Moodle report): landing/<source>/ ->
staging.stg_events, through pipelines/adapters/ and the native contract's checks."""

from datetime import date

import dagster as dg

from data_contracts.contracts import load_contract
from pipelines.adapters import ADAPTERS, Adapter, asset_name, load_source_file, source_file_unreadable
from pipelines.defs.partitions import WAREHOUSE_POOL, delivery_days
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import ensure_staging_table
from pipelines.retention import drop_erased_users


def _load_days(context: dg.AssetExecutionContext, warehouse: WarehouseResource, adapter: Adapter) -> dict:
    days = [date.fromisoformat(key) for key in context.partition_keys]
    totals = {
        "rows_read": 0,
        "rows_loaded": 0,
        "rows_quarantined": 0,
        "files": 0,
        "rows_of_erased_users_dropped": 0,
    }
    with warehouse.connect(pseudonymize=True) as connection:
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        for day in days:
            files = connection.execute(
                """
                select file_name from raw.landing_files
                where contract = 'events' and delivered_on = ? and status = 'ok'
                    and split_part(file_name, '/', 1) = ?
                order by file_name
                """,
                [day, adapter.source],
            ).fetchall()
            if not files:
                continue
            unreadable = {
                file_name: source_file_unreadable(
                    connection, adapter, warehouse.landing_path / file_name, day
                )
                for (file_name,) in files
            }
            # As stg_events: delete the window of this day's files, then insert it again.
            connection.execute("begin transaction")
            for (file_name,) in files:
                connection.execute(
                    "delete from staging.stg_events where delivered_on = ? and file_name = ?",
                    [day, file_name],
                )
                for table in ("staging.quarantine", "staging.file_loads"):
                    connection.execute(
                        f"delete from {table} where contract = 'events' and delivered_on = ? and file_name = ?",
                        [day, file_name],
                    )
            for (file_name,) in files:
                load = load_source_file(
                    connection,
                    adapter,
                    warehouse.landing_path / file_name,
                    file_name,
                    day,
                    unreadable=unreadable[file_name],
                )
                totals["files"] += 1
                totals["rows_read"] += load.rows_read
                totals["rows_loaded"] += load.rows_loaded
                totals["rows_quarantined"] += load.rows_quarantined
                if load.error:
                    context.log.warning(f"{file_name}: {load.error}")
            totals["rows_of_erased_users_dropped"] += drop_erased_users(connection, "stg_events", day)
            connection.execute("commit")
    return {**totals, "days": len(days)}


def _adapter_asset(adapter: Adapter) -> dg.AssetsDefinition:
    @dg.asset(
        name=asset_name(adapter),
        group_name="staging",
        kinds={"duckdb"},
        deps=["landing_files"],
        partitions_def=delivery_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
        description=(
            f"{adapter.description}: the files of landing/{adapter.source}/ mapped into the events contract "
            f"(data_contracts/mappings/{adapter.mapping_name}.yaml), checked, pseudonymized and quarantined "
            "like native files, into staging.stg_events."
        ),
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=_load_days(context, warehouse, adapter))

    return _asset


@dg.definitions
def adapters() -> dg.Definitions:
    return dg.Definitions(assets=[_adapter_asset(adapter) for adapter in ADAPTERS.values()])
