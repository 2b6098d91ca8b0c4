"""The data-quality marts on deliveries given by hand, against figures computed by hand.

Deliveries (what ingestion left in staging.file_loads, staging.quarantine, staging.stg_events):
- events/2025-09-03.csv: 4 rows; e1, e2, e3 loaded, row 4 has an unknown role;
- events/2025-09-04.jsonl: 4 lines; e1 again (a duplicate), line 2 not a JSON object, e4,
  line 4 a bad UAI;
- events/2025-09-05.parquet: unreadable, quarantined whole (no row);
- events/2025-09-06.csv: 4 rows; row 1 an unknown role, e5, e6, physical line 3 the reader
  could not split (too many columns);
- roster/2025-08-28-annuaire.csv: 10 rows, row 7 without a role (a dated roster file);
- workshops/ateliers.csv: 2 rows, both valid (an undated workshop log).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.model_harness import build, empty_warehouse, given, rows

PARIS = ZoneInfo("Europe/Paris")
UAI = "0920001B"
ROLE_RULE = "not one of: eleve, parent, enseignant, personnel"
UAI_RULE = "not a UAI code (7 digits and the matching key letter)"
UNREADABLE = "unreadable file: Invalid Input Error: No magic bytes found at end of file"
D3, D4, D5, D6 = (date(2025, 9, day) for day in (3, 4, 5, 6))
ROSTER_FILE = "roster/2025-08-28-annuaire.csv"
WORKSHOP_FILE = "workshops/ateliers.csv"

FILE_LOADS = [
    # contract, delivered_on, file_name, rows_read, rows_loaded, rows_quarantined, error
    ("events", D3, "events/2025-09-03.csv", 4, 3, 1, None),
    ("events", D4, "events/2025-09-04.jsonl", 4, 2, 2, None),
    ("events", D5, "events/2025-09-05.parquet", 0, 0, 0, UNREADABLE),
    ("events", D6, "events/2025-09-06.csv", 4, 2, 2, None),
    ("roster", None, ROSTER_FILE, 10, 9, 1, None),
    ("workshops", None, WORKSHOP_FILE, 2, 2, 0, None),
]
QUARANTINE = [
    # contract, delivered_on, file_name, file_row, file_line, column_name, rule, observed_value
    ("events", D3, "events/2025-09-03.csv", 4, None, "role", ROLE_RULE, "ELEVE?"),
    ("events", D4, "events/2025-09-04.jsonl", 2, 2, None, "not a JSON object", None),
    ("events", D4, "events/2025-09-04.jsonl", 4, 4, "school_uai", UAI_RULE, "0920001"),
    ("events", D5, "events/2025-09-05.parquet", None, None, None, UNREADABLE, None),
    ("events", D6, "events/2025-09-06.csv", 1, None, "role", ROLE_RULE, "Eleve"),
    (
        "events",
        D6,
        "events/2025-09-06.csv",
        None,
        3,
        None,
        "unreadable line: too many columns (Expected Number of Columns: 12 Found: 13)",
        None,
    ),
    ("roster", None, ROSTER_FILE, 7, None, "role", "required value is missing", None),
]


def staged_event(key: str, day: int, hour: int, file_name: str, delivered_on: date, file_row: int) -> dict:
    return {
        "event_key": key,
        "user_key": f"user-of-{key}",
        "occurred_hour": datetime(2025, 9, day, hour, tzinfo=PARIS),
        "role": "eleve",
        "school_uai": UAI,
        "service": "portail",
        "action": "login",
        "delivered_on": delivered_on,
        "file_name": file_name,
        "file_row": file_row,
    }


STAGED_EVENTS = [
    staged_event("e1", 1, 8, "events/2025-09-03.csv", D3, 1),
    staged_event("e2", 2, 9, "events/2025-09-03.csv", D3, 2),
    staged_event("e3", 3, 10, "events/2025-09-03.csv", D3, 3),
    staged_event("e1", 1, 8, "events/2025-09-04.jsonl", D4, 1),  # delivered again
    staged_event("e4", 4, 9, "events/2025-09-04.jsonl", D4, 3),
    staged_event("e5", 5, 14, "events/2025-09-06.csv", D6, 2),
    # Midnight in Paris on 6 September is still 5 September in UTC: the day is Paris's.
    staged_event("e6", 6, 0, "events/2025-09-06.csv", D6, 3),
]


@pytest.fixture(scope="module")
def warehouse():
    connection = empty_warehouse(calendar_from=None)
    connection.executemany(
        "insert into staging.file_loads (contract, delivered_on, file_name, rows_read, rows_loaded, "
        "rows_quarantined, error) values (?, ?, ?, ?, ?, ?, ?)",
        FILE_LOADS,
    )
    connection.executemany("insert into staging.quarantine values (?, ?, ?, ?, ?, ?, ?, ?)", QUARANTINE)
    given(connection, "staging.stg_events", STAGED_EVENTS)
    build(connection, "data_quality_files", "data_quality_rules", "data_quality_sources")
    yield connection
    connection.close()


def test_data_quality_files_balances_every_file(warehouse):
    assert rows(warehouse, "select * from marts.data_quality_files") == [
        # contract, delivered_on, file_name, error, read, loaded, quarantined, duplicates
        _file("events", D3, "events/2025-09-03.csv", None, 4, 3, 1, 0),
        # e1 was delivered the day before: loaded 2 rows in staging, 1 seen for the first time.
        _file("events", D4, "events/2025-09-04.jsonl", None, 4, 1, 2, 1),
        _file("events", D5, "events/2025-09-05.parquet", UNREADABLE, 0, 0, 0, 0),
        _file("events", D6, "events/2025-09-06.csv", None, 4, 2, 2, 0),
        # The roster's day is read from its file name; the workshop log's name has none.
        _file("roster", date(2025, 8, 28), ROSTER_FILE, None, 10, 9, 1, 0),
        _file("workshops", None, WORKSHOP_FILE, None, 2, 2, 0, 0),
    ]
    unbalanced = rows(
        warehouse,
        "select file_name from marts.data_quality_files "
        "where rows_read <> rows_loaded + rows_quarantined + rows_duplicate",
    )
    assert unbalanced == []


def _file(contract, delivered_on, file_name, error, read, loaded, quarantined, duplicates) -> dict:
    return {
        "contract": contract,
        "delivered_on": delivered_on,
        "file_name": file_name,
        "error": error,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "rows_duplicate": duplicates,
    }


def test_data_quality_rules_counts_rows_per_rule_and_points_to_the_first(warehouse):
    assert rows(warehouse, "select * from marts.data_quality_rules") == [
        # A rule on the whole record has the column '' (a key is never NULL).
        _rule("events", "", "not a JSON object", "events/2025-09-04.jsonl", 2, 2, D4, 1, 1),
        # The reader's detail in parentheses is left out: one rule per kind of reader error.
        _rule("events", "", "unreadable line: too many columns", "events/2025-09-06.csv", None, 3, D6, 1, 1),
        # Twice, in two files: the first is row 4 of the earliest delivery.
        _rule("events", "role", ROLE_RULE, "events/2025-09-03.csv", 4, None, D6, 2, 2),
        _rule("events", "school_uai", UAI_RULE, "events/2025-09-04.jsonl", 4, 4, D4, 1, 1),
        _rule("roster", "role", "required value is missing", ROSTER_FILE, 7, None, date(2025, 8, 28), 1, 1),
    ]


def _rule(contract, column, rule, first_file, first_row, first_line, last_delivered_on, quarantined, files):
    return {
        "contract": contract,
        "column_name": column,
        "rule": rule,
        "first_file_name": first_file,
        "first_file_row": first_row,
        "first_file_line": first_line,
        "last_delivered_on": last_delivered_on,
        "rows_quarantined": quarantined,
        "files": files,
    }


def test_data_quality_rules_publishes_no_observed_value(warehouse):
    columns = [row["column_name"] for row in rows(warehouse, "describe marts.data_quality_rules")]
    assert "observed_value" not in columns
    published = str(rows(warehouse, "select * from marts.data_quality_rules"))
    for value in ("ELEVE?", "Eleve", "'0920001'", "Expected Number of Columns"):
        assert value not in published


def test_rules_add_up_to_the_files_quarantined_rows(warehouse):
    by_rules = rows(
        warehouse,
        "select contract, sum(rows_quarantined) as rows from marts.data_quality_rules group by all order by all",
    )
    by_files = rows(
        warehouse,
        "select contract, sum(rows_quarantined) as rows from marts.data_quality_files "
        "where rows_quarantined > 0 group by all order by all",
    )
    assert by_rules == by_files == [{"contract": "events", "rows": 5}, {"contract": "roster", "rows": 1}]


def test_data_quality_sources_gives_each_source_its_freshness(warehouse):
    assert rows(warehouse, "select * from marts.data_quality_sources") == [
        {
            "contract": "events",
            "last_delivered_on": D6,
            "last_event_on": D6,  # e6, 00:00 on 6 September in Paris
            "files": 4,
            "files_unreadable": 1,
            "rows_read": 12,
            "rows_loaded": 6,  # e1 to e6, once each
            "rows_quarantined": 5,
            "rows_duplicate": 1,
        },
        {
            "contract": "roster",
            "last_delivered_on": date(2025, 8, 28),
            "last_event_on": None,
            "files": 1,
            "files_unreadable": 0,
            "rows_read": 10,
            "rows_loaded": 9,
            "rows_quarantined": 1,
            "rows_duplicate": 0,
        },
        {
            "contract": "workshops",
            "last_delivered_on": None,
            "last_event_on": None,
            "files": 1,
            "files_unreadable": 0,
            "rows_read": 2,
            "rows_loaded": 2,
            "rows_quarantined": 0,
            "rows_duplicate": 0,
        },
    ]


def test_a_source_never_delivered_has_a_row_of_zeros():
    connection = empty_warehouse(calendar_from=None)
    try:
        build(connection, "data_quality_sources", "data_quality_rules")
        sources = rows(connection, "select * from marts.data_quality_sources")
        assert [row["contract"] for row in sources] == ["events", "roster", "workshops"]
        for row in sources:
            assert row["last_delivered_on"] is None and row["last_event_on"] is None
            assert (row["files"], row["files_unreadable"], row["rows_read"], row["rows_loaded"]) == (
                0,
                0,
                0,
                0,
            )
        assert rows(connection, "select * from marts.data_quality_rules") == []
    finally:
        connection.close()
