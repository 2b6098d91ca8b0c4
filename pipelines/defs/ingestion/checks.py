"""Contract checks on the staged events: blocking, so a broken staging never reaches publication."""

import dagster as dg

from data_contracts.staged_events_suite import EVENT_KEY_QUERY, VALIDATION_QUERY, validate_staged_events
from pipelines.defs.ingestion.assets import stg_events
from pipelines.defs.partitions import delivery_days
from pipelines.defs.resources import WarehouseResource
from pipelines.run_history import check_next_action

CHECK_STAGED_EVENTS_CONTRACT = "staged_events_meet_contract"


@dg.asset_check(
    asset=stg_events,
    name=CHECK_STAGED_EVENTS_CONTRACT,
    partitions_def=delivery_days,
    blocking=True,
    description="Great Expectations suite: pseudonyms are keyed hashes, times are whole hours, enums hold.",
)
def staged_events_meet_contract(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    key_range = context.partition_key_range
    with warehouse.connect() as connection:
        rows = connection.execute(VALIDATION_QUERY, [key_range.start, key_range.end]).df()
        staged_rows, malformed_event_keys = connection.execute(
            EVENT_KEY_QUERY, [key_range.start, key_range.end]
        ).fetchone()
    outcome = validate_staged_events(rows, malformed_event_keys)
    return dg.AssetCheckResult(
        passed=outcome.success,
        # ERROR: a staged row without a keyed pseudonym or with a precise time is a privacy breach.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_evaluated": staged_rows,
            "distinct_value_combinations": outcome.evaluated_rows,
            "failed_expectations": list(outcome.failures),
        },
        # What to do next, in the UI and in the run history's words (pipelines/run_history.py).
        description=None
        if outcome.success
        else check_next_action("stg_events", CHECK_STAGED_EVENTS_CONTRACT),
    )


CHECK_FILES_BALANCE = "every_row_accounted_for"


@dg.asset_check(
    asset="int_file_balance",
    name=CHECK_FILES_BALANCE,
    blocking=True,
    description="For every event file, rows read = loaded + quarantined + duplicates: nothing was lost.",
)
def every_row_accounted_for(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as connection:
        unbalanced, files, unreadable = connection.execute(
            """
            select
                coalesce(count_if(rows_read <> rows_loaded + rows_quarantined + rows_duplicate), 0),
                count(*),
                coalesce(count_if(error is not null and error <> 'empty file'), 0),
            from intermediate.int_file_balance
            """
        ).fetchone()
    return dg.AssetCheckResult(
        passed=unbalanced == 0,
        # ERROR: an unbalanced file means rows vanished between landing and staging.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"files": files, "unbalanced_files": unbalanced, "unreadable_files": unreadable},
        description=None if unbalanced == 0 else check_next_action("int_file_balance", CHECK_FILES_BALANCE),
    )
