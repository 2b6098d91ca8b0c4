"""The job that rebuilds the models and the release from the warehouse as it is, without loading."""

import dagster as dg

# After a purge or an erasure has deleted rows from staging: everything downstream of
# staging (intermediate tables, marts with their blocking checks, the release, and whatever
# is added after them) is rebuilt; the landing folder is neither read nor emptied.
rebuild_release = dg.define_asset_job(
    "rebuild_release",
    selection=dg.AssetSelection.groups("staging").downstream()
    - dg.AssetSelection.groups("ingestion", "staging", "retention"),
    description="Rebuild every model and publish a release from staging as it is (after a purge or an erasure).",
    executor_def=dg.in_process_executor,
)


@dg.definitions
def retention_jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[rebuild_release])
