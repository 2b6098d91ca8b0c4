"""A small hand-made release, shaped like the pipeline's `published.duckdb`, and its readers.

Two schools, five weeks (the last one still in progress on `data_through`), and masked rows
in every table, so that pages and figures meet gaps as they will in production. School B's
counts differ from A's (B_MARKERS), so that a test can tell whether anything of B is shown.

One account of each kind (direction of A, referent of A and B, département) in an accounts
file that every dashboard test points `REPERES_ACCOUNTS_FILE` at, all with PASSWORD.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from dashboards import access, data

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
create table adoption_department_weekly (
    role varchar, week_start date, enrolled bigint, active_users bigint, adoption_rate double,
    is_suppressed boolean
);
create table data_quality_sources (
    contract varchar, last_delivered_on date, last_event_on date, files bigint,
    files_unreadable bigint, rows_read bigint, rows_loaded bigint, rows_quarantined bigint,
    rows_duplicate bigint, is_suppressed boolean
);
create table data_quality_files (
    contract varchar, delivered_on date, file_name varchar, error varchar, rows_read bigint,
    rows_loaded bigint, rows_quarantined bigint, rows_duplicate bigint, is_suppressed boolean
);
create table data_quality_rules (
    contract varchar, column_name varchar, rule varchar, first_file_name varchar,
    first_file_row bigint, first_file_line bigint, last_delivered_on date, rows_quarantined bigint,
    files bigint, is_suppressed boolean
);
create table release_info (
    data_through date, k_school integer, published_tables integer, cells_published bigint,
    cells_suppressed bigint
);
"""

ENROLLED = {"eleve": 400, "parent": 600, "enseignant": 40, "personnel": 12}
ENROLLED_B = {"eleve": 517, "parent": 733, "enseignant": 47}
ENROLLED_DEPARTMENT = {"eleve": 12000, "parent": 18000, "enseignant": 1100, "personnel": 300}
DEPARTMENT_RATES = {
    "eleve": [0.41, 0.47, 0.49, 0.51, 0.15],
    "parent": [0.18, 0.2, 0.21, 0.23, 0.04],
    "enseignant": [0.77, 0.8, 0.83, 0.84, 0.45],
    "personnel": [0.4, 0.42, None, 0.44, 0.2],
}
# School A's and B's data-quality rows: (events, events_unmatched), the same every week.
DATA_QUALITY = {SCHOOL_A: (5000, 42), SCHOOL_B: (6131, 97)}
# The data-quality tables of the whole département (no school, no person): three event files,
# one of them unreadable, a roster file without a date; 150 event rows and 2 roster rows in
# quarantine under three rules.
UNREADABLE_FILE_ERROR = "unreadable file: Invalid Input Error: No magic bytes found at end of file"
QUALITY_SOURCES = [
    ("events", DATA_THROUGH, DATA_THROUGH, 3, 1, 50000, 49800, 150, 50, False),
    ("roster", None, None, 1, 0, 1500, 1498, 2, 0, False),
    ("workshops", None, None, 0, 0, 0, 0, 0, 0, False),
]
JUNE_4 = dt.date(2025, 6, 4)
QUALITY_FILES = [
    ("events", dt.date(2025, 6, 2), "events/2025-06-02.parquet", UNREADABLE_FILE_ERROR, 0, 0, 0, 0, False),
    ("events", dt.date(2025, 6, 3), "events/2025-06-03.csv", None, 25000, 24850, 100, 50, False),
    ("events", JUNE_4, "events/2025-06-04.csv", None, 25000, 24950, 50, 0, False),
    ("roster", None, "roster/roster.csv", None, 1500, 1498, 2, 0, False),
]
ROLE_RULE = "not one of: eleve, parent, enseignant, personnel"
SPLIT_RULE = "unreadable line: too many columns"
QUALITY_RULES = [
    ("events", "", SPLIT_RULE, "events/2025-06-04.csv", None, 57, JUNE_4, 50, 1, False),
    ("events", "role", ROLE_RULE, "events/2025-06-03.csv", 12, None, JUNE_4, 100, 2, False),
    ("roster", "role", "required value is missing", "roster/roster.csv", 7, None, None, 2, 1, False),
]
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
    for school, rates_by_role, enrolled_by_role in (
        (SCHOOL_A, ADOPTION_RATES_A, ENROLLED),
        (SCHOOL_B, ADOPTION_RATES_B, ENROLLED_B),
    ):
        for role, rates in rates_by_role.items():
            for week, rate in zip(WEEKS, rates, strict=True):
                if rate is None:
                    rows.append((school, role, week, None, None, None, True))
                else:
                    enrolled = enrolled_by_role[role]
                    active = round(rate * enrolled)
                    rows.append((school, role, week, enrolled, active, active / enrolled, False))
    return rows


def _service_rows() -> list[tuple]:
    rows = []
    services = ["portail", "cahier_de_textes", "devoirs", "messagerie", "ressources"]
    for school, enrolled_by_role in ((SCHOOL_A, ENROLLED), (SCHOOL_B, ENROLLED_B)):
        for role in ("eleve", "parent"):
            enrolled = enrolled_by_role[role]
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


def _department_rows() -> list[tuple]:
    rows = []
    for role, rates in DEPARTMENT_RATES.items():
        enrolled = ENROLLED_DEPARTMENT[role]
        for week, rate in zip(WEEKS, rates, strict=True):
            if rate is None:
                rows.append((role, week, None, None, None, True))
            else:
                active = round(rate * enrolled)
                rows.append((role, week, enrolled, active, active / enrolled, False))
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
            [(school, week, *DATA_QUALITY[school]) for school in (SCHOOL_A, SCHOOL_B) for week in WEEKS],
        )
        connection.executemany(
            "insert into adoption_department_weekly values (?, ?, ?, ?, ?, ?)", _department_rows()
        )
        for table, rows in (
            ("data_quality_sources", QUALITY_SOURCES),
            ("data_quality_files", QUALITY_FILES),
            ("data_quality_rules", QUALITY_RULES),
        ):
            marks = ", ".join("?" for _ in rows[0])
            connection.executemany(f"insert into {table} values ({marks})", rows)
        connection.execute("insert into release_info values (?, ?, ?, ?, ?)", (DATA_THROUGH, 5, 4, 380, 27))
    return path


@pytest.fixture(scope="session")
def published_db_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_published_db(tmp_path_factory.mktemp("release") / "published.duckdb")


@pytest.fixture
def published_db(published_db_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(data.PUBLISHED_DB_ENV, str(published_db_file))
    return published_db_file


PASSWORD = "correct-horse-battery-staple"
DIRECTION_A = "direction-a"
REFERENT_AB = "referent-ab"
DEPARTEMENT = "departement"
# What only school B's pages would show: its UAI, its only class, its data-quality counts
# ("97 événements sur 6 131") and its pupils' adoption in the last complete week (45 %).
B_MARKERS = (SCHOOL_B, "6C", "6\u202f131", "97 événements", "45\u00a0% des élèves")


def reader_accounts() -> list[access.Account]:
    return [
        access.new_account(DIRECTION_A, access.DIRECTION, [SCHOOL_A], name="Direction A", password=PASSWORD),
        access.new_account(
            REFERENT_AB, access.REFERENT, [SCHOOL_A, SCHOOL_B], name="Référent A et B", password=PASSWORD
        ),
        access.new_account(DEPARTEMENT, access.DEPARTEMENT, name="Département", password=PASSWORD),
    ]


@pytest.fixture(scope="session")
def accounts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("accounts") / "accounts.toml"
    access.write_accounts(path, reader_accounts())
    return path


@pytest.fixture(autouse=True)
def accounts_file_in_environment(accounts_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(access.ACCOUNTS_FILE_ENV, str(accounts_file))
    return accounts_file


@pytest.fixture(autouse=True)
def clear_streamlit_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def sign_in(app, login: str, password: str = PASSWORD):
    """Fill the login form of an AppTest that shows it, submit it, and return the app."""
    fields = {field.label: field for field in app.text_input}
    fields["Identifiant"].input(login)
    fields["Mot de passe"].input(password)
    next(button for button in app.button if button.label == "Se connecter").click()
    return app.run()
