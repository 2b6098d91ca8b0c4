"""Contract checks on the staged events: blocking, so a broken staging never reaches publication."""

import dagster as dg

from data_contracts.staged_events_suite import EVENT_KEY_QUERY, VALIDATION_QUERY, validate_staged_events
from data_contracts.staged_snapshot_suites import ROSTER, WORKSHOPS, SnapshotSuite, validate_snapshot
from pipelines.defs.ingestion.assets import stg_events, stg_roster, stg_workshops
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


CHECK_SNAPSHOT_CONTRACT = "staged_snapshot_meets_contract"


def build_snapshot_contract_check(
    suite: SnapshotSuite, asset: dg.AssetsDefinition, severity: dg.AssetCheckSeverity
) -> dg.AssetChecksDefinition:
    """The contract's Great Expectations suite on a staged snapshot (the roster, the workshop log)."""
    blocking = severity == dg.AssetCheckSeverity.ERROR

    @dg.asset_check(
        asset=asset,
        name=CHECK_SNAPSHOT_CONTRACT,
        blocking=blocking,
        description=f"Great Expectations suite of the {suite.contract} contract: pseudonyms, required values, enums, UAI codes.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as connection:
            rows = connection.execute(suite.query).df()
        outcome = validate_snapshot(suite, rows)
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=severity,
            metadata={
                "rows_evaluated": outcome.evaluated_rows,
                "failed_expectations": list(outcome.failures),
            },
            description=None
            if outcome.success or not blocking
            else check_next_action(suite.table, CHECK_SNAPSHOT_CONTRACT),
        )

    return _check


# ERROR, blocking: every rate's denominator comes from the roster, and a roster row without a
# keyed pseudonym would be a privacy breach.
roster_meets_contract = build_snapshot_contract_check(ROSTER, stg_roster, dg.AssetCheckSeverity.ERROR)
# WARN: the workshop log is optional, typed by hand and holds no personal data; a doubtful log
# makes the workshop effects doubtful (the check says so in the UI), not the adoption figures.
workshops_meet_contract = build_snapshot_contract_check(WORKSHOPS, stg_workshops, dg.AssetCheckSeverity.WARN)


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
