"""The job that refreshes everything, and the executor every run uses."""

import dagster as dg

# One process, steps in order: DuckDB has a single writer per file, so parallel steps
# would only wait on its lock.
refresh_all = dg.define_asset_job(
    "refresh_all",
    selection=dg.AssetSelection.all(),
    description="Load the landing files, rebuild every model and publish a release.",
)


@dg.definitions
def execution() -> dg.Definitions:
    return dg.Definitions(jobs=[refresh_all], executor=dg.in_process_executor)
