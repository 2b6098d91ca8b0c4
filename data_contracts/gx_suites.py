"""Run a Great Expectations 1.x suite on a dataframe, once, and say what failed.

One ephemeral context per call: the suites are small and built from the contracts at run
time, so nothing is stored in a GX project folder that could drift from the contracts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class SuiteOutcome:
    success: bool
    evaluated_rows: int
    failures: tuple[str, ...]


def run_suite(name: str, expectations: list, rows: pd.DataFrame) -> SuiteOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would interleave with the run's own progress lines.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("run")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for expectation in expectations:
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    result = validation.run(batch_parameters={"dataframe": rows})
    failures = tuple(
        f"{item.expectation_config.type}({item.expectation_config.kwargs.get('column') or item.expectation_config.kwargs.get('column_list')}): "
        f"{item.result.get('unexpected_count', '?')} unexpected"
        for item in result.results
        if not item.success
    )
    return SuiteOutcome(success=bool(result.success), evaluated_rows=len(rows), failures=failures)
