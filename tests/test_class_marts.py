"""The class marts and the first month, on rows given by hand, against figures computed by hand.

One collège, 0920001B, zone C, autumn 2025. Calendar: the Toussaint holidays run from
Saturday 18 October to Sunday 2 November, so the weeks of 20 and 27 October have no school
day; summer time ends in the night of Saturday 25 to Sunday 26 October.

Roster:
- 6A: pupils a1, a2 all year; a3 until 14 October, then in 6B (a pupil changing class);
- 6B: pupil b1 all year (and a3 from 15 October);
- teachers t1 (6A and 6B, MATHEMATIQUES), t2 (6A, FRANCAIS), t3 (6A, HISTOIRE, left on 10 October);
- parents par1 of a1 (6A) and of b1 (6B): one parent, two children in two classes;
  par2 of a2; par3 a row for 6A from an older roster without child_id (not linked).
"""

from __future__ import annotations

from datetime import date
from itertools import count

import pytest

from pipelines.privacy.catalog import load_catalog
from tests.model_harness import build, empty_warehouse, given, rows

UAI = "0920001B"
OCT6, OCT13, OCT20, OCT27, NOV3, NOV10 = (
    date(2025, 10, 6),
    date(2025, 10, 13),
    date(2025, 10, 20),
    date(2025, 10, 27),
    date(2025, 11, 3),
    date(2025, 11, 10),
)


def roster_row(user: str, role: str, class_id: str | None = None, discipline: str | None = None, **extra):
    return {
        "user_key": user,
        "role": role,
        "school_uai": UAI,
        "class_id": class_id,
        "discipline": discipline,
    } | extra


ROSTER = [
    roster_row("a1", "eleve", "6A"),
    roster_row("a2", "eleve", "6A"),
    roster_row("a3", "eleve", "6A", end_date=date(2025, 10, 14)),
    roster_row("a3", "eleve", "6B", start_date=date(2025, 10, 15)),
    roster_row("b1", "eleve", "6B"),
    roster_row("t1", "enseignant", "6A", "MATHEMATIQUES"),
    roster_row("t1", "enseignant", "6B", "MATHEMATIQUES"),
    roster_row("t2", "enseignant", "6A", "FRANCAIS"),
    roster_row("t3", "enseignant", "6A", "HISTOIRE", end_date=date(2025, 10, 10)),
    roster_row("par1", "parent", "6A", child_key="a1"),
    roster_row("par1", "parent", "6B", child_key="b1"),
    roster_row("par2", "parent", "6A", child_key="a2"),
    roster_row("par3", "parent", "6A"),
]

_numbers = count(1)


def event(user, role, when, service, action, class_id=None, discipline=None, object_id=None, due_at=None):
    """One distinct event; `when` is already truncated to the hour, as staging leaves it."""
    number = next(_numbers)
    return {
        "event_key": f"e{number}",
        "user_key": user,
        "occurred_hour": when,
        "role": role,
        "school_uai": UAI,
        "service": service,
        "action": action,
        "class_id": class_id,
        "discipline": discipline,
        "object_id": object_id,
        "due_at": due_at,
        "delivered_on": date(2025, 11, 11),
        "file_name": "events/2025-11-11.csv",
        "file_row": number,
    }


def cdt(user, when, class_id, discipline):
    return event(user, "enseignant", when, "cahier_de_textes", "create", class_id, discipline)


def homework(user, when, class_id, discipline, homework_id, due_at):
    return event(user, "enseignant", when, "devoirs", "create", class_id, discipline, homework_id, due_at)


def submit(user, when, class_id, homework_id):
    return event(user, "eleve", when, "devoirs", "submit", class_id, None, homework_id)


EVENTS = [
    # Week of 6 October.
    cdt("t1", "2025-10-06 10:00+02", "6A", "MATHEMATIQUES"),
    cdt("t1", "2025-10-07 11:00+02", "6A", "MATHEMATIQUES"),
    cdt("t2", "2025-10-08 09:00+02", "6A", "FRANCAIS"),
    event("par1", "parent", "2025-10-08 20:00+02", "messagerie", "read"),
    homework("t1", "2025-10-09 10:00+02", "6A", "MATHEMATIQUES", "hw1", "2025-10-13 08:00+02"),
    homework("t2", "2025-10-09 11:00+02", "6A", "FRANCAIS", "hw2", "2025-10-13 17:00+02"),
    homework("t2", "2025-10-09 12:00+02", "6A", "FRANCAIS", "hw4", None),  # no deadline
    submit("a1", "2025-10-12 20:00+02", "6A", "hw1"),  # on time
    # Week of 13 October.
    cdt("t1", "2025-10-13 09:00+02", "6B", "MATHEMATIQUES"),
    homework("t1", "2025-10-13 10:00+02", "6A", "MATHEMATIQUES", "hw3", "2025-10-16 18:00+02"),
    homework("t1", "2025-10-13 11:00+02", "6B", "MATHEMATIQUES", "hw6", "2025-10-17 18:00+02"),
    submit("a2", "2025-10-13 09:00+02", "6A", "hw1"),  # an hour late
    # hw5 is posted on the 14th with a deadline on the 13th: nobody could be on time.
    homework("t2", "2025-10-14 10:00+02", "6A", "FRANCAIS", "hw5", "2025-10-13 18:00+02"),
    submit("a1", "2025-10-14 12:00+02", "6A", "hw5"),  # late
    submit("a1", "2025-10-16 10:00+02", "6A", "hw3"),  # on time
    submit("a3", "2025-10-17 08:00+02", "6B", "hw6"),  # on time, in a3's new class
    # Holiday weeks. 22:00 UTC on Sunday 26 October is 23:00 in Paris (winter time already):
    # still Sunday, still the week of 20 October.
    cdt("t2", "2025-10-21 10:00+02", "6A", "FRANCAIS"),
    cdt("t1", "2025-10-26 22:00+00", "6A", "MATHEMATIQUES"),
    # Back to school.
    cdt("t1", "2025-11-04 10:00+01", "6A", "MATHEMATIQUES"),
    event("a1", "eleve", "2025-11-10 08:00+01", "portail", "login"),
]


@pytest.fixture(scope="module")
def warehouse():
    connection = empty_warehouse()
    given(connection, "staging.stg_roster", ROSTER)
    given(connection, "staging.stg_events", EVENTS)
    build(
        connection,
        "cdt_class_weekly",
        "cdt_class_term",
        "homework_load_class_daily",
        "homework_class_weekly",
        "parent_reach_monthly",
        "adoption_first_month",
    )
    yield connection
    connection.close()


def test_weeks_know_the_holidays(warehouse):
    weeks = rows(warehouse, "select * from intermediate.int_weeks order by week_start")
    assert [(w["week_start"], w["is_school_week"], w["school_week_number"], w["term"]) for w in weeks] == [
        (OCT6, True, 6, "T1"),  # the rentrée was on Monday 1 September: 6th school week
        (OCT13, True, 7, "T1"),
        (OCT20, False, None, "T1"),
        (OCT27, False, None, "T1"),
        (NOV3, True, 8, "T1"),  # holidays do not count as weeks of school
        (NOV10, True, 9, "T1"),
    ]
    assert {w["school_year"] for w in weeks} == {"2025-2026"}


def test_cdt_class_weekly(warehouse):
    found = rows(
        warehouse,
        "select class_id, week_start, is_school_week, teachers, teachers_posting, entries, "
        "disciplines_with_entries from marts.cdt_class_weekly order by class_id, week_start",
    )
    as_tuples = [tuple(row.values()) for row in found]
    assert as_tuples == [
        # 6A: t1, t2, t3 teach it until t3 leaves on 10 October.
        ("6A", OCT6, True, 3, 2, 3, 2),  # t1 twice (maths), t2 once (français)
        ("6A", OCT13, True, 2, 0, 0, 0),  # homework is not a cahier de textes entry
        ("6A", OCT20, False, 2, 2, 2, 2),  # t2 on the 21st, t1 on Sunday night (DST)
        ("6A", OCT27, False, 2, 0, 0, 0),
        ("6A", NOV3, True, 2, 1, 1, 1),
        ("6A", NOV10, True, 2, 0, 0, 0),
        # 6B exists from the week a3 and b1 are in it: b1 is there from the start.
        ("6B", OCT6, True, 1, 0, 0, 0),
        ("6B", OCT13, True, 1, 1, 1, 1),
        ("6B", OCT20, False, 1, 0, 0, 0),
        ("6B", OCT27, False, 1, 0, 0, 0),
        ("6B", NOV3, True, 1, 0, 0, 0),
        ("6B", NOV10, True, 1, 0, 0, 0),
    ]


def test_cdt_regularity_counts_school_weeks_only(warehouse):
    found = rows(
        warehouse,
        "select class_id, school_year, term, teachers, school_weeks, weeks_with_entries, regularity "
        "from marts.cdt_class_term order by class_id",
    )
    assert found == [
        # 6A: school weeks 6 Oct, 13 Oct, 3 Nov, 10 Nov; entries in 6 Oct and 3 Nov. The entries
        # posted during the holidays do not make a holiday week count.
        {
            "class_id": "6A",
            "school_year": "2025-2026",
            "term": "T1",
            "teachers": 3,
            "school_weeks": 4,
            "weeks_with_entries": 2,
            "regularity": 0.5,
        },
        {
            "class_id": "6B",
            "school_year": "2025-2026",
            "term": "T1",
            "teachers": 1,
            "school_weeks": 4,
            "weeks_with_entries": 1,
            "regularity": 0.25,
        },
    ]


def test_homework_load_per_day(warehouse):
    found = rows(
        warehouse,
        "select class_id, due_on, weekday, pupils, homework_due, disciplines "
        "from marts.homework_load_class_daily order by class_id, due_on",
    )
    assert [tuple(row.values()) for row in found] == [
        # Monday 13: hw1 (maths), hw2 and hw5 (français); hw4 has no deadline and no day.
        # Expected pupils: a1, a2, a3 on the 13th; a1, a2 on the 16th (a3 has left for 6B).
        ("6A", date(2025, 10, 13), 1, 3, 3, 2),
        ("6A", date(2025, 10, 16), 4, 2, 1, 1),  # hw3
        ("6B", date(2025, 10, 17), 5, 2, 1, 1),  # hw6: a3 and b1
    ]


def test_homework_statuses_for_late_posts_and_class_changes(warehouse):
    found = rows(
        warehouse,
        "select class_id, week_start, homework_count, pupils, expected, on_time, late, missing, pending "
        "from marts.homework_class_weekly order by class_id, week_start",
    )
    assert [tuple(row.values()) for row in found] == [
        # 6A, week of 13 October: hw1, hw2, hw5 due on the 13th (a1, a2, a3 expected: a3 is in
        # 6A until the 14th), hw3 due on the 16th (a1, a2: a3 has left for 6B).
        # hw1: a1 on time, a2 late, a3 missing; hw2: three missing; hw3: a1 on time, a2
        # missing; hw5 (posted after its deadline): a1 late, a2 and a3 missing.
        ("6A", OCT13, 4, 3, 11, 2, 2, 7, 0),
        # 6B: hw6 due on the 17th: a3 (in 6B since the 15th) on time, b1 missing.
        ("6B", OCT13, 1, 2, 2, 1, 0, 1, 0),
    ]


def test_daily_loads_add_up_to_the_weekly_homework_count(warehouse):
    mismatches = rows(
        warehouse,
        """
        select weekly.class_id, weekly.week_start, weekly.homework_count, sum(daily.homework_due) as due
        from marts.homework_class_weekly as weekly
        left join marts.homework_load_class_daily as daily using (school_uai, class_id, week_start)
        group by all
        having weekly.homework_count is distinct from sum(daily.homework_due)
        """,
    )
    assert mismatches == []


def test_parent_reach_monthly(warehouse):
    found = rows(
        warehouse,
        "select class_id, month_start, pupils, pupils_with_parent, pupils_with_parent_active, reach "
        "from marts.parent_reach_monthly order by class_id, month_start",
    )
    oct1, nov1 = date(2025, 10, 1), date(2025, 11, 1)
    assert [tuple(row.values()) for row in found] == [
        # October, 6A: a1, a2, a3; a1 and a2 have a linked parent (par3's row links nobody);
        # par1 read a message on the 8th: a1 reached.
        ("6A", oct1, 3, 2, 1, 1 / 3),
        ("6A", nov1, 2, 2, 0, 0.0),  # November: no parent active
        # October, 6B: b1 and a3 (from the 15th); b1 is par1's other child: reached too.
        ("6B", oct1, 2, 1, 1, 0.5),
        ("6B", nov1, 2, 1, 0, 0.0),
    ]


def test_adoption_first_month(warehouse):
    found = rows(
        warehouse,
        "select role, start_week, weeks_observed, enrolled, active_once, regular, active_share, regular_share "
        "from marts.adoption_first_month order by role",
    )
    # The first school week with events is 6 October; the first month is 6 Oct, 13 Oct, then
    # (holidays skipped) 3 Nov and 10 Nov.
    assert [tuple(row.values()) for row in found] == [
        # a1 active in 3 of the 4 weeks (6 Oct, 13 Oct, 10 Nov): regular; a2 and a3 once; b1 never.
        ("eleve", OCT6, 4, 4, 3, 1, 0.75, 0.25),
        # t1 in 6 Oct, 13 Oct, 3 Nov (its Sunday post fell in the holidays); t2 in 6 and 13 Oct;
        # t3, enrolled in the week of 6 October, never.
        ("enseignant", OCT6, 4, 3, 2, 1, 2 / 3, 1 / 3),
        # par1 once; par2 and par3 never.
        ("parent", OCT6, 4, 3, 1, 0, 1 / 3, 0.0),
    ]


def test_weeks_follow_paris_time_across_the_spring_switch():
    """Summer time starts on Sunday 29 March 2026: 21:00 UTC is 23:00 in Paris (still the week
    of 23 March), 22:00 UTC is midnight on Monday 30 March (the next week)."""
    connection = empty_warehouse()
    try:
        given(
            connection,
            "staging.stg_events",
            [
                event("a1", "eleve", "2026-03-29 21:00+00", "portail", "login"),
                event("a2", "eleve", "2026-03-29 22:00+00", "portail", "login"),
            ],
        )
        build(connection, "int_events")
        found = rows(
            connection, "select user_key, occurred_on, week_start from intermediate.int_events order by 1"
        )
    finally:
        connection.close()
    assert [tuple(row.values()) for row in found] == [
        ("a1", date(2026, 3, 29), date(2026, 3, 23)),
        ("a2", date(2026, 3, 30), date(2026, 3, 30)),
    ]


def test_every_published_count_is_an_integer_column():
    """The release computes with the counts in Python: a HUGEINT (DuckDB's type for some
    aggregates) arrives as a Decimal and breaks the arithmetic of the suppression."""
    connection = empty_warehouse(calendar_from=None)
    catalog = load_catalog()
    try:
        build(connection, *catalog.tables)
        wrong = [
            (mart, name, column_type)
            for mart, spec in catalog.tables.items()
            for name, column_type, *_ in connection.execute(f"describe marts.{mart}").fetchall()
            if name in spec.counts and column_type not in ("BIGINT", "INTEGER")
        ]
    finally:
        connection.close()
    assert wrong == []
