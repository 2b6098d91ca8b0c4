"""Daily partitions by delivery day (the day in a landing file's name), schools as a column.

School × day partitions would pass Dagster's partition guidance within a few years (100
schools × 365 days a year), while one partition a day keeps backfills cheap: a whole
year is one ranged run (BackfillPolicy.single_run), not 365 runs.
"""

import dagster as dg

from pipelines.settings import TIMEZONE

FIRST_DELIVERY_DAY = "2022-08-01"

delivery_days = dg.DailyPartitionsDefinition(start_date=FIRST_DELIVERY_DAY, timezone=TIMEZONE, end_offset=1)

# DuckDB allows one writer per file: every asset that writes the warehouse takes this pool,
# limited to 1 in dagster.yaml, so runs launched from the UI queue instead of colliding.
WAREHOUSE_POOL = "reperes_warehouse"

# Run tags that make one run cover a range of partitions (Dagster's single-run backfills).
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
