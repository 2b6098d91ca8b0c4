"""Trends and positions, computed at release time from published values only, by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pytest

from pipelines.privacy.catalog import DerivedTableSpec, Thresholds, load_catalog
from pipelines.publication import build_derived_tables
from tests.model_harness import given, rows

PUBLISHED_COLUMNS = """
    school_uai varchar, role varchar, week_start date, school_year varchar,
    school_week_number integer, enrolled bigint, active_users bigint, adoption_rate double,
    adoption_rate_band varchar, is_suppressed boolean, suppression_reason varchar
"""


def candidate(published: list[dict]) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("create schema release")
    connection.execute(f"create table release.adoption_weekly ({PUBLISHED_COLUMNS})")
    given(connection, "release.adoption_weekly", published)
    return connection


def week(
    school: str, week_start: date, school_year: str, number: int | None, rate: float | None, enrolled=40
):
    return {
        "school_uai": school,
        "role": "eleve",
        "week_start": week_start,
        "school_year": school_year,
        "school_week_number": number,
        "enrolled": enrolled,
        "active_users": None if rate is None else round(rate * enrolled),
        "adoption_rate": rate,
        "is_suppressed": rate is None,
    }


def test_trends_compare_school_weeks_and_the_same_week_last_year():
    connection = candidate(
        [
            week("0920001B", date(2024, 9, 2), "2024-2025", 1, 0.25),
            week("0920001B", date(2024, 9, 9), "2024-2025", 2, 0.5),
            week("0920001B", date(2025, 9, 1), "2025-2026", 1, 0.5),
            week("0920001B", date(2025, 9, 8), "2025-2026", 2, 0.75),
            week("0920001B", date(2025, 10, 20), "2025-2026", None, 0.125),  # holidays: left out
            week("0920001B", date(2025, 11, 3), "2025-2026", 8, None),  # hidden by the release
            week("0920001B", date(2025, 11, 10), "2025-2026", 9, 0.625),
        ]
    )
    build_derived_tables(connection, load_catalog(), Thresholds())
    found = rows(
        connection,
        "select week_start, previous_rate, change, last_year_rate, change_since_last_year "
        "from release.adoption_trends order by week_start",
    )
    assert [tuple(row.values()) for row in found] == [
        (date(2024, 9, 2), None, None, None, None),
        (date(2024, 9, 9), 0.25, 0.25, None, None),
        (date(2025, 9, 1), 0.5, 0.0, 0.25, 0.25),  # school week 1 of both years
        (date(2025, 9, 8), 0.5, 0.25, 0.5, 0.25),
        (date(2025, 11, 3), 0.75, None, None, None),  # a hidden rate gives no change
        (date(2025, 11, 10), None, None, None, None),  # nor does it serve as "previous"
    ]


def test_position_among_schools_needs_enough_schools_of_size_k():
    monday = date(2025, 9, 8)
    schools = [
        week("0920001B", monday, "2025-2026", 2, 0.1),
        week("0920002C", monday, "2025-2026", 2, 0.2),
        week("0920003D", monday, "2025-2026", 2, 0.3),
        week("0920004E", monday, "2025-2026", 2, 0.4),
        week("0920005F", monday, "2025-2026", 2, 0.5),
        # Published to its own school (k = 5) but too small for a view across schools (k = 10).
        week("0920006G", monday, "2025-2026", 2, 0.875, enrolled=8),
    ]
    connection = candidate(schools)
    build_derived_tables(connection, load_catalog(), Thresholds())
    found = rows(
        connection,
        "select school_uai, schools, department_q1, department_median, department_q3, quartile "
        "from release.adoption_position order by school_uai",
    )
    quartiles = (0.2, 0.3, 0.4)  # of 0.1 … 0.5, interpolated: the sixth school does not count
    assert [(row["school_uai"], row["schools"], row["quartile"]) for row in found] == [
        ("0920001B", 5, 1),
        ("0920002C", 5, 2),  # at the first quartile: in the second quarter
        ("0920003D", 5, 3),
        ("0920004E", 5, 4),
        ("0920005F", 5, 4),
        ("0920006G", 5, 4),  # the small school still sees where it stands
    ]
    for row in found:
        assert (row["department_q1"], row["department_median"], row["department_q3"]) == pytest.approx(
            quartiles
        )

    # With four schools of size k, the distribution would describe too few: nothing is published.
    connection = candidate(schools[1:])
    build_derived_tables(connection, load_catalog(), Thresholds())
    assert rows(connection, "select * from release.adoption_position") == []


def test_a_derived_table_may_read_only_what_it_declares():
    catalog = load_catalog()
    narrowed = replace(
        catalog,
        derived_tables={
            **catalog.derived_tables,
            "adoption_trends": DerivedTableSpec(
                "adoption_trends", ("school_uai",), ("service_usage_weekly",)
            ),
        },
    )
    with pytest.raises(ValueError, match="may read only the published tables it declares"):
        build_derived_tables(candidate([]), narrowed, Thresholds())
