"""Checks on the marts: every row can be protected at publication (DESIGN.md §4 rule 5).

The marts hold exact figures; the release (pipelines/defs/publication) suppresses them. What a
mart must guarantee for that is checked here, and blocks the release when it fails: every row
knows the distinct persons behind it (its population, never NULL), and its counts keep the
relations _privacy.yml declares within the table, which the suppression and the audit rely on.
"""

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.privacy.catalog import instantiate, load_catalog, relation_violations
from pipelines.publication import read_marts
from pipelines.run_history import check_next_action

CHECK_CELLS_RESPECT_K = "cells_respect_minimum_group_size"
VIOLATIONS_SHOWN = 10


def build_minimum_group_size_check(mart: str, population: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart,
        name=CHECK_CELLS_RESPECT_K,
        blocking=True,
        description=(
            f"Every row knows the persons behind it ({population}, never NULL) and keeps its declared "
            "relations, so the release can suppress it below k."
        ),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        catalog = load_catalog()
        with warehouse.connect() as connection:
            truth, _ = read_marts(connection, [mart], catalog)
        rows = truth[mart]
        unknown = sum(1 for row in rows if row[population] is None or row[population] < 0)
        broken = relation_violations(instantiate(catalog, truth), truth)
        passed = unknown == 0 and not broken
        return dg.AssetCheckResult(
            passed=passed,
            # ERROR: a row without its population cannot be suppressed below k.
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "rows": len(rows),
                "rows_without_population": unknown,
                "relations_broken": len(broken),
                "first_broken": broken[:VIOLATIONS_SHOWN],
            },
            # What to do next, in the UI and in the run history's words (pipelines/run_history.py).
            description=None if passed else check_next_action(mart, CHECK_CELLS_RESPECT_K),
        )

    return _check


@dg.definitions
def minimum_group_size_checks() -> dg.Definitions:
    catalog = load_catalog()
    return dg.Definitions(
        asset_checks=[
            build_minimum_group_size_check(name, spec.population)
            for name, spec in catalog.tables.items()
            if spec.protected
        ]
    )
