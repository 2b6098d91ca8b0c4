"""Great Expectations suite guarding staging.stg_events, derived from the events contract.

Ingestion already quarantines rows that break the input contract; this suite checks the
result from the outside (the belt and the braces): every privacy transformation happened
(pseudonyms are 64 hex characters, times are whole hours) and every enum holds. It runs as
a blocking Dagster asset check, so a failure stops the release.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data_contracts.contracts import load_contract

SUITE_NAME = "stg_events"
PSEUDONYM_PATTERN = r"^[0-9a-f]{64}$"
UAI_PATTERN = r"^[0-9]{7}[A-Z]$"

# SQL that feeds the suite: staged rows plus the derived value the truncation rule needs.
VALIDATION_QUERY = """
select
    event_key, user_key, occurred_hour, role, school_uai, service, action,
    extract(minute from occurred_hour) * 60 + extract(second from occurred_hour) as seconds_past_hour,
from staging.stg_events
where delivered_on between ? and ?
"""


@dataclass(frozen=True)
class SuiteOutcome:
    success: bool
    evaluated_rows: int
    failures: tuple[str, ...]


def build_expectations() -> list:
    import great_expectations as gx

    contract = load_contract("events")
    expectations = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column)
        for column in ("event_key", "user_key", "occurred_hour", "role", "school_uai", "service", "action")
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToMatchRegex(column=column, regex=PSEUDONYM_PATTERN)
        for column in ("event_key", "user_key")
    ]
    expectations.append(
        gx.expectations.ExpectColumnValuesToMatchRegex(column="school_uai", regex=UAI_PATTERN)
    )
    expectations += [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column=column, value_set=list(contract.column(column).valid_values)
        )
        for column in ("role", "service", "action")
    ]
    expectations.append(
        gx.expectations.ExpectColumnValuesToBeInSet(column="seconds_past_hour", value_set=[0])
    )
    return expectations


def validate_staged_events(rows: pd.DataFrame) -> SuiteOutcome:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    # Progress bars would interleave with the run's own progress lines.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(SUITE_NAME)
        .add_batch_definition_whole_dataframe("run")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE_NAME))
    for expectation in build_expectations():
        suite.add_expectation(expectation)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=SUITE_NAME, data=batch_definition, suite=suite)
    )
    result = validation.run(batch_parameters={"dataframe": rows})
    failures = tuple(
        f"{item.expectation_config.type}({item.expectation_config.kwargs.get('column')}): "
        f"{item.result.get('unexpected_count', '?')} unexpected"
        for item in result.results
        if not item.success
    )
    return SuiteOutcome(success=bool(result.success), evaluated_rows=len(rows), failures=failures)
