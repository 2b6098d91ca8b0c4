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


def test_an_event_key_that_is_not_a_keyed_pseudonym_fails_the_check():
    outcome = validate_staged_events(staged(), malformed_event_keys=3)
    assert not outcome.success
    assert outcome.failures == ("event_key is a keyed pseudonym (64 hex characters): 3 unexpected",)


def test_the_check_reads_distinct_values_and_counts_malformed_event_keys_in_sql():
    import duckdb

    from data_contracts.staged_events_suite import EVENT_KEY_QUERY, VALIDATION_QUERY

    connection = duckdb.connect()
    connection.execute("create schema staging")
    connection.execute(
        """
        create table staging.stg_events as select * from (values
            ('a' || repeat('0', 63), repeat('b', 64), timestamptz '2025-09-01 08:00:00+02', 'eleve',
             '0920001B', 'portail', 'login', date '2025-09-01'),
            (repeat('c', 64), repeat('b', 64), timestamptz '2025-09-01 09:00:00+02', 'eleve',
             '0920001B', 'portail', 'login', date '2025-09-01'),
            ('ENT-42', repeat('b', 64), timestamptz '2025-09-01 09:00:00+02', 'eleve',
             '0920001B', 'portail', 'login', date '2025-09-01'),
            (repeat('d', 64), repeat('b', 64), timestamptz '2025-09-02 09:30:00+02', 'eleve',
             '0920001B', 'portail', 'login', date '2025-09-02')
        ) as t(event_key, user_key, occurred_hour, role, school_uai, service, action, delivered_on)
        """
    )
    frame = connection.execute(VALIDATION_QUERY, ["2025-09-01", "2025-09-01"]).df()
    # Three staged rows of the first day, one combination of values.
    assert frame[["user_key", "seconds_past_hour", "staged_rows"]].values.tolist() == [["b" * 64, 0, 3]]
    assert connection.execute(EVENT_KEY_QUERY, ["2025-09-01", "2025-09-01"]).fetchone() == (3, 1)
    outcome = validate_staged_events(frame, malformed_event_keys=1)
    assert not outcome.success and len(outcome.failures) == 1
    assert not validate_staged_events(
        connection.execute(VALIDATION_QUERY, ["2025-09-02", "2025-09-02"]).df()
    ).success


def roster_rows(**overrides) -> pd.DataFrame:
    row = {
        "user_key": "b" * 64,
        "role": "parent",
        "school_uai": "0920001B",
        "class_id": "3A",
        "discipline": None,
        "start_date": None,
        "end_date": None,
        "child_key": "e" * 64,
    }
    row.update(overrides)
    return pd.DataFrame([row, {**row, "user_key": "f" * 64, "role": "eleve", "child_key": None}])


def test_a_conforming_roster_snapshot_passes_its_contract_suite():
    from data_contracts.staged_snapshot_suites import ROSTER, validate_snapshot

    outcome = validate_snapshot(ROSTER, roster_rows())
    assert outcome.success and outcome.evaluated_rows == 2


def test_a_roster_with_a_raw_child_id_or_a_bad_uai_fails_naming_the_columns():
    from data_contracts.staged_snapshot_suites import ROSTER, validate_snapshot

    # Six digits: not the shape of a UAI code (the key letter is ingestion's rule, not the suite's).
    outcome = validate_snapshot(ROSTER, roster_rows(child_key="ENT-CHILD-1", school_uai="092001B"))
    assert sorted(outcome.failures) == [
        "expect_column_values_to_match_regex(child_key): 1 unexpected",
        "expect_column_values_to_match_regex(school_uai): 2 unexpected",
    ]


def test_the_workshop_log_suite_refuses_a_negative_count_and_an_unknown_service():
    from data_contracts.staged_snapshot_suites import WORKSHOPS, validate_snapshot

    rows = pd.DataFrame(
        [
            {"workshop_date": "2025-10-01", "school_uai": "0920001B", "service": "devoirs", "attendees": 12},
            {"workshop_date": "2025-10-02", "school_uai": "0920001B", "service": "pronote", "attendees": -1},
            {
                "workshop_date": "2025-10-03",
                "school_uai": "0920001B",
                "service": "messagerie",
                "attendees": None,
            },
        ]
    )
    outcome = validate_snapshot(WORKSHOPS, rows)
    assert sorted(outcome.failures) == [
        "expect_column_values_to_be_between(attendees): 1 unexpected",
        "expect_column_values_to_be_in_set(service): 1 unexpected",
    ]
    assert validate_snapshot(WORKSHOPS, rows.iloc[:0]).success
