"""Blocking checks on the release candidate: nothing is published unless rules 5, 6 and 7 hold."""

import dagster as dg

from pipelines.defs.publication.assets import PUBLISHED_MARTS, release_candidate, release_thresholds
from pipelines.defs.resources import WarehouseResource
from pipelines.privacy.catalog import load_catalog
from pipelines.publication import INTERNAL_COLUMNS, RELEASE_SCHEMA, audit_candidate, candidate_band_violations
from pipelines.run_history import check_next_action

CHECK_CELLS_RESPECT_K = "cells_respect_minimum_group_size"
CHECK_RATES_BANDED = "small_group_rates_are_banded"
CHECK_NO_RECOVERY = "no_recovery_by_subtraction"
FAILURES_SHOWN = 20
# Tables whose emptiness means all is well: no row was quarantined.
EMPTY_IS_GOOD_NEWS = ("data_quality_rules",)


@dg.asset_check(
    asset=release_candidate,
    name=CHECK_CELLS_RESPECT_K,
    blocking=True,
    description="Rule 5: no published row rests on fewer than k persons (k of its audience); suppressed rows carry no figure.",
)
def cells_respect_minimum_group_size(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    catalog, thresholds = load_catalog(), release_thresholds(warehouse)
    unsafe_rows, leaking_rows, checked_rows = {}, {}, 0
    with warehouse.connect() as connection:
        for mart in PUBLISHED_MARTS:
            spec = catalog.tables[mart]
            if not spec.protected:
                continue
            figures = [
                *spec.counts,
                *(rate.name for rate in spec.rates),
                *(rate.band_column for rate in spec.rates),
            ]
            unsafe, leaking, rows = connection.execute(
                f"""
                select
                    coalesce(count_if(not is_suppressed and ({spec.population} is null or {spec.population} < ?)), 0),
                    coalesce(count_if(is_suppressed and ({" or ".join(f"{figure} is not null" for figure in figures)})), 0),
                    count(*),
                from {RELEASE_SCHEMA}.{mart}
                """,
                [thresholds.k(spec.audience)],
            ).fetchone()
            unsafe_rows[mart], leaking_rows[mart], checked_rows = unsafe, leaking, checked_rows + rows
    passed = not any(unsafe_rows.values()) and not any(leaking_rows.values())
    return dg.AssetCheckResult(
        passed=passed,
        # ERROR: a figure on fewer than k persons would leave the warehouse.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_checked": checked_rows,
            "rows_below_k_not_suppressed": unsafe_rows,
            "suppressed_rows_with_figures": leaking_rows,
            "k_school": thresholds.k_school,
            "k_department": thresholds.k_department,
        },
        # What to do next, in the UI and in the run history's words (pipelines/run_history.py).
        description=None if passed else check_next_action("release_candidate", CHECK_CELLS_RESPECT_K),
    )


@dg.asset_check(
    asset=release_candidate,
    name=CHECK_RATES_BANDED,
    blocking=True,
    description="Rule 7: on populations under the band population, extreme rates are bands with their counts withheld.",
)
def small_group_rates_are_banded(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    thresholds = release_thresholds(warehouse)
    with warehouse.connect() as connection:
        problems = candidate_band_violations(connection, PUBLISHED_MARTS, thresholds)
    return dg.AssetCheckResult(
        passed=not problems,
        # ERROR: an exact 0 % or 100 % on a small group says what every member did.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "violations": len(problems),
            "first_violations": problems[:FAILURES_SHOWN],
            "band_population": thresholds.band_population,
        },
        description=None if not problems else check_next_action("release_candidate", CHECK_RATES_BANDED),
    )


@dg.asset_check(
    asset=release_candidate,
    name=CHECK_NO_RECOVERY,
    blocking=True,
    description=(
        "Rule 6: the disclosure audit. Linear programs (scipy linprog) bound every hidden count from "
        "everything published together and earlier releases; no small group can be recomputed."
    ),
)
def no_recovery_by_subtraction(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    catalog, thresholds = load_catalog(), release_thresholds(warehouse)
    with warehouse.connect() as connection:
        report = audit_candidate(connection, PUBLISHED_MARTS, warehouse.published_path, thresholds, catalog)
    return dg.AssetCheckResult(
        passed=report.passed,
        # ERROR: a hidden small group that can be recomputed is a disclosure.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "protected_values_checked": len(report.findings),
            "checked_by_rule": report.counts_by_kind(),
            "hidden_counts": report.hidden_counts,
            "constraints": report.constraints,
            "components_solved": report.components,
            "linear_programs": report.solves,
            "seconds": round(report.seconds, 3),
            "exposed": len(report.failures),
            # Keys and rules only: the figures of small groups stay out of Dagster's storage.
            "first_exposed": [finding.target.describe() for finding in report.failures[:FAILURES_SHOWN]],
        },
        description=None if report.passed else check_next_action("release_candidate", CHECK_NO_RECOVERY),
    )


@dg.asset_check(
    asset=release_candidate,
    name="published_tables_meet_their_contract",
    blocking=True,
    description=(
        "Output contract (data_contracts/published.odcs.yaml), checked by its Great Expectations suite: "
        "unique keys, valid UAI codes, counts ≥ 0, rates between 0 and 1. If it fails: a model produced "
        "an impossible figure — read the failures below, fix the model, run again; nothing was published."
    ),
)
def published_tables_meet_their_contract(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from data_contracts.published_contract import published_tables, validate_published

    with warehouse.connect() as connection:
        frames = {
            table: connection.execute(f"select * from {RELEASE_SCHEMA}.{table}")
            .df()
            .drop(columns=list(INTERNAL_COLUMNS), errors="ignore")
            for table in published_tables()
        }
    outcomes = validate_published(frames, release_thresholds(warehouse))
    failures = {table: list(outcome.failures) for table, outcome in outcomes.items() if not outcome.success}
    return dg.AssetCheckResult(
        passed=not failures,
        # ERROR: an impossible figure would reach the dashboards.
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "tables_checked": len(outcomes),
            "rows_checked": sum(outcome.evaluated_rows for outcome in outcomes.values()),
            "failures": failures,
        },
    )


@dg.asset_check(
    asset=release_candidate,
    name="every_published_table_has_rows",
    blocking=False,
    description=(
        "A published table without any row is legal (no workshop logged yet, a roster without classes) "
        "but often means a missing input: a warning, not a stop. If it fires: check the landing folders "
        "of the sources that feed the empty tables."
    ),
)
def every_published_table_has_rows(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from data_contracts.published_contract import published_tables

    with warehouse.connect() as connection:
        empty = [
            table
            for table in published_tables()
            if table not in EMPTY_IS_GOOD_NEWS
            and connection.execute(f"select count(*) from {RELEASE_SCHEMA}.{table}").fetchone()[0] == 0
        ]
    return dg.AssetCheckResult(
        passed=not empty,
        # WARN: the release stays correct; someone should look at the inputs.
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"empty_tables": empty},
    )
