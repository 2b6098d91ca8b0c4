"""A small hand-made release, shaped like the pipeline's `published.duckdb`.

Two schools, five weeks (the last one still in progress on `data_through`), and masked rows
in every table, so that pages and figures meet gaps as they will in production.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from dashboards import data

SCHOOL_A = "0920001B"
SCHOOL_B = "0921234S"
WEEKS = [dt.date(2025, 5, 5) + dt.timedelta(weeks=offset) for offset in range(5)]
# A Wednesday: the week of 2 June is in progress, the week of 26 May is the last complete one.
DATA_THROUGH = dt.date(2025, 6, 4)
LAST_COMPLETE_WEEK = WEEKS[3]

SCHEMA = """
create table adoption_weekly (
    school_uai varchar, role varchar, week_start date, enrolled bigint, active_users bigint,
    adoption_rate double, is_suppressed boolean
);
create table service_usage_weekly (
    school_uai varchar, role varchar, service varchar, week_start date, enrolled bigint,
    users bigint, reach double, is_suppressed boolean
);
create table homework_class_weekly (
    school_uai varchar, class_id varchar, week_start date, homework_count bigint,
    expected bigint, on_time bigint, late bigint, missing bigint, pending bigint,
    submission_rate double, on_time_rate double, is_suppressed boolean
);
create table data_quality_weekly (
    school_uai varchar, week_start date, events bigint, events_unmatched bigint
);
create table release_info (
    data_through date, k_school integer, published_tables integer, cells_published bigint,
    cells_suppressed bigint
);
"""

ENROLLED = {"eleve": 400, "parent": 600, "enseignant": 40, "personnel": 12}
# School A's weekly adoption rates; None marks a masked week.
ADOPTION_RATES_A = {
    "eleve": [0.40, 0.55, 0.58, 0.62, 0.20],
    "parent": [0.20, 0.22, 0.25, 0.30, 0.05],
    "enseignant": [0.80, 0.85, 0.90, 0.875, 0.50],
    "personnel": [0.50, None, 0.75, 0.5, 0.25],
}
ADOPTION_RATES_B = {
    "eleve": [0.30, 0.35, 0.40, 0.45, 0.10],
    "parent": [0.10, 0.12, None, 0.15, 0.02],
    "enseignant": [0.70, 0.75, 0.80, 0.80, 0.40],
}
# Class 3A of school A: (homework_count, expected, on_time, late, missing, pending) per week;
# None marks a masked week.
HOMEWORK_3A = [
    (1, 25, 18, 4, 3, 0),
    None,
    (2, 50, 40, 6, 4, 0),
    (1, 25, 18, 3, 4, 0),
    (1, 25, 5, 0, 0, 20),
]


def _adoption_rows() -> list[tuple]:
    rows = []
    for school, rates_by_role in ((SCHOOL_A, ADOPTION_RATES_A), (SCHOOL_B, ADOPTION_RATES_B)):
        for role, rates in rates_by_role.items():
            for week, rate in zip(WEEKS, rates, strict=True):
                if rate is None:
                    rows.append((school, role, week, None, None, None, True))
                else:
                    enrolled = ENROLLED[role]
                    active = round(rate * enrolled)
                    rows.append((school, role, week, enrolled, active, active / enrolled, False))
    return rows


def _service_rows() -> list[tuple]:
    rows = []
    services = ["portail", "cahier_de_textes", "devoirs", "messagerie", "ressources"]
    for school in (SCHOOL_A, SCHOOL_B):
        for role in ("eleve", "parent"):
            enrolled = ENROLLED[role]
            for week_index, week in enumerate(WEEKS):
                for service_index, service in enumerate(services):
                    masked = role == "parent" and service == "ressources"
                    if masked:
                        rows.append((school, role, service, week, None, None, None, True))
                        continue
                    share = 0.9 if service == "portail" else 0.1 * (service_index + week_index)
                    if role == "eleve" and service == "messagerie":
                        share = 0.5
                    users = round(share * enrolled)
                    rows.append((school, role, service, week, enrolled, users, users / enrolled, False))
    return rows


def _homework_rows() -> list[tuple]:
    rows = []
    for week, counts in zip(WEEKS, HOMEWORK_3A, strict=True):
        if counts is None:
            rows.append((SCHOOL_A, "3A", week, *([None] * 8), True))
            continue
        homework_count, expected, on_time, late, missing, pending = counts
        rows.append(
            (
                SCHOOL_A,
                "3A",
                week,
                homework_count,
                expected,
                on_time,
                late,
                missing,
                pending,
                (on_time + late) / expected,
                on_time / expected,
                False,
            )
        )
    for school, class_id in ((SCHOOL_A, "3B"), (SCHOOL_B, "6C")):
        for week in WEEKS[:4]:
            rows.append((school, class_id, week, 1, 20, 15, 3, 2, 0, 0.9, 0.75, False))
    return rows


def write_published_db(path: Path) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(SCHEMA)
        connection.executemany("insert into adoption_weekly values (?, ?, ?, ?, ?, ?, ?)", _adoption_rows())
        connection.executemany(
            "insert into service_usage_weekly values (?, ?, ?, ?, ?, ?, ?, ?)", _service_rows()
        )
        connection.executemany(
            "insert into homework_class_weekly values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _homework_rows(),
        )
        connection.executemany(
            "insert into data_quality_weekly values (?, ?, ?, ?)",
            [(school, week, 5000, 42) for school in (SCHOOL_A, SCHOOL_B) for week in WEEKS],
        )
        connection.execute("insert into release_info values (?, ?, ?, ?, ?)", (DATA_THROUGH, 5, 4, 380, 27))
    return path


@pytest.fixture(scope="session")
def published_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_published_db(tmp_path_factory.mktemp("release") / "published.duckdb")


@pytest.fixture
def published_db(published_db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.PUBLISHED_DB_ENV, str(published_db_file))
    return published_db_file


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
