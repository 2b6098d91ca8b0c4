"""Great Expectations suite guarding staging.stg_events, derived from the events contract.

Ingestion already quarantines rows that break the input contract; this suite checks the
result from the outside (the belt and the braces): every privacy transformation happened
(pseudonyms are 64 hex characters, times are whole hours) and every enum holds. It runs as
a blocking Dagster asset check, so a failure stops the release.
"""

from __future__ import annotations

import pandas as pd

from data_contracts.contracts import load_contract
from data_contracts.gx_suites import SuiteOutcome, run_suite

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
    return run_suite(SUITE_NAME, build_expectations(), rows)
