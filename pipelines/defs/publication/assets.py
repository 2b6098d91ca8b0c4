"""Publication: the only way data leaves the warehouse."""

import dagster as dg

from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.models import discover_models
from pipelines.publication import publish

PUBLISHED_MARTS = [model.name for model in discover_models(("marts",))]


@dg.asset(
    group_name="publication",
    kinds={"duckdb"},
    deps=PUBLISHED_MARTS,
    pool=WAREHOUSE_POOL,
)
def published_release(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """published.duckdb: every mart, already suppressed below k, plus release_info; swapped in atomically. No pseudonym column."""
    with warehouse.connect() as connection:
        release = publish(connection, PUBLISHED_MARTS, warehouse.published_path, warehouse.k_school)
    return dg.MaterializeResult(
        metadata={
            "path": str(warehouse.published_path),
            "tables": release.tables,
            "cells_published": release.cells_published,
            "cells_suppressed": release.cells_suppressed,
        }
    )
