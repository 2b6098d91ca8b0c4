"""One staging asset per event source kind (ODE event store as JSON Lines or as PostgreSQL CSV,
xAPI, Moodle logstore, Moodle report): landing/<source>/ -> staging.stg_events, through
pipelines/adapters/ and the native contract's checks. The directory (AAF) has no asset of its
own: it is part of the roster snapshot that stg_roster loads."""

from datetime import date

import dagster as dg

from data_contracts.contracts import load_contract
from pipelines.adapters import EVENT_ADAPTERS, Adapter, asset_name, load_event_days
from pipelines.defs.partitions import WAREHOUSE_POOL, delivery_days
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import ensure_staging_table


def _load_days(context: dg.AssetExecutionContext, warehouse: WarehouseResource, adapter: Adapter) -> dict:
    days = [date.fromisoformat(key) for key in context.partition_keys]
    with warehouse.connect(pseudonymize=True) as connection:
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        return load_event_days(
            connection, warehouse.landing_path, days, adapter.source, context.log.info, context.log.warning
        )


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
