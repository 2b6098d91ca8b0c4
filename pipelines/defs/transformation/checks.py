"""Checks that guard publication: they block the release when a mart would break a privacy rule."""

import dagster as dg

from pipelines.defs.resources import WarehouseResource

# Each mart and the column holding the population its suppression is based on (DESIGN.md §4 rule 5).
SUPPRESSION_POPULATION = {
    "adoption_weekly": "enrolled",
    "service_usage_weekly": "enrolled",
    "homework_class_weekly": "pupils",
}
CHECK_CELLS_RESPECT_K = "cells_respect_minimum_group_size"


def build_minimum_group_size_check(mart: str, population: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart,
        name=CHECK_CELLS_RESPECT_K,
        blocking=True,
        description=f"No published figure rests on fewer than k persons ({population}); suppressed rows carry no figure.",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as connection:
            unsafe_rows, leaking_rows = connection.execute(
                f"""
                select
                    coalesce(count_if(not is_suppressed and ({population} is null or {population} < getvariable('k_school'))), 0),
                    coalesce(count_if(is_suppressed and {population} is not null), 0),
                from marts.{mart}
                """
            ).fetchone()
        return dg.AssetCheckResult(
            passed=unsafe_rows == 0 and leaking_rows == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows_below_k_not_suppressed": unsafe_rows,
                "suppressed_rows_with_figures": leaking_rows,
                "k": warehouse.k_school,
            },
        )

    return _check


@dg.definitions
def minimum_group_size_checks() -> dg.Definitions:
    return dg.Definitions(
        asset_checks=[
            build_minimum_group_size_check(mart, population)
            for mart, population in SUPPRESSION_POPULATION.items()
        ]
    )
