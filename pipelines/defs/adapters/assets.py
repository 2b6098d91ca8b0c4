"""One staging asset per event source kind (ODE event store as JSON Lines or as PostgreSQL CSV,
xAPI, Moodle logstore, Moodle report): landing/<source>/ -> staging.stg_events, through
pipelines/adapters/ and the native contract's checks. The directory (AAF) has no asset of its
own: it is part of the roster snapshot that stg_roster loads."""

from datetime import date

import dagster as dg

from data_contracts.contracts import load_contract
from pipelines.adapters import EVENT_ADAPTERS, Adapter, asset_name, load_event_day
from pipelines.defs.partitions import WAREHOUSE_POOL, delivery_days
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import ensure_staging_table


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
            loaded = load_event_day(connection, warehouse.landing_path, day, adapter.source)
            for load in loaded.loads:
                totals["files"] += 1
                totals["rows_read"] += load.rows_read
                totals["rows_loaded"] += load.rows_loaded
                totals["rows_quarantined"] += load.rows_quarantined
                if load.error:
                    context.log.warning(f"{load.file_name}: {load.error}")
            totals["rows_of_erased_users_dropped"] += loaded.rows_of_erased_users_dropped
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
    return dg.Definitions(assets=[_adapter_asset(adapter) for adapter in EVENT_ADAPTERS.values()])
