"""The Great Expectations suite on staged events catches what would be a privacy breach."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from data_contracts.staged_events_suite import validate_staged_events


def staged(**overrides) -> pd.DataFrame:
    row = {
        "event_key": "a" * 64,
        "user_key": "b" * 64,
        "occurred_hour": datetime(2025, 9, 1, 6, tzinfo=UTC),
        "role": "eleve",
        "school_uai": "0920001B",
        "service": "portail",
        "action": "login",
        "seconds_past_hour": 0,
    }
    row.update(overrides)
    return pd.DataFrame([row, {**row, "event_key": "c" * 64}])


def test_conforming_rows_pass():
    outcome = validate_staged_events(staged())
    assert outcome.success and outcome.failures == () and outcome.evaluated_rows == 2


def test_raw_identifier_and_precise_time_fail():
    outcome = validate_staged_events(staged(user_key="ENT123", seconds_past_hour=42 * 60))
    assert not outcome.success
    assert sorted(outcome.failures) == [
        "expect_column_values_to_be_in_set(seconds_past_hour): 2 unexpected",
        "expect_column_values_to_match_regex(user_key): 2 unexpected",
    ]
