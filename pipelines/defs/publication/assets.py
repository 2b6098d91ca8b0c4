"""Publication: the only way data leaves the warehouse, through a checked candidate."""

import dagster as dg

from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.models import discover_models
from pipelines.privacy.catalog import Thresholds
from pipelines.publication import prepare_release, publish
from pipelines.settings import BAND_POPULATION, K_DEPARTMENT

PUBLISHED_MARTS = [model.name for model in discover_models(("marts",))]


def release_thresholds(warehouse: WarehouseResource) -> Thresholds:
    """k inside a school from the resource; across schools and for bands from the settings."""
    return Thresholds(k_school=warehouse.k_school, k_department=K_DEPARTMENT, band_population=BAND_POPULATION)


@dg.asset(
    group_name="publication",
    kinds={"duckdb"},
    deps=PUBLISHED_MARTS,
    pool=WAREHOUSE_POOL,
)
def release_candidate(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """warehouse schema release: every mart as it will be published, one row per mart row: suppressed below k (5 in a school, 10 across schools), complementary and between-release suppression, small-group rates in bands (rules 5-7)."""
    with warehouse.connect() as connection:
        release = prepare_release(
            connection, PUBLISHED_MARTS, warehouse.published_path, release_thresholds(warehouse)
        )
    return dg.MaterializeResult(
        metadata={
            "cells_published": release.cells_published,
            "cells_suppressed": release.cells_suppressed,
            "cells_suppressed_primary": release.cells_suppressed_primary,
            "cells_suppressed_complementary": release.cells_suppressed_complementary,
            "cells_suppressed_between_releases": release.cells_suppressed_between_releases,
            "rates_banded": release.rates_banded,
            "rates_withheld": release.rates_withheld,
            "audit_repair_rounds": release.repair_rounds,
        }
    )


@dg.asset(
    group_name="publication",
    kinds={"duckdb"},
    deps=[release_candidate],
    pool=WAREHOUSE_POOL,
)
def published_release(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """published.duckdb: the checked release candidate (no suppression reason, no pseudonym column) plus release_info; swapped in atomically."""
    with warehouse.connect() as connection:
        release = publish(connection, PUBLISHED_MARTS, warehouse.published_path)
    return dg.MaterializeResult(
        metadata={
            "path": str(warehouse.published_path),
            "tables": release.tables,
            "cells_published": release.cells_published,
            "cells_suppressed": release.cells_suppressed,
            "cells_suppressed_primary": release.cells_suppressed_primary,
            "cells_suppressed_complementary": release.cells_suppressed_complementary,
            "rates_banded": release.rates_banded,
        }
    )
