"""Rule 6 (DESIGN.md §4): nothing hidden can be recomputed from everything published together.

The audit (pipelines/privacy/audit.py) solves the attacker's linear programs. These tests show
it fails where it must (primary suppression alone, a published extreme count, a population
that moved by one person between releases), that the protection makes it pass, on hand-made
tables, on random ones, on a real run through Dagster, and between two releases.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.privacy.audit import MINIMUM_GROUP_SIZE, RELEASE_DIFFERENCE, SMALL_GROUP_RATE, audit, cell_key
from pipelines.privacy.catalog import Thresholds, load_catalog
from pipelines.privacy.suppression import (
    BETWEEN_RELEASES,
    COMPLEMENTARY,
    PRIMARY,
    Protection,
    band_small_group_rates,
    primary_suppression,
    protect,
    published_tables,
)
from pipelines.publication import RELEASE_SCHEMA, audit_candidate, prepare_release, publish, read_marts
from tests.test_suppression import MARTS, WEEKS, Department, _hour, build_models, warehouse_with_marts

CATALOG = load_catalog()
THRESHOLDS = Thresholds()
W = WEEKS[0]


def adoption(school, role, enrolled, active):
    return {
        "school_uai": school,
        "role": role,
        "week_start": W,
        "enrolled": enrolled,
        "active_users": active,
        "adoption_rate": active / enrolled,
    }


def school_total(school, enrolled, active):
    return {
        "school_uai": school,
        "week_start": W,
        "enrolled": enrolled,
        "active_users": active,
        "adoption_rate": active / enrolled,
    }


def department_total(role, enrolled, active):
    return {
        "role": role,
        "week_start": W,
        "enrolled": enrolled,
        "active_users": active,
        "adoption_rate": active / enrolled,
    }


def two_schools() -> dict:
    """Two schools, pupils and teachers, with every total. School A has 3 teachers (< k = 5).

                 eleve      enseignant   school total
        A       100 (60)      3 (2)       103 (62)
        B        80 (50)     20 (15)      100 (65)
        total   180 (110)    23 (17)
    (enrolled, and active users in brackets; no one holds two roles: the unions are sums.)
    """
    return {
        "adoption_weekly": [
            adoption("A", "eleve", 100, 60),
            adoption("A", "enseignant", 3, 2),
            adoption("B", "eleve", 80, 50),
            adoption("B", "enseignant", 20, 15),
        ],
        "adoption_school_weekly": [school_total("A", 103, 62), school_total("B", 100, 65)],
        "adoption_department_weekly": [
            department_total("eleve", 180, 110),
            department_total("enseignant", 23, 17),
        ],
    }


def primary_only(truth: dict) -> Protection:
    protection = Protection()
    primary_suppression(truth, CATALOG, THRESHOLDS, protection)
    band_small_group_rates(truth, CATALOG, THRESHOLDS, protection)
    return protection


def finding(report, kind: str, table: str, key: str):
    return next(
        f for f in report.findings if (f.target.kind, f.target.table, f.target.key) == (kind, table, key)
    )


# --- The audit can fail -----------------------------------------------------------------------


def test_primary_suppression_alone_is_undone_by_subtraction():
    truth = two_schools()
    report = audit(published_tables(truth, CATALOG, primary_only(truth)), truth, CATALOG, THRESHOLDS)
    assert not report.passed
    teachers = finding(report, MINIMUM_GROUP_SIZE, "adoption_weekly", f"A|enseignant|{W}")
    # 103 - 100 = 3 from school A's total, and 23 - 20 = 3 from the département: exactly 3.
    assert (teachers.lower, teachers.upper, teachers.passed) == (3, 3, False)
    # And their activity: 62 - 60 = 2 of 3, so "2 active, 1 not" is certain.
    rate = finding(report, SMALL_GROUP_RATE, "adoption_weekly", f"A|enseignant|{W}")
    assert (rate.lower, rate.passed) == (1, False)


def test_a_complement_in_the_row_only_is_undone_through_the_column():
    truth = two_schools()
    protection = primary_only(truth)
    protection.suppress("adoption_weekly", 0, COMPLEMENTARY)  # A's pupils: the school total is safe
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS)
    teachers = finding(report, MINIMUM_GROUP_SIZE, "adoption_weekly", f"A|enseignant|{W}")
    assert teachers.upper == 3 and not teachers.passed  # 23 - 20, from the département's teachers


def test_complementary_suppression_closes_every_route():
    truth = two_schools()
    protection = protect(truth, CATALOG, THRESHOLDS)
    # By hand: the row of A's teachers is exposed by A's total (103 - 100) and by the
    # département's teachers (23 - 20). Hiding A's pupils or B's teachers would expose their own
    # column or row in turn (two more relations to protect); hiding the two totals exposes
    # nothing else. So the cheapest protection hides A's total and the département's teachers.
    assert protection.suppressed == {
        ("adoption_weekly", 1): PRIMARY,
        ("adoption_school_weekly", 0): COMPLEMENTARY,
        ("adoption_department_weekly", 1): COMPLEMENTARY,
    }
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS)
    assert report.passed
    teachers = finding(report, MINIMUM_GROUP_SIZE, "adoption_weekly", f"A|enseignant|{W}")
    assert teachers.upper == float("inf")  # A's total and the département's are unknown


def test_a_person_with_two_roles_makes_the_school_total_a_union():
    # One teacher of A is also a pupil's parent there: 3 teachers + 4 parents, 6 persons.
    truth = {
        "adoption_weekly": [adoption("A", "enseignant", 3, 3), adoption("A", "parent", 4, 2)],
        "adoption_school_weekly": [school_total("A", 6, 4)],
    }
    protection = primary_only(truth)
    # Both roles are below k; the total (6 persons) is published. As a union, teachers are
    # between 6 - 4 = 2 and 6: a value of 5 or more stays possible.
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS)
    teachers = finding(report, MINIMUM_GROUP_SIZE, "adoption_weekly", f"A|enseignant|{W}")
    assert (teachers.upper, teachers.passed) == (6, True)
    # Without the overlap (7 persons), the same suppression would have to keep 3 + 4 = 7 <= 7,
    # and the audit treats the exact sum as a sum: still protected, the two hidden rows share 7.
    exact = {
        "adoption_weekly": truth["adoption_weekly"],
        "adoption_school_weekly": [school_total("A", 7, 5)],
    }
    report = audit(published_tables(exact, CATALOG, primary_only(exact)), exact, CATALOG, THRESHOLDS)
    assert finding(report, MINIMUM_GROUP_SIZE, "adoption_weekly", f"A|enseignant|{W}").upper == 7


def test_a_banded_rate_is_undone_by_the_totals_unless_a_complement_is_withheld():
    # 12 teachers, all active: "≥ 90 %". The school's total and the other roles give 12 back.
    truth = {
        "adoption_weekly": [adoption("A", "eleve", 100, 60), adoption("A", "enseignant", 12, 12)],
        "adoption_school_weekly": [school_total("A", 112, 72)],
    }
    report = audit(published_tables(truth, CATALOG, primary_only(truth)), truth, CATALOG, THRESHOLDS)
    rate = finding(report, SMALL_GROUP_RATE, "adoption_weekly", f"A|enseignant|{W}")
    assert (rate.lower, rate.upper, rate.passed) == (0, 0, False)  # 72 - 60: everyone, certainly
    protection = protect(truth, CATALOG, THRESHOLDS)
    # The cheapest complement: the pupils' active users (and rate), not a whole row, and a part
    # before the total. Then 72 = pupils + teachers, with teachers between 10.8 and 12.
    assert protection.suppressed == {}
    assert protection.withheld_reason[("adoption_weekly", 0, "active_users")] == COMPLEMENTARY
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS)
    rate = finding(report, SMALL_GROUP_RATE, "adoption_weekly", f"A|enseignant|{W}")
    assert (rate.lower, rate.upper, rate.passed) == (0, pytest.approx(1.2), True)


# --- Successive releases --------------------------------------------------------------------


def test_a_population_that_moved_by_one_person_is_not_published_again():
    truth = two_schools()
    truth["adoption_weekly"][2] = adoption("B", "eleve", 81, 51)  # one pupil joined B since
    truth["adoption_school_weekly"][1] = school_total("B", 101, 66)
    truth["adoption_department_weekly"][0] = department_total("eleve", 181, 111)
    previous = {
        ("adoption_weekly", cell_key(("B", "eleve", W))): frozenset({80}),
        ("adoption_school_weekly", cell_key(("B", W))): frozenset({100}),
        ("adoption_department_weekly", cell_key(("eleve", W))): frozenset({180}),
    }
    # Publishing 81 next to the 80 of the last release says what the newcomer did (51 - 50).
    published = published_tables(truth, CATALOG, primary_only(truth))
    report = audit(published, truth, CATALOG, THRESHOLDS, previous)
    moved = finding(report, RELEASE_DIFFERENCE, "adoption_weekly", f"B|eleve|{W}")
    assert not moved.passed
    protection = protect(truth, CATALOG, THRESHOLDS, previous)
    assert protection.suppressed[("adoption_weekly", 2)] == BETWEEN_RELEASES
    assert protection.suppressed[("adoption_school_weekly", 1)] == BETWEEN_RELEASES
    assert protection.suppressed[("adoption_department_weekly", 0)] == BETWEEN_RELEASES
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS, previous)
    assert report.passed
    assert finding(report, RELEASE_DIFFERENCE, "adoption_weekly", f"B|eleve|{W}").passed


def test_two_releases_through_the_publication(tmp_path):
    """One school: release 1, then a pupil added to the roster for both weeks, release 2."""
    department = Department()
    school = "0920001B"
    for n in range(30):
        department.enrol(f"p{n}", "eleve", school, "6A")
    for n in range(12):
        department.enrol(f"t{n}", "enseignant", school, "6A")
    for n, (user, role, *_) in enumerate(list(department.roster)):
        for week in WEEKS:
            department.event(user, _hour(week, n % 5, 10), role, school, "portail", "login")
    published_path = tmp_path / "published.duckdb"
    with warehouse_with_marts(tmp_path / "warehouse.duckdb", department) as connection:
        first = prepare_release(connection, MARTS, published_path, THRESHOLDS)
        assert audit_candidate(connection, MARTS, published_path, THRESHOLDS).passed
        publish(connection, MARTS, published_path)
        assert first.cells_suppressed == 0

        department.enrol("late", "eleve", school, "6A")  # a roster correction: 31 pupils
        department.event("late", _hour(WEEKS[1], 1, 11), "eleve", school, "portail", "login")
        from tests.test_suppression import write_staging

        write_staging(connection, department)
        build_models(connection)
        second = prepare_release(connection, MARTS, published_path, THRESHOLDS)
        report = audit_candidate(connection, MARTS, published_path, THRESHOLDS)
        reasons = connection.execute(
            f"select role, week_start, suppression_reason from {RELEASE_SCHEMA}.adoption_weekly order by all"
        ).fetchall()
        history = connection.execute(
            f"select count(*), list(distinct table_name order by table_name) from {RELEASE_SCHEMA}.published_populations"
        ).fetchone()
    # 30 -> 31 pupils in both weeks: the pupils' rows (and every total holding them) are held back;
    # the 12 teachers did not change and stay published.
    assert reasons == [
        ("eleve", WEEKS[0], BETWEEN_RELEASES),
        ("eleve", WEEKS[1], BETWEEN_RELEASES),
        ("enseignant", WEEKS[0], None),
        ("enseignant", WEEKS[1], None),
    ]
    assert second.cells_suppressed_between_releases > 0 and second.cells_suppressed_primary == 0
    assert report.passed and report.counts_by_kind()[RELEASE_DIFFERENCE] >= 2
    # The populations of release 1, kept for release 3 on: every protected table with rows
    # (this département has no homework, no teacher's discipline and no workshop).
    assert history[0] > 0 and history[1] == [
        "adoption_department_weekly",
        "adoption_first_month",
        "adoption_school_weekly",
        "adoption_weekly",
        "cdt_class_term",
        "cdt_class_weekly",
        "parent_reach_monthly",
        "service_usage_weekly",
        "training_needs",
    ]


# --- Random small départements ---------------------------------------------------------------


@st.composite
def role_tables_with_one_small_group(draw):
    """1 to 4 schools × 2 to 4 roles with every total; one group of 1 to 4 persons, the others
    of 10 to 60; no one in two groups (the unions are sums)."""
    roles = ["eleve", "parent", "enseignant", "personnel"][: draw(st.integers(2, 4))]
    schools = [f"S{n}" for n in range(draw(st.integers(1, 4)))]
    sizes = {(school, role): draw(st.integers(10, 60)) for school in schools for role in roles}
    sizes[draw(st.sampled_from(sorted(sizes)))] = draw(st.integers(1, 4))
    active = {cell: draw(st.integers(0, size)) for cell, size in sizes.items()}
    return {
        "adoption_weekly": [adoption(s, r, sizes[(s, r)], active[(s, r)]) for s in schools for r in roles],
        "adoption_school_weekly": [
            school_total(s, sum(sizes[(s, r)] for r in roles), sum(active[(s, r)] for r in roles))
            for s in schools
        ],
        "adoption_department_weekly": [
            department_total(r, sum(sizes[(s, r)] for s in schools), sum(active[(s, r)] for s in schools))
            for r in roles
        ],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(role_tables_with_one_small_group())
def test_random_tables_fail_the_audit_on_primary_suppression_alone_and_pass_once_protected(truth):
    naive = audit(published_tables(truth, CATALOG, primary_only(truth)), truth, CATALOG, THRESHOLDS)
    # The small group's school total (at least 1 + 10 persons) is published: minus the school's
    # other roles, which are published too, it gives the small group back.
    assert not naive.passed
    protection = protect(truth, CATALOG, THRESHOLDS)
    report = audit(published_tables(truth, CATALOG, protection), truth, CATALOG, THRESHOLDS)
    assert report.passed
    assert report.counts_by_kind()[MINIMUM_GROUP_SIZE] >= 1


# --- A real run, through Dagster --------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory: pytest.TempPathFactory):
    from pipelines.runner import run_pipeline
    from pipelines.simulator import simulate
    from tests.conftest import TEST_KEY_HEX

    root = tmp_path_factory.mktemp("simulated")
    simulate(root / "landing", schools=2, weeks=3, seed=7)
    monkeypatch = pytest.MonkeyPatch()
    for name in ("REPERES_PSEUDONYM_KEY_FILE", "REPERES_DATA_DIR", "REPERES_LANDING_DIR", "DAGSTER_HOME"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("REPERES_PSEUDONYM_KEY", TEST_KEY_HEX)
    try:
        outcome = run_pipeline(root / "landing", root / "data", keep_landing=True)
    finally:
        monkeypatch.undo()
    return outcome, root / "data"


@pytest.mark.slow
def test_the_audit_is_a_blocking_check_that_ran_on_the_release(simulated_run):
    outcome, data_dir = simulated_run
    with dg.DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        records = instance.get_records_for_run(
            outcome.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    evaluations = {
        (record.event_log_entry.dagster_event.event_specific_data.asset_key.to_user_string(),
         record.event_log_entry.dagster_event.event_specific_data.check_name):
        record.event_log_entry.dagster_event.event_specific_data
        for record in records
    }  # fmt: skip
    audit_check = evaluations[("release_candidate", "no_recovery_by_subtraction")]
    assert audit_check.passed
    assert audit_check.metadata["protected_values_checked"].value > 0
    assert evaluations[("release_candidate", "small_group_rates_are_banded")].passed
    assert evaluations[("release_candidate", "cells_respect_minimum_group_size")].passed


@pytest.mark.slow
def test_the_published_file_of_a_real_run_passes_the_audit(simulated_run):
    _, data_dir = simulated_run
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        connection.execute("set TimeZone = 'Europe/Paris'")
        truth, _ = read_marts(connection, MARTS, CATALOG)
    with duckdb.connect(str(data_dir / "published.duckdb"), read_only=True) as connection:
        published = {
            table: connection.sql(f"select * from {table} order by {', '.join(CATALOG.tables[table].grain)}")
            .to_arrow_table()
            .to_pylist()
            for table in MARTS
        }
        info = connection.execute(
            "select cells_published, cells_suppressed, cells_suppressed_primary, "
            "cells_suppressed_complementary, rates_banded from release_info"
        ).fetchone()
    assert "suppression_reason" not in published["adoption_weekly"][0]  # stays in the warehouse
    report = audit(published, truth, CATALOG, THRESHOLDS)
    assert report.passed and report.findings
    assert info[0] == sum(len(rows) for rows in published.values())
    assert info[1] == sum(row["is_suppressed"] for rows in published.values() for row in rows)
    assert info[1] == info[2] + info[3]
    assert info[4] == sum(
        row[rate.band_column] is not None
        for table, rows in published.items()
        for rate in CATALOG.tables[table].rates
        for row in rows
    )


@pytest.mark.slow
def test_a_tampered_candidate_fails_the_audit(simulated_run, tmp_path):
    """The check can fail on a real release: give a banded count back and the audit sees it."""
    import shutil

    _, data_dir = simulated_run
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(data_dir / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("set TimeZone = 'Europe/Paris'")
        tampered = connection.execute(
            f"""
            update {RELEASE_SCHEMA}.homework_class_weekly as candidate
            set on_time = marts.on_time, late = marts.late, missing = marts.missing, pending = marts.pending
            from marts.homework_class_weekly as marts
            where candidate.school_uai = marts.school_uai and candidate.class_id = marts.class_id
                and candidate.week_start = marts.week_start and candidate.submission_rate_band is not null
            """
        ).fetchone()[0]
        assert tampered > 0
        report = audit_candidate(connection, MARTS, tmp_path / "none.duckdb", THRESHOLDS)
    assert not report.passed
    assert {finding.target.kind for finding in report.failures} == {SMALL_GROUP_RATE}


def test_the_checks_guard_the_candidate_and_block_publication():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    for name in (
        "no_recovery_by_subtraction",
        "small_group_rates_are_banded",
        "cells_respect_minimum_group_size",
    ):
        assert checks[("release_candidate", name)].blocking
    parents = {key.to_user_string() for key in graph.get(dg.AssetKey("published_release")).parent_keys}
    assert parents == {"release_candidate"}


def test_previous_week_keys_are_stable_text():
    assert cell_key(("0920001B", "eleve", dt.date(2025, 9, 1))) == "0920001B|eleve|2025-09-01"
