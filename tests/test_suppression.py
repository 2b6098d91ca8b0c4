"""Rules 5 and 7 (DESIGN.md §4): minimum group size and bands, on hand-made and random schools.

The random schools go through the real SQL models (intermediate and marts, run by DuckDB from a
staging layer written here), then through the real protection of the release: what is tested
is what `reperes run` publishes, without Dagster, so that Hypothesis can try many schools.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.models import run_model
from pipelines.privacy.audit import audit
from pipelines.privacy.bands import (
    BAND_WIDTHS_PERCENT,
    HIGH,
    LOW,
    Band,
    band_for,
    band_violations,
    parse_band,
)
from pipelines.privacy.catalog import Thresholds, load_catalog
from pipelines.privacy.suppression import (
    COMPLEMENTARY,
    PRIMARY,
    Protection,
    band_small_group_rates,
    primary_suppression,
    protect,
    published_tables,
)
from pipelines.publication import read_marts
from pipelines.warehouse import connect_warehouse
from tests.model_harness import ALL_MODELS, create_staging, upstream_models

CATALOG = load_catalog()
THRESHOLDS = Thresholds()
WEEKS = (dt.date(2025, 9, 1), dt.date(2025, 9, 8))
SERVICES = ("portail", "devoirs", "messagerie", "cahier_de_textes")
NBSP = "\u00a0"


# --- A small département, drawn by Hypothesis, written as a staging layer ------------------


@dataclass
class Department:
    roster: list[tuple] = field(default_factory=list)  # user, role, school, class, start, end
    events: list[tuple] = field(
        default_factory=list
    )  # user, hour, role, school, service, action, class, object, due

    def enrol(self, user: str, role: str, school: str, class_id: str | None = None, start=None, end=None):
        self.roster.append((user, role, school, class_id, start, end))

    def event(
        self, user, hour, role, school, service, action="view", class_id=None, object_id=None, due=None
    ):
        self.events.append((user, hour, role, school, service, action, class_id, object_id, due))


def _hour(week: dt.date, day: int, hour: int) -> dt.datetime:
    return dt.datetime.combine(week + dt.timedelta(days=day), dt.time(hour), tzinfo=dt.UTC)


@st.composite
def small_departments(draw) -> Department:
    """1 to 3 schools; per school 1-2 classes of 0-12 pupils, 0-12 parents, teachers and staff;
    some persons with two roles in a school, some parents in two schools; random activity."""
    rng: random.Random = draw(st.randoms(use_true_random=False))
    department = Department()
    schools = [f"09{n:05d}X" for n in range(draw(st.integers(1, 3)))]
    parents_by_school: dict[str, list[str]] = {}
    for school in schools:
        classes = [f"{school}-C{n}" for n in range(draw(st.integers(1, 2)))]
        for class_id in classes:
            for n in range(draw(st.integers(0, 12))):
                joins_late = draw(st.booleans()) and n == 0
                department.enrol(
                    f"{class_id}-p{n}", "eleve", school, class_id, WEEKS[1] if joins_late else None
                )
        sizes = {role: draw(st.integers(0, 12)) for role in ("parent", "enseignant", "personnel")}
        parents = [f"{school}-par{n}" for n in range(sizes["parent"])]
        parents_by_school[school] = parents
        for user in parents:
            department.enrol(user, "parent", school, rng.choice(classes))
        teachers = [f"{school}-ens{n}" for n in range(sizes["enseignant"])]
        for user in teachers:
            department.enrol(user, "enseignant", school, rng.choice(classes))
        for n in range(sizes["personnel"]):
            department.enrol(f"{school}-pers{n}", "personnel", school)
        if teachers and parents and draw(st.booleans()):  # a teacher who is also a parent here
            department.enrol(teachers[0], "parent", school, classes[0])
    if len(schools) > 1 and parents_by_school[schools[0]] and draw(st.booleans()):
        department.enrol(parents_by_school[schools[0]][0], "parent", schools[1])  # children in two schools
    activity = draw(st.sampled_from((0.0, 0.3, 0.7, 1.0)))
    for user, role, school, _class, start, _ in list(department.roster):
        for week in WEEKS:
            if start is not None and start > week:
                continue
            for service in SERVICES:
                if rng.random() < activity:
                    department.event(user, _hour(week, rng.randrange(5), 10), role, school, service)
    for school in schools:
        teachers = [user for user, role, s, *_ in department.roster if role == "enseignant" and s == school]
        for class_id in sorted(
            {row[3] for row in department.roster if row[2] == school and row[1] == "eleve"}
        ):
            for week in WEEKS:
                if not draw(st.booleans()):
                    continue
                homework = f"hw-{class_id}-{week}"
                due = _hour(week, 2, 18)
                author = teachers[0] if teachers else f"{school}-guest"
                department.event(
                    author,
                    _hour(week, 0, 9),
                    "enseignant",
                    school,
                    "devoirs",
                    "create",
                    class_id,
                    homework,
                    due,
                )
                for user, role, _school, pupil_class, *_ in department.roster:
                    if role == "eleve" and pupil_class == class_id and rng.random() < activity:
                        hour = _hour(week, 2, 12) if rng.random() < 0.8 else _hour(week, 3, 10)
                        department.event(user, hour, "eleve", school, "devoirs", "submit", class_id, homework)
    return department


MODELS = upstream_models([name for name, model in ALL_MODELS.items() if model.layer == "marts"])
MARTS = [model.name for model in MODELS if model.layer == "marts"]


@contextmanager
def warehouse_with_marts(path: Path, department: Department) -> Iterator[duckdb.DuckDBPyConnection]:
    """A warehouse whose staging layer is `department`, every model built on it."""
    with connect_warehouse(path, k_school=THRESHOLDS.k_school) as connection:
        write_staging(connection, department)
        build_models(connection)
        yield connection


def write_staging(connection: duckdb.DuckDBPyConnection, department: Department) -> None:
    create_staging(connection, calendar_from=dt.date(2025, 8, 1))
    if department.roster:
        connection.executemany(
            "insert into staging.stg_roster (user_key, role, school_uai, class_id, start_date, end_date) "
            "values (?, ?, ?, ?, ?, ?)",
            department.roster,
        )
    if department.events:
        connection.executemany(
            "insert into staging.stg_events (event_key, user_key, occurred_hour, role, school_uai, service, "
            "action, class_id, object_id, due_at, delivered_on, file_name, file_row) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, date '2025-09-15', 'f', ?)",
            [
                (f"e{n}", user, hour, role, school, service, action, class_id, object_id, due, n)
                for n, (user, hour, role, school, service, action, class_id, object_id, due) in enumerate(
                    department.events
                )
            ],
        )


def build_models(connection: duckdb.DuckDBPyConnection) -> None:
    for model in MODELS:
        run_model(connection, model)


# --- Rule 7: bands --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "denominator", "label"),
    [
        (0, 30, f"≤ 5{NBSP}%"),  # 0 and 1 of 30 (3.3 %) are both "≤ 5 %"
        (1, 30, f"≤ 5{NBSP}%"),
        (2, 30, None),  # 6.7 %: published exactly
        (36, 36, f"≥ 95{NBSP}%"),  # 35 and 36 of 36 are both "≥ 95 %"
        (35, 36, f"≥ 95{NBSP}%"),
        (34, 36, None),  # 94.4 %
        (0, 12, f"≤ 10{NBSP}%"),  # one of 12 is 8.3 %: "≤ 5 %" could only mean 0, so 10 %
        (11, 12, f"≥ 90{NBSP}%"),
        (1, 9, f"≤ 20{NBSP}%"),  # one of 9 is 11 %: 20 %
        (2, 9, None),
        (5, 5, f"≥ 80{NBSP}%"),
        (1, 5, f"≤ 20{NBSP}%"),
        (3, 5, None),
    ],
)
def test_bands_by_hand(count, denominator, label):
    band = band_for(count, denominator)
    assert (band.label if band else None) == label
    if band:
        assert parse_band(band.label) == band


@given(st.integers(1, 400), st.data())
def test_every_band_holds_the_extreme_and_another_count(denominator, data):
    """Whatever the group, a band never tells "none" from "one", nor "all" from "all but one"."""
    count = data.draw(st.integers(0, denominator))
    band = band_for(count, denominator)
    if band is None:
        # Not extreme: at least one person from 0 and from the whole group.
        width = next(width for width in (*BAND_WIDTHS_PERCENT, 100) if width * denominator >= 100)
        assert width * denominator < 100 * count < (100 - width) * denominator
        return
    inside = [value for value in range(denominator + 1) if band.contains(value, denominator)]
    extreme = 0 if band.side == LOW else denominator
    assert extreme in inside and len(inside) >= 2
    assert band.contains(count, denominator)


def test_band_labels_parse_back():
    for width in BAND_WIDTHS_PERCENT:
        for side in (LOW, HIGH):
            assert parse_band(Band(side, width).label) == Band(side, width)
    with pytest.raises(ValueError):
        parse_band("≥ 95 %")  # an ordinary space is not what the release writes


# --- Rule 5 and 7 on a hand-made school ----------------------------------------------------


def _adoption(school, role, enrolled, active, week=WEEKS[0]):
    return {
        "school_uai": school,
        "role": role,
        "week_start": week,
        "enrolled": enrolled,
        "active_users": active,
        "adoption_rate": active / enrolled,
    }


def test_primary_suppression_uses_the_k_of_the_audience():
    truth = {
        "adoption_weekly": [_adoption("A", "eleve", 4, 2), _adoption("A", "parent", 5, 2)],
        "adoption_department_weekly": [
            {
                "role": "eleve",
                "week_start": WEEKS[0],
                "enrolled": 9,
                "active_users": 4,
                "adoption_rate": 4 / 9,
            },
            {
                "role": "parent",
                "week_start": WEEKS[0],
                "enrolled": 10,
                "active_users": 4,
                "adoption_rate": 0.4,
            },
        ],
    }
    protection = Protection()
    primary_suppression(truth, CATALOG, THRESHOLDS, protection)
    # 4 pupils < k_school = 5; 5 parents = k: published. Across schools k = 10: 9 < 10, 10 is enough.
    assert protection.suppressed == {
        ("adoption_weekly", 0): PRIMARY,
        ("adoption_department_weekly", 0): PRIMARY,
    }
    published = published_tables(truth, CATALOG, protection)
    assert published["adoption_weekly"][0] | {"week_start": None} == {
        "school_uai": "A",
        "role": "eleve",
        "week_start": None,
        "enrolled": None,
        "active_users": None,
        "adoption_rate": None,
        "adoption_rate_band": None,
        "is_suppressed": True,
        "suppression_reason": PRIMARY,
    }


def test_an_extreme_rate_of_a_small_group_becomes_a_band_and_its_count_is_withheld():
    # 12 teachers, all active: 100 % of a group under 40. 30 pupils, 1 active: 3.3 %.
    # 45 parents, all active: a group of 40 or more keeps its exact rate.
    truth = {
        "adoption_weekly": [
            _adoption("A", "enseignant", 12, 12),
            _adoption("A", "eleve", 30, 1),
            _adoption("A", "parent", 45, 45),
        ]
    }
    protection = Protection()
    band_small_group_rates(truth, CATALOG, THRESHOLDS, protection)
    rows = published_tables(truth, CATALOG, protection)["adoption_weekly"]
    shown = [
        (row["enrolled"], row["active_users"], row["adoption_rate"], row["adoption_rate_band"])
        for row in rows
    ]
    assert shown == [(12, None, None, f"≥ 90{NBSP}%"), (30, None, None, f"≤ 5{NBSP}%"), (45, 45, 1.0, None)]
    assert band_violations(rows and {"adoption_weekly": rows}, truth, CATALOG, THRESHOLDS) == []


def test_homework_bands_withhold_all_four_statuses():
    # 20 pupils, one homework each, 19 on time and 1 late: submission 100 %, on time 95 %.
    row = {
        "school_uai": "A",
        "class_id": "6A",
        "week_start": WEEKS[0],
        "homework_count": 1,
        "pupils": 20,
        "expected": 20,
        "on_time": 19,
        "late": 1,
        "missing": 0,
        "pending": 0,
        "submission_rate": 1.0,
        "on_time_rate": 0.95,
    }
    truth = {"homework_class_weekly": [row]}
    protection = protect(truth, CATALOG, THRESHOLDS)
    published = published_tables(truth, CATALOG, protection)["homework_class_weekly"][0]
    assert [
        published[column] for column in ("pupils", "expected", "on_time", "late", "missing", "pending")
    ] == [
        20,
        20,
        None,
        None,
        None,
        None,
    ]
    assert (published["submission_rate_band"], published["on_time_rate_band"]) == (
        f"≥ 95{NBSP}%",
        f"≥ 95{NBSP}%",
    )
    assert published["submission_rate"] is None and published["on_time_rate"] is None


# --- Rule 5 on random small schools, through the real SQL -----------------------------------


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_departments())
def test_random_small_schools_publish_no_cell_below_k(tmp_path_factory, department):
    path = tmp_path_factory.mktemp("random") / "warehouse.duckdb"
    with warehouse_with_marts(path, department) as connection:
        truth, _ = read_marts(connection, MARTS, CATALOG)
    # protect() first checks that the SQL keeps every relation _privacy.yml declares.
    protection = protect(truth, CATALOG, THRESHOLDS)
    published = published_tables(truth, CATALOG, protection)
    for table, rows in published.items():
        spec = CATALOG.tables[table]
        if not spec.protected:
            assert not any(row["is_suppressed"] for row in rows)
            continue
        k = THRESHOLDS.k(spec.audience)
        figures = [
            *spec.counts,
            *(rate.name for rate in spec.rates),
            *(rate.band_column for rate in spec.rates),
        ]
        for row, true_row in zip(rows, truth[table], strict=True):
            if row["is_suppressed"]:
                assert all(row[figure] is None for figure in figures), (table, row)
            else:
                assert row[spec.population] == true_row[spec.population] >= k, (table, row)
            if true_row[spec.population] < k:
                assert row["is_suppressed"] and row["suppression_reason"] == PRIMARY
            elif row["is_suppressed"]:
                assert row["suppression_reason"] == COMPLEMENTARY
    assert band_violations(published, truth, CATALOG, THRESHOLDS) == []
    assert audit(published, truth, CATALOG, THRESHOLDS).passed


def test_a_school_of_four_publishes_nothing_about_them(tmp_path):
    department = Department()
    for n in range(4):
        department.enrol(f"p{n}", "eleve", "0920001B", "6A")
        department.event(f"p{n}", _hour(WEEKS[0], 0, 9), "eleve", "0920001B", "portail", "login")
    with warehouse_with_marts(tmp_path / "warehouse.duckdb", department) as connection:
        truth, _ = read_marts(connection, MARTS, CATALOG)
    published = published_tables(truth, CATALOG, protect(truth, CATALOG, THRESHOLDS))
    for table in (
        "adoption_weekly",
        "adoption_school_weekly",
        "adoption_department_weekly",
        "service_usage_weekly",
    ):
        assert published[table] and all(row["is_suppressed"] for row in published[table]), table
        assert all(row["enrolled"] is None for row in published[table])
