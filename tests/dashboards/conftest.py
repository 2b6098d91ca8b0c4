"""A small hand-made release, shaped like the pipeline's `published.duckdb`, and its readers.

Two schools of school year 2024-2025: four weeks of March (T2) and five of May-June (T3, the
last one still in progress on `data_through`), with masked and banded rows in every table the
pages read, so that pages and figures meet gaps and bands as they will in production. School
B's counts differ from A's (B_MARKERS), so that a test can tell whether anything of B is shown.

One account of each kind (direction of A, referent of A and B, département) in an accounts
file that every dashboard test points `REPERES_ACCOUNTS_FILE` at, all with PASSWORD.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest
import streamlit as st

from dashboards import access, data

SCHOOL_A = "0920001B"
SCHOOL_B = "0921234S"
SCHOOL_YEAR = "2024-2025"
WEEKS = [dt.date(2025, 5, 5) + dt.timedelta(weeks=offset) for offset in range(5)]
# Four weeks of March (T2): the period picker offers the year, T3 and T2.
MARCH_WEEKS = [dt.date(2025, 3, 3) + dt.timedelta(weeks=offset) for offset in range(4)]
# Rank of each week among the school weeks of 2024-2025 (zone C: rentrée on 2 September 2024).
SCHOOL_WEEK_NUMBERS = dict(zip([*MARCH_WEEKS, *WEEKS], [21, 22, 23, 24, 28, 29, 30, 31, 32], strict=True))
# A Wednesday: the week of 2 June is in progress, the week of 26 May is the last complete one.
DATA_THROUGH = dt.date(2025, 6, 4)
LAST_COMPLETE_WEEK = WEEKS[3]

SCHEMA = """
create table adoption_weekly (
    school_uai varchar, role varchar, week_start date, school_year varchar, school_week_number integer,
    enrolled bigint, active_users bigint, adoption_rate double, adoption_rate_band varchar,
    is_suppressed boolean
);
create table adoption_first_month (
    school_uai varchar, role varchar, start_week date, weeks_observed integer, enrolled bigint,
    active_once bigint, regular bigint, active_share double, regular_share double,
    active_share_band varchar, regular_share_band varchar, is_suppressed boolean
);
create table adoption_trends (
    school_uai varchar, role varchar, week_start date, school_year varchar, school_week_number integer,
    adoption_rate double, previous_rate double, change double, last_year_rate double,
    change_since_last_year double
);
create table adoption_position (
    school_uai varchar, role varchar, week_start date, adoption_rate double, schools bigint,
    department_q1 double, department_median double, department_q3 double, quartile integer
);
create table homework_load_class_daily (
    school_uai varchar, class_id varchar, week_start date, due_on date, weekday integer, pupils bigint,
    homework_due bigint, disciplines bigint, is_suppressed boolean
);
create table cdt_class_weekly (
    school_uai varchar, class_id varchar, week_start date, is_school_week boolean, teachers bigint,
    teachers_posting bigint, entries bigint, disciplines_with_entries bigint, is_suppressed boolean
);
create table cdt_class_term (
    school_uai varchar, class_id varchar, school_year varchar, term varchar, teachers bigint,
    school_weeks bigint, weeks_with_entries bigint, regularity double, is_suppressed boolean
);
create table parent_reach_monthly (
    school_uai varchar, class_id varchar, month_start date, pupils bigint, pupils_with_parent bigint,
    pupils_with_parent_active bigint, reach double, reach_band varchar, is_suppressed boolean
);
create table training_needs (
    school_uai varchar, role varchar, service varchar, week_start date, teachers bigint,
    teachers_using bigint, share double, priority bigint, share_band varchar, is_suppressed boolean
);
create table training_needs_discipline (
    discipline varchar, role varchar, service varchar, week_start date, teachers bigint,
    teachers_using bigint, share double, priority bigint, share_band varchar, is_suppressed boolean
);
create table workshop_effects (
    school_uai varchar, role varchar, service varchar, week_start date, weeks_before_available integer,
    weeks_after_available integer, control_schools integer, attendees bigint, teachers bigint,
    teachers_using_before bigint, teachers_using_after bigint, share_before double, share_after double,
    control_share_before double, control_share_after double, effect double, share_before_band varchar,
    share_after_band varchar, is_suppressed boolean
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
# School A's and B's March rates; None marks a masked week, a string a banded one.
MARCH_RATES_A = {
    "eleve": [0.35, 0.38, 0.41, 0.44],
    "parent": [0.15, 0.16, 0.18, 0.19],
    "enseignant": [0.70, 0.75, 0.775, 0.80],
    "personnel": [0.50, "≥ 90\u00a0%", None, 0.75],
}
MARCH_RATES_B = {
    "eleve": [0.25, 0.27, 0.28, 0.30],
    "parent": [0.08, 0.09, 0.10, 0.11],
    "enseignant": [0.64, 0.66, 0.68, 0.70],
}
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


def adoption_rates(school: str) -> dict[tuple[str, dt.date], float | str | None]:
    """(role, week) → the school's published rate: a number, a band, or None when masked."""
    march, may = (
        (MARCH_RATES_A, ADOPTION_RATES_A) if school == SCHOOL_A else (MARCH_RATES_B, ADOPTION_RATES_B)
    )
    rates = {}
    for weeks, rates_by_role in ((MARCH_WEEKS, march), (WEEKS, may)):
        for role, values in rates_by_role.items():
            rates.update({(role, week): value for week, value in zip(weeks, values, strict=True)})
    return rates


def _adoption_rows() -> list[tuple]:
    rows = []
    for school, enrolled_by_role in ((SCHOOL_A, ENROLLED), (SCHOOL_B, ENROLLED_B)):
        for (role, week), rate in adoption_rates(school).items():
            calendar = (SCHOOL_YEAR, SCHOOL_WEEK_NUMBERS[week])
            enrolled = enrolled_by_role[role]
            if rate is None:
                rows.append((school, role, week, *calendar, None, None, None, None, True))
            elif isinstance(rate, str):
                rows.append((school, role, week, *calendar, enrolled, None, None, rate, False))
            else:
                active = round(rate * enrolled)
                rows.append((school, role, week, *calendar, enrolled, active, active / enrolled, None, False))
    return rows


def _exact(rate: float | str | None) -> float | None:
    return rate if isinstance(rate, float) else None


def _trend_rows() -> list[tuple]:
    """adoption_trends as the release derives it: the previous school week's rate and the change."""
    rows = []
    for school, enrolled_by_role in ((SCHOOL_A, ENROLLED), (SCHOOL_B, ENROLLED_B)):
        rates = adoption_rates(school)
        weeks = sorted({week for _, week in rates})
        for (role, week), rate in rates.items():
            position = weeks.index(week)
            previous = _exact(rates.get((role, weeks[position - 1]))) if position else None
            current = _exact(rate)
            if current is not None:
                current = round(current * enrolled_by_role[role]) / enrolled_by_role[role]
            if previous is not None:
                previous = round(previous * enrolled_by_role[role]) / enrolled_by_role[role]
            change = current - previous if current is not None and previous is not None else None
            last_year = current - 0.05 if current is not None and school == SCHOOL_A else None
            since_last_year = current - last_year if last_year is not None else None
            rows.append(
                (
                    school,
                    role,
                    week,
                    SCHOOL_YEAR,
                    SCHOOL_WEEK_NUMBERS[week],
                    current,
                    previous,
                    change,
                    last_year,
                    since_last_year,
                )
            )
    return rows


# The département's quartiles of the schools' rates (42 schools compared), per role.
DEPARTMENT_QUARTILES = {
    "eleve": (0.38, 0.50, 0.60),
    "parent": (0.12, 0.18, 0.26),
    "enseignant": (0.70, 0.78, 0.86),
    "personnel": (0.45, 0.55, 0.65),
}
SCHOOLS_COMPARED = 42


def _position_rows() -> list[tuple]:
    rows = []
    for school in (SCHOOL_A, SCHOOL_B):
        for (role, week), rate in adoption_rates(school).items():
            q1, median, q3 = DEPARTMENT_QUARTILES[role]
            rate = _exact(rate)
            quartile = None if rate is None else 1 + sum(rate > bound for bound in (q1, median, q3))
            rows.append((school, role, week, rate, SCHOOLS_COMPARED, q1, median, q3, quartile))
    return rows


START_WEEK = dt.date(2024, 9, 2)
# adoption_first_month: role → (enrolled, active_once, regular, active band); None for a masked row.
FIRST_MONTH = {
    SCHOOL_A: {
        "eleve": (400, 340, 240, None),
        "parent": (600, 330, 120, None),
        "enseignant": (38, None, 30, "≥ 95\u00a0%"),
        "personnel": None,
    },
    SCHOOL_B: {
        "eleve": (517, 300, 150, None),
        "parent": (733, 290, 80, None),
        "enseignant": (47, 40, 30, None),
    },
}


def _first_month_rows() -> list[tuple]:
    rows = []
    for school, by_role in FIRST_MONTH.items():
        for role, counts in by_role.items():
            if counts is None:
                rows.append((school, role, START_WEEK, 4, *[None] * 7, True))
                continue
            enrolled, active, regular, band = counts
            active_share = None if active is None else active / enrolled
            rows.append(
                (
                    school,
                    role,
                    START_WEEK,
                    4,
                    enrolled,
                    active,
                    regular,
                    active_share,
                    regular / enrolled,
                    band,
                    None,
                    False,
                )
            )
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


# Homework due per day, class 3A (school A): (week, weekday, homework_due) with 25 pupils; the
# masked week's one day is a Friday, so the Friday of the term is masked whole.
LOAD_3A = [
    (WEEKS[0], 2, 1),
    (WEEKS[1], 5, None),
    (WEEKS[2], 2, 1),
    (WEEKS[2], 4, 1),
    (WEEKS[3], 1, 1),
    (WEEKS[4], 2, 1),
]


def _load_rows() -> list[tuple]:
    rows = []
    for week, weekday, due in LOAD_3A:
        day = week + dt.timedelta(days=weekday - 1)
        if due is None:
            rows.append((SCHOOL_A, "3A", week, day, weekday, None, None, None, True))
        else:
            rows.append((SCHOOL_A, "3A", week, day, weekday, 25, due, 1, False))
    for school, class_id, weekday, pupils in ((SCHOOL_A, "3B", 3, 20), (SCHOOL_B, "6C", 1, 22)):
        for week in WEEKS[:4]:
            rows.append(
                (school, class_id, week, week + dt.timedelta(days=weekday - 1), weekday, pupils, 1, 1, False)
            )
    return rows


# The cahier de textes of 3A: T2's four March weeks, then T3 from 31 March to 2 June with the
# spring holidays (14 and 21 April); no entry in the week of 19 May. 3B has four teachers on
# the roster: below k = 5, its rows are masked.
HOLIDAY_WEEKS = [dt.date(2025, 4, 14), dt.date(2025, 4, 21)]
T3_WEEKS = [dt.date(2025, 3, 31), dt.date(2025, 4, 7), *HOLIDAY_WEEKS, dt.date(2025, 4, 28), *WEEKS]
CDT_ENTRIES_3A = dict(
    zip([*MARCH_WEEKS, *T3_WEEKS], [12, 10, 14, 11, 9, 13, 0, 0, 8, 12, 10, 0, 11, 6], strict=True)
)
# cdt_class_term: (class, term) → (teachers, school weeks, weeks with entries), None when masked.
CDT_TERMS = {
    (SCHOOL_A, "3A", "T2"): (11, 4, 4),
    (SCHOOL_A, "3A", "T3"): (11, 8, 7),
    (SCHOOL_A, "3B", "T2"): None,
    (SCHOOL_A, "3B", "T3"): None,
    (SCHOOL_B, "6C", "T3"): (9, 8, 8),
}


def _cdt_weekly_rows() -> list[tuple]:
    rows = []
    for week, entries in CDT_ENTRIES_3A.items():
        school_week = week not in HOLIDAY_WEEKS
        posting = min(entries, 7)
        rows.append((SCHOOL_A, "3A", week, school_week, 11, posting, entries, min(entries, 6), False))
    for week in [*MARCH_WEEKS, *T3_WEEKS]:
        rows.append((SCHOOL_A, "3B", week, week not in HOLIDAY_WEEKS, None, None, None, None, True))
    for week in T3_WEEKS:
        entries = 0 if week in HOLIDAY_WEEKS else 9
        rows.append(
            (
                SCHOOL_B,
                "6C",
                week,
                week not in HOLIDAY_WEEKS,
                9,
                min(entries, 5),
                entries,
                min(entries, 5),
                False,
            )
        )
    return rows


def _cdt_term_rows() -> list[tuple]:
    rows = []
    for (school, class_id, term), counts in CDT_TERMS.items():
        if counts is None:
            rows.append((school, class_id, SCHOOL_YEAR, term, None, None, None, None, True))
        else:
            teachers, weeks, with_entries = counts
            rows.append(
                (
                    school,
                    class_id,
                    SCHOOL_YEAR,
                    term,
                    teachers,
                    weeks,
                    with_entries,
                    with_entries / weeks,
                    False,
                )
            )
    return rows


MONTHS = [dt.date(2025, month, 1) for month in (3, 4, 5, 6)]
# parent_reach_monthly of 3A: pupils with an active parent each month, of 25 (all linked).
PARENTS_ACTIVE_3A = [10, 12, 14, 15]


def _parent_rows() -> list[tuple]:
    rows = [
        (SCHOOL_A, "3A", month, 25, 25, active, active / 25, None, False)
        for month, active in zip(MONTHS, PARENTS_ACTIVE_3A, strict=True)
    ]
    # 3B: 19 of 20 pupils reached is an extreme of a small class: published as a band.
    rows += [(SCHOOL_A, "3B", month, 20, None, None, None, "≥ 95\u00a0%", False) for month in MONTHS[2:]]
    # 6C: the roster links no pupil to a parent: the reach is unknown, not nil.
    rows += [(SCHOOL_B, "6C", month, 22, 0, 0, 0.0, None, False) for month in MONTHS[2:]]
    return rows


REFERENCE_WEEK = WEEKS[4]
# The département's share of teachers using each service (training_needs' yardstick).
DEPARTMENT_SHARES = {
    "portail": 0.98,
    "cahier_de_textes": 0.9,
    "devoirs": 0.7,
    "messagerie": 0.85,
    "espace_cours": 0.4,
    "calendrier": 0.3,
    "actualites": 0.2,
    "ressources": 0.35,
    "autre": 0.1,
}
# Teachers of each school who used each service in the last four school weeks.
TEACHERS_USING = {
    SCHOOL_A: {
        "portail": 40,
        "cahier_de_textes": 30,
        "devoirs": 20,
        "messagerie": 36,
        "espace_cours": 10,
        "calendrier": 15,
        "actualites": 6,
        "ressources": 14,
        "autre": 3,
    },
    SCHOOL_B: {
        "portail": 46,
        "cahier_de_textes": 45,
        "devoirs": 25,
        "messagerie": 35,
        "espace_cours": 30,
        "calendrier": 10,
        "actualites": 9,
        "ressources": 12,
        "autre": 5,
    },
}


def priority(teachers: int, using: int, share: float) -> int:
    return max(0, math.ceil(share * teachers - using - 1e-9))


def _training_rows() -> list[tuple]:
    rows = []
    for school, using_by_service in TEACHERS_USING.items():
        teachers = ENROLLED["enseignant"] if school == SCHOOL_A else ENROLLED_B["enseignant"]
        for service, using in using_by_service.items():
            need = priority(teachers, using, DEPARTMENT_SHARES[service])
            rows.append(
                (
                    school,
                    "enseignant",
                    service,
                    REFERENCE_WEEK,
                    teachers,
                    using,
                    using / teachers,
                    need,
                    None,
                    False,
                )
            )
    return rows


# training_needs_discipline (département, k = 10): (discipline, service) → (teachers, using);
# German has eight teachers: below k = 10, masked.
DISCIPLINE_NEEDS = {
    ("MATHEMATIQUES", "devoirs"): (120, 70),
    ("MATHEMATIQUES", "cahier_de_textes"): (120, 110),
    ("FRANCAIS", "devoirs"): (130, 95),
    ("FRANCAIS", "messagerie"): (130, 101),
    ("HISTOIRE-GEOGRAPHIE", "espace_cours"): (95, 21),
    ("EPS", "cahier_de_textes"): (70, 52),
    ("ALLEMAND", "devoirs"): None,
}


def _discipline_rows() -> list[tuple]:
    rows = []
    for (discipline, service), counts in DISCIPLINE_NEEDS.items():
        if counts is None:
            rows.append((discipline, "enseignant", service, REFERENCE_WEEK, *[None] * 5, True))
            continue
        teachers, using = counts
        need = priority(teachers, using, DEPARTMENT_SHARES[service])
        rows.append(
            (
                discipline,
                "enseignant",
                service,
                REFERENCE_WEEK,
                teachers,
                using,
                using / teachers,
                need,
                None,
                False,
            )
        )
    return rows


# workshop_effects: A's cahier de textes workshop of 10 March (measured), A's devoirs workshop
# of 19 May (two weeks after it only: no effect yet), B's messagerie workshop of 17 March.
WORKSHOPS = [
    (SCHOOL_A, "cahier_de_textes", MARCH_WEEKS[1], 4, 4, 12, 40, 20, 30, 0.55, 0.60),
    (SCHOOL_A, "devoirs", WEEKS[2], 4, 2, 9, 40, 20, None, 0.62, None),
    (SCHOOL_B, "messagerie", MARCH_WEEKS[2], 4, 4, 15, 47, 30, 33, 0.70, 0.72),
]


def _workshop_rows() -> list[tuple]:
    rows = []
    for (
        school,
        service,
        week,
        before,
        after,
        attendees,
        teachers,
        using_before,
        using_after,
        control_before,
        control_after,
    ) in WORKSHOPS:
        share_before = using_before / teachers
        share_after = None if using_after is None else using_after / teachers
        effect = (
            None
            if share_after is None or after < 4
            else (share_after - share_before) - (control_after - control_before)
        )
        rows.append(
            (
                school,
                "enseignant",
                service,
                week,
                before,
                after,
                40,
                attendees,
                teachers,
                using_before,
                using_after,
                share_before,
                share_after,
                control_before,
                control_after,
                effect,
                None,
                None,
                False,
            )
        )
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
        for table, rows in (
            ("adoption_weekly", _adoption_rows()),
            ("adoption_trends", _trend_rows()),
            ("adoption_position", _position_rows()),
            ("adoption_first_month", _first_month_rows()),
            ("homework_load_class_daily", _load_rows()),
            ("cdt_class_weekly", _cdt_weekly_rows()),
            ("cdt_class_term", _cdt_term_rows()),
            ("parent_reach_monthly", _parent_rows()),
            ("training_needs", _training_rows()),
            ("training_needs_discipline", _discipline_rows()),
            ("workshop_effects", _workshop_rows()),
        ):
            marks = ", ".join("?" for _ in rows[0])
            connection.executemany(f"insert into {table} values ({marks})", rows)
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
