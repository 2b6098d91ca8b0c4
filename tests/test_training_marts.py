"""Training needs and workshop effects, on rows given by hand, against figures computed by hand;
then the workshop log's contract at the door.

Zone C, autumn 2025. The Toussaint holidays run from Saturday 18 October to Sunday 2 November:
the weeks of 20 and 27 October have no school day, so a window of four school weeks that
crosses them spans six calendar weeks, and what happens in them counts in no window.
k = 5 inside a school, 10 across schools.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from pathlib import Path

import dagster as dg
import pytest

from data_contracts.contracts import is_valid_uai, load_contract
from pipelines.defs.ingestion.assets import landing_files, stg_workshops
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import ensure_staging_table, load_file
from pipelines.privacy.catalog import Thresholds, load_catalog
from pipelines.privacy.suppression import protect, published_tables
from pipelines.warehouse import connect_warehouse
from tests.model_harness import build, empty_warehouse, given, rows

SCHOOL_A, SCHOOL_B, SCHOOL_C = "0920001B", "0920002C", "0920003D"  # 920001 % 23 = 1 -> B, ...
SEP15, SEP22, SEP29, OCT6, OCT13, OCT20, OCT27 = (date(2025, 9, 15) + timedelta(weeks=n) for n in range(7))
NOV3, NOV10, NOV17, NOV24 = (date(2025, 11, 3) + timedelta(weeks=n) for n in range(4))

_numbers = count(1)


def teacher(user: str, school: str, class_id: str, discipline: str, **period) -> dict:
    return {
        "user_key": user,
        "role": "enseignant",
        "school_uai": school,
        "class_id": class_id,
        "discipline": discipline,
    } | period


def used(user: str, school: str, when: str, service: str, action: str = "view") -> dict:
    """One distinct event of a teacher; `when` is already truncated to the hour, as staging leaves it."""
    number = next(_numbers)
    return {
        "event_key": f"e{number}",
        "user_key": user,
        "occurred_hour": when,
        "role": "enseignant",
        "school_uai": school,
        "service": service,
        "action": action,
        "delivered_on": date(2025, 11, 30),
        "file_name": "events/2025-11-30.csv",
        "file_row": number,
    }


def test_the_uai_codes_are_valid():
    assert all(is_valid_uai(code) for code in (SCHOOL_A, SCHOOL_B, SCHOOL_C))


# --- training needs ------------------------------------------------------------------------------
#
# Events from the week of 29 September to the week of 10 November. School weeks: 29 Sept, 6 Oct,
# 13 Oct, 3 Nov, 10 Nov. The last one, 10 November, is week_start; the window is 10 Nov, 3 Nov,
# 13 Oct and 6 Oct: it reaches back over the two holiday weeks, and 29 September is out of it.
#
# School A: a1 (MATHEMATIQUES and PHYSIQUE-CHIMIE: two classes, two disciplines), a2 (FRANCAIS),
#   a3 (FRANCAIS, left on 31 October: not a teacher of A in the week of 10 November), a4 (ANGLAIS).
# School B: b1 (MATHEMATIQUES), b2 (ANGLAIS, never uses anything).

TRAINING_ROSTER = [
    teacher("a1", SCHOOL_A, "6A", "MATHEMATIQUES"),
    teacher("a1", SCHOOL_A, "3B", "PHYSIQUE-CHIMIE"),
    teacher("a2", SCHOOL_A, "6A", "FRANCAIS"),
    teacher("a3", SCHOOL_A, "5A", "FRANCAIS", end_date=date(2025, 10, 31)),
    teacher("a4", SCHOOL_A, "6A", "ANGLAIS"),
    teacher("b1", SCHOOL_B, "6A", "MATHEMATIQUES"),
    teacher("b2", SCHOOL_B, "6B", "ANGLAIS"),
]

TRAINING_EVENTS = [
    used("a2", SCHOOL_A, "2025-09-30 10:00+02", "devoirs"),  # 29 Sept: before the window
    used("a1", SCHOOL_A, "2025-10-07 10:00+02", "cahier_de_textes", "create"),  # 6 Oct: in it
    used("a3", SCHOOL_A, "2025-10-14 10:00+02", "cahier_de_textes", "create"),  # a3 has left since
    used("a2", SCHOOL_A, "2025-10-28 10:00+01", "cahier_de_textes"),  # holidays: counts nowhere
    used("b1", SCHOOL_B, "2025-11-04 10:00+01", "cahier_de_textes", "create"),
    used("a4", SCHOOL_A, "2025-11-05 10:00+01", "devoirs", "create"),
    used("a4", SCHOOL_A, "2025-11-12 10:00+01", "cahier_de_textes", "create"),
]


@pytest.fixture(scope="module")
def training_warehouse():
    connection = empty_warehouse()
    given(connection, "staging.stg_roster", TRAINING_ROSTER)
    given(connection, "staging.stg_events", TRAINING_EVENTS)
    build(connection, "training_needs", "training_needs_discipline")
    yield connection
    connection.close()


def test_training_needs_per_school(training_warehouse):
    found = rows(
        training_warehouse,
        "select school_uai, role, service, week_start, teachers, teachers_using, share, priority "
        "from marts.training_needs where service in ('cahier_de_textes', 'devoirs', 'messagerie') "
        "order by school_uai, service",
    )
    # The département (distinct teachers of the week of 10 November): a1, a2, a4, b1, b2 = 5.
    # cahier de textes: a1 (6 Oct, in the window thanks to the holidays), a4, b1 = 3 of 5 = 60 %;
    # a2's holiday visit and a3's entry (a3 has left) do not count. devoirs: a4 = 1 of 5 = 20 %
    # (a2's use on 30 September is before the window).
    # priority = max(0, ceil(département share × teachers) − teachers_using):
    #   A, cahier de textes: ceil(0.6 × 3) = ceil(1.8) = 2, minus 2 = 0;
    #   A, devoirs: ceil(0.2 × 3) = 1, minus 1 = 0; A, messagerie: ceil(0 × 3) - 0 = 0;
    #   B, cahier de textes: ceil(0.6 × 2) = ceil(1.2) = 2, minus 1 = 1 more teacher;
    #   B, devoirs: ceil(0.2 × 2) = ceil(0.4) = 1, minus 0 = 1.
    assert [tuple(row.values()) for row in found] == [
        (SCHOOL_A, "enseignant", "cahier_de_textes", NOV10, 3, 2, 2 / 3, 0),
        (SCHOOL_A, "enseignant", "devoirs", NOV10, 3, 1, 1 / 3, 0),
        (SCHOOL_A, "enseignant", "messagerie", NOV10, 3, 0, 0.0, 0),  # nobody: a row all the same
        (SCHOOL_B, "enseignant", "cahier_de_textes", NOV10, 2, 1, 0.5, 1),
        (SCHOOL_B, "enseignant", "devoirs", NOV10, 2, 0, 0.0, 1),
        (SCHOOL_B, "enseignant", "messagerie", NOV10, 2, 0, 0.0, 0),
    ]
    every_service = rows(training_warehouse, "select count(*) as n from marts.training_needs")
    assert every_service == [{"n": 2 * 9}]  # 2 schools × the 9 services of the contract


def test_priority_rounds_on_integers():
    """One school of 25 teachers, 7 of whom use devoirs: the département's share is 7/25, and
    7/25 × 25 is 7.000000000000001 in floating point, whose ceiling would ask for an 8th
    teacher; on integers it is exactly 7, and the priority 0."""
    connection = empty_warehouse()
    given(connection, "staging.stg_roster", [teacher(f"t{n}", SCHOOL_A, "6A", "SVT") for n in range(25)])
    given(
        connection,
        "staging.stg_events",
        [used(f"t{n}", SCHOOL_A, "2025-11-12 10:00+01", "devoirs") for n in range(7)],
    )
    build(connection, "training_needs")
    found = rows(
        connection,
        "select teachers, teachers_using, priority from marts.training_needs where service = 'devoirs'",
    )
    assert 7 / 25 * 25 > 7
    assert found == [{"teachers": 25, "teachers_using": 7, "priority": 0}]


def test_training_needs_per_discipline(training_warehouse):
    found = rows(
        training_warehouse,
        "select discipline, role, service, week_start, teachers, teachers_using, share, priority "
        "from marts.training_needs_discipline where service in ('cahier_de_textes', 'devoirs') "
        "order by discipline, service",
    )
    # a1 counts in MATHEMATIQUES and in PHYSIQUE-CHIMIE; a3 has left, so FRANCAIS is a2 alone.
    # Département shares as above: cahier de textes 3/5, devoirs 1/5.
    assert [tuple(row.values()) for row in found] == [
        # a4 and b2: a4 uses both services. ceil(0.6 × 2) - 1 = 1; ceil(0.2 × 2) - 1 = 0.
        ("ANGLAIS", "enseignant", "cahier_de_textes", NOV10, 2, 1, 0.5, 1),
        ("ANGLAIS", "enseignant", "devoirs", NOV10, 2, 1, 0.5, 0),
        # a2: the holiday visit does not count. ceil(0.6 × 1) - 0 = 1; ceil(0.2 × 1) - 0 = 1.
        ("FRANCAIS", "enseignant", "cahier_de_textes", NOV10, 1, 0, 0.0, 1),
        ("FRANCAIS", "enseignant", "devoirs", NOV10, 1, 0, 0.0, 1),
        # a1 and b1 both post in the cahier de textes: ceil(1.2) - 2 = 0; ceil(0.4) - 0 = 1.
        ("MATHEMATIQUES", "enseignant", "cahier_de_textes", NOV10, 2, 2, 1.0, 0),
        ("MATHEMATIQUES", "enseignant", "devoirs", NOV10, 2, 0, 0.0, 1),
        ("PHYSIQUE-CHIMIE", "enseignant", "cahier_de_textes", NOV10, 1, 1, 1.0, 0),
        ("PHYSIQUE-CHIMIE", "enseignant", "devoirs", NOV10, 1, 0, 0.0, 1),
    ]


def test_training_needs_teachers_are_the_teachers_row_of_adoption_weekly(training_warehouse):
    """The relation _privacy.yml declares, so that the release hides them together."""
    build(training_warehouse, "adoption_weekly")
    found = rows(
        training_warehouse,
        """
        select distinct training.school_uai, training.teachers, adoption.enrolled
        from marts.training_needs as training
        inner join marts.adoption_weekly as adoption
            using (school_uai, role, week_start)
        order by all
        """,
    )
    assert found == [
        {"school_uai": SCHOOL_A, "teachers": 3, "enrolled": 3},
        {"school_uai": SCHOOL_B, "teachers": 2, "enrolled": 2},
    ]


# --- workshop effects ----------------------------------------------------------------------------
#
# A tiny département: school A is trained; B and C are the comparison schools. Events from the
# week of 15 September to the week of 24 November; school weeks: 15, 22, 29 Sept, 6, 13 Oct, then
# 3, 10, 17, 24 Nov.
# Teachers: A: t1..t4, and t5 who left on 10 October; B: c1..c5; C: d1..d6.
# Workshop log:
# - A, devoirs, Tuesday 14 and Thursday 16 October (3 and 2 attendees): one workshop, week of
#   13 October. Before: 15 Sept .. 6 Oct; after: 3 .. 24 Nov (the holidays skipped).
# - C, messagerie, Wednesday 15 October (attendees not counted): another service, so C stays a
#   comparison school for devoirs.
# - A, cahier de textes, Tuesday 18 November (7 attendees): too recent, one week after it so far.

WORKSHOP_ROSTER = (
    [teacher(f"t{n}", SCHOOL_A, "6A", "FRANCAIS") for n in range(1, 5)]
    + [teacher("t5", SCHOOL_A, "6B", "ANGLAIS", end_date=date(2025, 10, 10))]
    + [teacher(f"c{n}", SCHOOL_B, "6A", "SVT") for n in range(1, 6)]
    + [teacher(f"d{n}", SCHOOL_C, "6A", "EPS") for n in range(1, 7)]
)

WORKSHOP_LOG = [
    {"workshop_date": date(2025, 10, 14), "school_uai": SCHOOL_A, "service": "devoirs", "attendees": 3},
    {"workshop_date": date(2025, 10, 16), "school_uai": SCHOOL_A, "service": "devoirs", "attendees": 2},
    {"workshop_date": date(2025, 10, 15), "school_uai": SCHOOL_C, "service": "messagerie", "attendees": None},
    {
        "workshop_date": date(2025, 11, 18),
        "school_uai": SCHOOL_A,
        "service": "cahier_de_textes",
        "attendees": 7,
    },
]

WORKSHOP_EVENTS = [
    used("t1", SCHOOL_A, "2025-09-15 09:00+02", "portail", "login"),
    # devoirs, school A.
    used("t1", SCHOOL_A, "2025-09-22 10:00+02", "devoirs"),  # before
    used("t5", SCHOOL_A, "2025-09-23 10:00+02", "devoirs", "create"),  # t5 left before the workshop
    used("t2", SCHOOL_A, "2025-10-14 17:00+02", "devoirs"),  # the workshop's week: in no window
    used("t4", SCHOOL_A, "2025-10-21 10:00+02", "devoirs"),  # holidays: in no window
    used("t1", SCHOOL_A, "2025-11-04 10:00+01", "devoirs", "create"),  # after
    used("t2", SCHOOL_A, "2025-11-12 10:00+01", "devoirs", "create"),  # after
    used("t3", SCHOOL_A, "2025-11-20 10:00+01", "devoirs", "create"),  # after
    # devoirs, comparison schools.
    used("c1", SCHOOL_B, "2025-09-16 10:00+02", "devoirs"),  # before
    used("d1", SCHOOL_C, "2025-09-30 10:00+02", "devoirs"),  # before
    used("c2", SCHOOL_B, "2025-10-07 10:00+02", "devoirs"),  # before
    used("c3", SCHOOL_B, "2025-10-14 10:00+02", "devoirs"),  # the workshop's week
    used("c1", SCHOOL_B, "2025-11-03 10:00+01", "devoirs"),  # after
    used("d1", SCHOOL_C, "2025-11-10 10:00+01", "devoirs"),  # after
    used("c2", SCHOOL_B, "2025-11-18 10:00+01", "devoirs"),  # after
    used("d2", SCHOOL_C, "2025-11-25 10:00+01", "devoirs"),  # after (and the last week of data)
    # messagerie, school C.
    used("d1", SCHOOL_C, "2025-10-01 10:00+02", "messagerie", "read"),  # before
    used("d1", SCHOOL_C, "2025-11-05 10:00+01", "messagerie", "read"),  # after
    used("d2", SCHOOL_C, "2025-11-06 10:00+01", "messagerie", "send"),  # after
    # cahier de textes, school A.
    used("t3", SCHOOL_A, "2025-11-05 10:00+01", "cahier_de_textes", "create"),  # before 18 Nov
    used("t3", SCHOOL_A, "2025-11-25 10:00+01", "cahier_de_textes", "create"),  # after
]


@pytest.fixture(scope="module")
def workshop_warehouse():
    connection = empty_warehouse()
    given(connection, "staging.stg_roster", WORKSHOP_ROSTER)
    given(connection, "staging.stg_events", WORKSHOP_EVENTS)
    given(connection, "staging.stg_workshops", WORKSHOP_LOG)
    build(connection, "workshop_effects")
    yield connection
    connection.close()


def test_workshop_effects(workshop_warehouse):
    found = rows(workshop_warehouse, "select * from marts.workshop_effects order by all")
    effect = (0.75 - 0.25) - (4 / 11 - 3 / 11)
    assert found == [
        # Too recent: one school week after it so far, no effect yet. Before (6 Oct .. 10 Nov):
        # t3's entry of 5 Nov; after (24 Nov): t3's of 25 Nov. Comparison: B and C, 11 teachers,
        # none of whom uses the cahier de textes.
        {
            "school_uai": SCHOOL_A, "role": "enseignant", "service": "cahier_de_textes", "week_start": NOV17,
            "weeks_before_available": 4, "weeks_after_available": 1, "control_schools": 2,
            "attendees": 7, "teachers": 4, "teachers_using_before": 1, "teachers_using_after": 1,
            "share_before": 0.25, "share_after": 0.25,
            "control_share_before": 0.0, "control_share_after": 0.0, "effect": None,
        },
        # The two workshops of the week count as one (3 + 2 attendees). Treated: t1..t4 (t5 had
        # left): before t1 = 1/4, after t1, t2, t3 = 3/4. Comparison: B and C (C's workshop was
        # on another service), c1..c5 and d1..d6 = 11 teachers; before c1, d1, c2 = 3/11, after
        # c1, d1, c2, d2 = 4/11 (c3 only used it in the workshop's week).
        # effect = (3/4 − 1/4) − (4/11 − 3/11) = 0.5 − 0.0909 = +40.9 points.
        {
            "school_uai": SCHOOL_A, "role": "enseignant", "service": "devoirs", "week_start": OCT13,
            "weeks_before_available": 4, "weeks_after_available": 4, "control_schools": 2,
            "attendees": 5, "teachers": 4, "teachers_using_before": 1, "teachers_using_after": 3,
            "share_before": 0.25, "share_after": 0.75,
            "control_share_before": pytest.approx(3 / 11), "control_share_after": pytest.approx(4 / 11),
            "effect": pytest.approx(effect),
        },
        # C's 6 teachers: messagerie before d1 = 1/6, after d1, d2 = 2/6. Comparison: A's 4
        # teachers of that week (t5 had left) and B's 5 = 9 < k = 10: not shown, no effect.
        {
            "school_uai": SCHOOL_C, "role": "enseignant", "service": "messagerie", "week_start": OCT13,
            "weeks_before_available": 4, "weeks_after_available": 4, "control_schools": 2,
            "attendees": None, "teachers": 6, "teachers_using_before": 1, "teachers_using_after": 2,
            "share_before": pytest.approx(1 / 6), "share_after": pytest.approx(2 / 6),
            "control_share_before": None, "control_share_after": None, "effect": None,
        },
    ]  # fmt: skip
    assert effect == pytest.approx(0.40909, abs=1e-5)


def test_a_school_trained_on_the_same_service_is_no_comparison(workshop_warehouse):
    """B trained on devoirs in the week of 3 November, inside A's after window: B leaves A's
    comparison group, which is then C's 6 teachers alone, below k."""
    given(
        workshop_warehouse,
        "staging.stg_workshops",
        [{"workshop_date": date(2025, 11, 4), "school_uai": SCHOOL_B, "service": "devoirs", "attendees": 4}],
    )
    try:
        build(workshop_warehouse, "workshop_effects")
        found = rows(
            workshop_warehouse,
            "select control_schools, control_share_before, effect from marts.workshop_effects "
            f"where school_uai = '{SCHOOL_A}' and service = 'devoirs'",
        )
        assert found == [{"control_schools": 1, "control_share_before": None, "effect": None}]
    finally:
        workshop_warehouse.execute("delete from staging.stg_workshops where school_uai = ?", [SCHOOL_B])
        build(workshop_warehouse, "workshop_effects")


def test_workshop_effects_are_published_only_at_k(workshop_warehouse):
    """A view across schools: every row here is below k = 10 teachers (4 and 6), so the release
    hides it whole, its comparison shares and its effect with it; the week stays visible."""
    truth = {
        "workshop_effects": rows(workshop_warehouse, "select * from marts.workshop_effects order by all")
    }
    catalog = load_catalog()
    published = published_tables(truth, catalog, protect(truth, catalog, Thresholds()))
    for row in published["workshop_effects"]:
        assert row["is_suppressed"] and row["suppression_reason"] == "k"
        assert row["teachers"] is row["effect"] is row["control_share_after"] is row["share_after"] is None
        assert row["week_start"] in (OCT13, NOV17) and row["weeks_after_available"] in (1, 4)


# --- the workshop log at the door ----------------------------------------------------------------

WORKSHOP_HEADER = "workshop_date,school_uai,service,attendees,animateur\n"


def load_log(tmp_path: Path, text: str):
    path = tmp_path / "workshops.csv"
    path.write_text(text, encoding="utf-8")
    contract = load_contract("workshops")
    with connect_warehouse(tmp_path / "warehouse.duckdb", k_school=5) as connection:
        ensure_staging_table(connection, contract, "stg_workshops")
        outcome = load_file(
            connection, path, "workshops/workshops.csv", contract, "stg_workshops", "ent", None
        )
        staged = connection.execute(
            "select workshop_date, school_uai, service, attendees, file_row from staging.stg_workshops"
        ).fetchall()
        quarantined = connection.execute(
            "select file_row, column_name, rule, observed_value from staging.quarantine order by file_row"
        ).fetchall()
        loads = connection.execute(
            "select contract, rows_read, rows_loaded, rows_quarantined from staging.file_loads"
        ).fetchall()
        columns = [row[0] for row in connection.execute("describe staging.stg_workshops").fetchall()]
    return outcome, staged, quarantined, loads, columns


def test_workshop_log_quarantines_bad_rows_with_their_rule(tmp_path):
    outcome, staged, quarantined, loads, columns = load_log(
        tmp_path,
        WORKSHOP_HEADER
        + f"2025-10-14,{SCHOOL_A},devoirs,12,Jeanne Martin\n"  # valid; the name never lands
        + f"2025-10-15,{SCHOOL_A},devoirs,,\n"  # valid: attendees not counted
        + f"2025-10-16,{SCHOOL_A},pronote,5,\n"
        + "2025-10-16,0920001A,devoirs,5,\n"
        + f"16/10/2025,{SCHOOL_A},devoirs,5,\n"
        + f"2025-10-16,{SCHOOL_A},devoirs,-3,\n"
        + f"2025-10-16,{SCHOOL_A},devoirs,2.5,\n"
        + f",{SCHOOL_A},devoirs,5,\n",
    )
    assert staged == [
        (date(2025, 10, 14), SCHOOL_A, "devoirs", 12, 1),
        (date(2025, 10, 15), SCHOOL_A, "devoirs", None, 2),
    ]
    services = ", ".join(load_contract("events").column("service").valid_values)
    assert quarantined == [
        (3, "service", f"not one of: {services}", "pronote"),
        (4, "school_uai", "not a UAI code (7 digits and the matching key letter)", "0920001A"),
        (5, "workshop_date", "not an ISO 8601 date", "16/10/2025"),
        (6, "attendees", "less than 0", "-3"),
        (7, "attendees", "not an integer", "2.5"),
        (8, "workshop_date", "required value is missing", None),
    ]
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (8, 2, 6)
    assert outcome.rows_read == outcome.rows_loaded + outcome.rows_quarantined
    assert loads == [("workshops", 8, 2, 6)]
    assert "animateur" not in columns


def test_workshop_services_are_the_events_services():
    workshops, events = load_contract("workshops"), load_contract("events")
    assert workshops.column("service").valid_values == events.column("service").valid_values


def test_stg_workshops_asset_snapshot_and_an_optional_log(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    (landing / "events").mkdir(parents=True)
    resources = {"warehouse": WarehouseResource(data_dir=str(data), landing_dir=str(landing))}

    def materialize_and_count() -> int:
        assert dg.materialize([landing_files, stg_workshops], resources=resources).success
        with connect_warehouse(data / "warehouse.duckdb", k_school=5) as connection:
            return connection.execute("select count(*) from staging.stg_workshops").fetchone()[0]

    assert materialize_and_count() == 0  # no workshops/ folder: an empty table, marts still build
    (landing / "workshops").mkdir()
    (landing / "workshops" / "workshops.csv").write_text(
        "workshop_date,school_uai,service,attendees\n"
        f"2025-10-14,{SCHOOL_A},devoirs,12\n2025-10-15,{SCHOOL_B},cahier_de_textes,8\n",
        encoding="utf-8",
    )
    assert materialize_and_count() == 2
    # The log leaves the landing folder once loaded (archived or deleted): what it brought stays.
    (landing / "workshops" / "workshops.csv").unlink()
    assert materialize_and_count() == 2
    # A new log is a new full snapshot.
    (landing / "workshops" / "2025-11.csv").write_text(
        f"workshop_date,school_uai,service,attendees\n2025-11-18,{SCHOOL_A},devoirs,4\n", encoding="utf-8"
    )
    assert materialize_and_count() == 1
