"""Retention in the run: landing files leave the landing folder once loaded, checked and published."""

import os
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.retention import (
    LANDING_ARCHIVE_ENV_VAR,
    dispose_landing_files,
    ensure_retention_tables,
    loaded_landing_files,
)


class LandingDisposalConfig(dg.Config):
    """Privacy-safe by default: the files are deleted, or moved to archive_dir (else
    $REPERES_LANDING_ARCHIVE) when one is set. keep_landing is for demos and tests on
    simulated data only: it is not compliant for school data (DESIGN.md §4 rule 4)."""

    keep_landing: bool = False
    archive_dir: str = ""


def _materialized_in_this_run(context: dg.AssetExecutionContext) -> dict[str, set[str | None]]:
    """Asset name -> partitions (None when unpartitioned) this very run has materialized."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    materialized: dict[str, set[str | None]] = {}
    for record in records:
        if record.asset_key is not None:
            materialized.setdefault(record.asset_key.to_user_string(), set()).add(record.partition_key)
    return materialized


@dg.asset(
    group_name="retention",
    kinds={"duckdb"},
    deps=["published_release"],
    pool=WAREHOUSE_POOL,
)
def landing_disposals(
    context: dg.AssetExecutionContext, config: LandingDisposalConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """One row per landing file removed after a successful run (archived or deleted): name, day, size. Rule 4: loaded files do not linger."""
    if config.keep_landing:
        context.log.warning(
            "keep_landing: the landing files stay (a demo or test setting, not for school data)."
        )
        return dg.MaterializeResult(metadata={"disposition": "kept", "files": 0})
    archive_setting = config.archive_dir or os.environ.get(LANDING_ARCHIVE_ENV_VAR, "")
    archive_dir = Path(archive_setting).resolve() if archive_setting else None
    disposition = "archived" if archive_dir is not None else "deleted"
    # Only what this very run loaded leaves: a run launched from the UI on a subset of the
    # assets or of the days must not remove files it did not load.
    materialized = _materialized_in_this_run(context)
    if "landing_files" not in materialized:
        context.log.info("landing_files was not refreshed by this run: no landing file is removed.")
        return dg.MaterializeResult(metadata={"disposition": disposition, "files": 0})
    event_days = {date.fromisoformat(key) for key in materialized.get("stg_events", set()) if key}
    with warehouse.connect() as connection:
        ensure_retention_tables(connection)
        files = loaded_landing_files(
            connection,
            event_days,
            include_roster="stg_roster" in materialized,
            include_workshops="stg_workshops" in materialized,
        )
        disposed = dispose_landing_files(
            connection, warehouse.landing_path, files, archive_dir, context.run.run_id
        )
    context.log.info(f"{disposed} landing file(s) {disposition}.")
    return dg.MaterializeResult(
        metadata={
            "disposition": disposition,
            "files": disposed,
            "archive": str(archive_dir / context.run.run_id) if archive_dir else "",
        }
    )
