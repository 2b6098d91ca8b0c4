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

# SQL that feeds the suite: the distinct combinations of the checked values in the staged rows
# of a range of delivery days, with how many rows each stands for. Every expectation of the
# suite is about single values (not null, in a set, matching a pattern), so it holds on every
# row exactly when it holds on every distinct combination: the frame stays about ten rows per
# user whatever the number of events (a year of a département is 300 million rows, which no
# dataframe holds). The event key is unique per event, so it cannot be part of that frame:
# EVENT_KEY_QUERY checks its form in SQL, in the same pass over the range.
VALIDATION_QUERY = """
select
    user_key, role, school_uai, service, action,
    extract(minute from occurred_hour) * 60 + extract(second from occurred_hour) as seconds_past_hour,
    count(*) as staged_rows,
from staging.stg_events
where delivered_on between ? and ?
group by all
"""
EVENT_KEY_QUERY = """
select count(*), count_if(event_key is null or not regexp_full_match(event_key, '[0-9a-f]{64}'))
from staging.stg_events
where delivered_on between ? and ?
"""


def build_expectations() -> list:
    import great_expectations as gx

    contract = load_contract("events")
    # seconds_past_hour is null exactly when occurred_hour is.
    expectations = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column)
        for column in ("user_key", "seconds_past_hour", "role", "school_uai", "service", "action")
    ]
    expectations.append(
        gx.expectations.ExpectColumnValuesToMatchRegex(column="user_key", regex=PSEUDONYM_PATTERN)
    )
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


def validate_staged_events(rows: pd.DataFrame, malformed_event_keys: int = 0) -> SuiteOutcome:
    """The suite on `rows` (VALIDATION_QUERY's frame), and the event keys' form counted in SQL."""
    outcome = run_suite(SUITE_NAME, build_expectations(), rows)
    if not malformed_event_keys:
        return outcome
    failure = f"event_key is a keyed pseudonym (64 hex characters): {malformed_event_keys} unexpected"
    return SuiteOutcome(
        success=False, evaluated_rows=outcome.evaluated_rows, failures=(*outcome.failures, failure)
    )
