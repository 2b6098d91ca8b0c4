"""The marts on a tiny département, against figures computed by hand; then what the release
publishes of them.

School 0920001B (the UAI key letter of 0920001 is B). Weeks: W1 = Monday 2025-09-01,
W2 = 2025-09-08, W3 = 2025-09-15. k = 5 inside the school, 10 across schools.

Roster:
- class 6A: pupils p1..p5 all year, p6 joins on 2025-09-10, p7 leaves on 2025-09-05;
- class 5B: pupils q1, q2 (a class too small to publish on its own);
- parents par1..par5 (exactly k = 5), one teacher t1 (below k).

The marts (warehouse) hold the exact figures; the release protects them (pipelines/privacy).
With a single school, the département is this school: its rows (8 pupils, 1 teacher, 5
parents) are below k = 10, and the school's rows would give them back, so every role row is
hidden and only the all-roles total of the school is published (see test_adoption_weekly).
Events: see EVENTS_DAY1 / EVENTS_DAY2 / EVENTS_DAY3; x9 is missing from the roster,
p7's login on 2025-09-09 falls after p7 left, the login of p1 is delivered twice,
one row has an unknown role, and a column `ip` is outside the contract.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars
import pytest

from pipelines.privacy.catalog import load_catalog
from pipelines.runner import RunOutcome, run_pipeline
from tests.conftest import TEST_KEY_HEX, write_landing

UAI = "0920001B"
W1, W2, W3 = date(2025, 9, 1), date(2025, 9, 8), date(2025, 9, 15)

HEADER = (
    "event_id,occurred_at,user_id,role,school_uai,service,action,class_id,discipline,object_id,due_at,ip\n"
)
EVENTS_DAY1 = HEADER + (
    f"e01,2025-09-01T08:42:00+02:00,p1,eleve,{UAI},portail,login,,,,,10.0.0.1\n"
    f"e02,2025-09-01T09:05:00+02:00,t1,enseignant,{UAI},devoirs,create,6A,MATHEMATIQUES,hw1,2025-09-03T18:00:00+02:00,\n"
    f"e03,2025-09-01T10:00:00+02:00,t1,enseignant,{UAI},devoirs,create,5B,FRANCAIS,hw3,2025-09-05T08:00:00+02:00,\n"
    f"e04,2025-09-01T11:00:00+02:00,x9,eleve,{UAI},portail,login,,,,,\n"
    f"e05,2025-09-02T07:30:00+02:00,p2,eleve,{UAI},portail,login,,,,,\n"
    f"e06,2025-09-02T12:00:00+02:00,p1,eleve,{UAI},messagerie,read,,,,,\n"
    f"e07,2025-09-02T20:00:00+02:00,par1,parent,{UAI},messagerie,read,,,,,\n"
    f"e08,2025-09-03T09:00:00+02:00,p7,eleve,{UAI},portail,login,,,,,\n"
    f"e09,2025-09-03T12:00:00+02:00,p7,eleve,{UAI},devoirs,submit,6A,,hw1,,\n"
    f"e10,2025-09-03 17:10:00,p2,eleve,{UAI},devoirs,submit,6A,,hw1,,\n"  # naive = Paris time
    f"e11,2025-09-03T18:00:00+02:00,p1,eleve,{UAI},devoirs,submit,6A,,hw1,,\n"  # at the deadline
    f"e12,2025-09-03T18:30:00+02:00,p9,ELEVE?,{UAI},portail,login,,,,,\n"  # quarantined: role
)
EVENTS_DAY2 = HEADER + (
    f"e13,2025-09-04T10:00:00+02:00,p3,eleve,{UAI},devoirs,submit,6A,,hw1,,\n"  # late
    f"e01,2025-09-01T08:42:00+02:00,p1,eleve,{UAI},portail,login,,,,,10.0.0.1\n"  # re-delivered
)
EVENTS_DAY3 = HEADER + (
    f"e14,2025-09-08T08:00:00+02:00,p1,eleve,{UAI},portail,login,,,,,\n"
    f"e15,2025-09-08T09:00:00+02:00,t1,enseignant,{UAI},devoirs,create,6A,MATHEMATIQUES,hw2,2025-09-15T08:00:00+02:00,\n"
    f"e16,2025-09-09T17:00:00+02:00,p7,eleve,{UAI},portail,login,,,,,\n"  # after p7 left
    f"e17,2025-09-10T14:00:00+02:00,p6,eleve,{UAI},portail,login,,,,,\n"  # p6 just joined
)
ROSTER = "user_id,role,school_uai,class_id,discipline,start_date,end_date\n" + "".join(
    [f"p{n},eleve,{UAI},6A,,,\n" for n in range(1, 6)]
    + [f"p6,eleve,{UAI},6A,,2025-09-10,\n", f"p7,eleve,{UAI},6A,,,2025-09-05\n"]
    + [f"q{n},eleve,{UAI},5B,,,\n" for n in (1, 2)]
    + [f"par{n},parent,{UAI},6A,,,\n" for n in range(1, 6)]
    + [f"t1,enseignant,{UAI},6A,MATHEMATIQUES,,\n", f"t1,enseignant,{UAI},5B,FRANCAIS,,\n"]
)


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunOutcome, Path]:
    root = tmp_path_factory.mktemp("tiny")
    landing = write_landing(
        root,
        {"2025-09-03.csv": EVENTS_DAY1, "2025-09-04.csv": EVENTS_DAY2, "2025-09-10.csv": EVENTS_DAY3},
        ROSTER,
    )
    monkeypatch = pytest.MonkeyPatch()
    for name in ("REPERES_PSEUDONYM_KEY_FILE", "REPERES_DATA_DIR", "REPERES_LANDING_DIR", "DAGSTER_HOME"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("REPERES_PSEUDONYM_KEY", TEST_KEY_HEX)
    try:
        outcome = run_pipeline(landing, root / "data", keep_landing=True)
    finally:
        monkeypatch.undo()
    return outcome, root / "data" / "published.duckdb"


def published_rows(published: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(published), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def warehouse_rows(published: Path, sql: str) -> list[tuple]:
    """The exact marts, and the release candidate with its suppression reasons."""
    with duckdb.connect(str(published.parent / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def test_run_summary_balances(pipeline_run):
    summary = pipeline_run[0].summary
    assert (summary.files, summary.rows_read) == (3, 18)
    assert (summary.rows_loaded, summary.rows_quarantined, summary.duplicates) == (16, 1, 1)
    assert summary.rows_read == summary.rows_loaded + summary.rows_quarantined + summary.duplicates
    assert summary.roster_rows_loaded == 16
    warehouse = pipeline_run[1].parent / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        per_file = connection.execute(
            "select file_name, rows_read, rows_loaded, rows_quarantined, rows_duplicate "
            "from intermediate.int_file_balance order by file_name"
        ).fetchall()
    assert per_file == [
        ("events/2025-09-03.csv", 12, 11, 1, 0),  # e12 has an unknown role
        ("events/2025-09-04.csv", 2, 1, 0, 1),  # e01 delivered again
        ("events/2025-09-10.csv", 4, 4, 0, 0),
    ]


def test_adoption_weekly(pipeline_run):
    rows = warehouse_rows(
        pipeline_run[1],
        "select role, week_start, enrolled, active_users, adoption_rate "
        "from marts.adoption_weekly order by role, week_start",
    )
    assert rows == [
        ("eleve", W1, 8, 4, 0.5),  # p1-p5, p7, q1, q2; active p1, p2, p3, p7 (not x9)
        ("eleve", W2, 8, 2, 0.25),  # p7 left, p6 joined; active p1, p6 (not p7)
        ("enseignant", W1, 1, 1, 1.0),  # t1 created hw1 and hw3
        ("enseignant", W2, 1, 1, 1.0),  # t1 created hw2
        ("parent", W1, 5, 1, 0.2),  # par1 read a message
        ("parent", W2, 5, 0, 0.0),
    ]
    # One school: the département's rows are the school's, below k = 10, so primary there.
    department = warehouse_rows(
        pipeline_run[1],
        "select role, week_start, enrolled, active_users, adoption_rate "
        "from marts.adoption_department_weekly order by role, week_start",
    )
    assert department == rows
    published = published_rows(
        pipeline_run[1],
        "select role, week_start, enrolled, active_users, adoption_rate, adoption_rate_band, is_suppressed "
        "from adoption_weekly order by role, week_start",
    )
    assert published == [(role, week, None, None, None, None, True) for role, week, *_ in rows]
    reasons = warehouse_rows(
        pipeline_run[1],
        "select role, suppression_reason from release.adoption_weekly group by all order by all",
    )
    # The teacher: 1 < 5. Pupils (8) and parents (5) pass k = 5 but would give the département's
    # rows (8 and 5 < 10) back: complementary.
    assert reasons == [("eleve", "complementary"), ("enseignant", "k"), ("parent", "complementary")]
    assert published_rows(
        pipeline_run[1], "select is_suppressed, count(*) from adoption_department_weekly group by all"
    ) == [(True, 6)]
    # The school, all roles: 14 persons (8 pupils, 1 teacher, 5 parents); active W1 p1, p2, p3,
    # p7, par1, t1; W2 p1, p6, t1. With every role hidden, it gives none of them back, and
    # 6/14 and 3/14 are not extreme (with 14 persons the bands stop at 10 % and 90 %).
    assert published_rows(
        pipeline_run[1],
        "select week_start, enrolled, active_users, adoption_rate, adoption_rate_band, is_suppressed "
        "from adoption_school_weekly order by week_start",
    ) == [(W1, 14, 6, 6 / 14, None, False), (W2, 14, 3, 3 / 14, None, False)]


def test_service_usage_weekly(pipeline_run):
    rows = warehouse_rows(
        pipeline_run[1],
        "select role, service, week_start, enrolled, users, reach from marts.service_usage_weekly "
        "where users > 0 order by role, service, week_start",
    )
    assert rows == [
        ("eleve", "devoirs", W1, 8, 4, 0.5),  # submits of p1, p2, p3, p7
        ("eleve", "messagerie", W1, 8, 1, 0.125),
        ("eleve", "portail", W1, 8, 3, 0.375),  # p1, p2, p7
        ("eleve", "portail", W2, 8, 2, 0.25),  # p1, p6
        ("enseignant", "devoirs", W1, 1, 1, 1.0),  # t1's homework
        ("enseignant", "devoirs", W2, 1, 1, 1.0),
        ("parent", "messagerie", W1, 5, 1, 0.2),
    ]
    grid = published_rows(
        pipeline_run[1],
        "select count(*), count_if(is_suppressed), count(users) from service_usage_weekly",
    )
    # 3 roles x 2 weeks x 9 services. Each row repeats the population of its adoption row,
    # all hidden (see test_adoption_weekly): every service row is hidden with it.
    assert grid == [(54, 54, 0)]
    assert warehouse_rows(pipeline_run[1], "select count_if(users = 0) from marts.service_usage_weekly") == [
        (47,)  # unused services show 0 in the marts: 54 - 7 rows above
    ]


def test_homework_class_weekly(pipeline_run):
    exact = warehouse_rows(
        pipeline_run[1],
        "select class_id, week_start, homework_count, pupils, expected, on_time, late, missing, "
        "pending, submission_rate, on_time_rate from marts.homework_class_weekly order by class_id, week_start",
    )
    assert exact == [
        # hw3 due Fri 5 Sept 08:00: q1 and q2 expected, neither submitted.
        ("5B", W1, 1, 2, 2, 0, 0, 2, 0, 0.0, 0.0),
        # hw1 due Wed 3 Sept 18:00: expected p1-p5 and p7 (enrolled that day, p6 not yet).
        # On time: p7 (12:00), p2 (17:10 naive Paris time), p1 (exactly 18:00); late: p3.
        ("6A", W1, 1, 6, 6, 3, 1, 2, 0, 4 / 6, 3 / 6),
        # hw2 due 15 Sept, after the last event: pending for p1-p6.
        ("6A", W3, 1, 6, 6, 0, 0, 0, 6, 0.0, 0.0),
    ]
    rows = published_rows(
        pipeline_run[1],
        "select class_id, week_start, homework_count, pupils, expected, on_time, late, missing, "
        "pending, submission_rate, on_time_rate, submission_rate_band, on_time_rate_band, is_suppressed "
        "from homework_class_weekly order by class_id, week_start",
    )
    assert rows == [
        # 2 pupils expected < k.
        ("5B", W1, None, None, None, None, None, None, None, None, None, None, None, True),
        # 4/6 and 3/6 are not extreme: published exactly.
        ("6A", W1, 1, 6, 6, 3, 1, 2, 0, 4 / 6, 3 / 6, None, None, False),
        # 0 of 6: with 6 pupils one is 17 %, so the band is "≤ 20 %" (0 or 1 of 6), and the
        # statuses that would give the 0 back are withheld.
        ("6A", W3, 1, 6, 6, None, None, None, None, None, None, "≤ 20\u00a0%", "≤ 20\u00a0%", False),
    ]


def test_release_info_counts_what_the_release_hides(pipeline_run):
    info = published_rows(
        pipeline_run[1],
        "select k_school, k_department, cells_published, cells_suppressed, cells_suppressed_primary, "
        "cells_suppressed_complementary, rates_banded from release_info",
    )
    # Adoption, services, homework and data quality: published rows 6 + 2 + 6 + 54 + 3 + 2 = 73.
    # Hidden: 6 role rows, 6 département rows, 54 service rows, 1 homework row = 67; primary:
    # 2 teacher rows, 6 département rows, 18 teacher service rows, the 5B homework = 27;
    # complementary: 40. Banded: the two rates of 6A in W3.
    # The other marts: training needs 9 services + 18 (2 disciplines × 9) all below k (one
    # teacher); cahier de textes 4 class-weeks and 2 class-terms, all below k (one teacher);
    # homework load 3 days, 5B's (2 pupils) below k; parent reach 2 class-months, 5B below k;
    # first month 3 roles, the teacher below k; no workshop. That is 41 more rows, 36 more
    # hidden, all primary. Banded: 6A's parent reach (0 of 7), the regular share of pupils
    # (0 of 9), both shares of parents (1 and 0 of 5).
    # Data quality (no person, never hidden): 4 files (3 event files, the roster), 1 broken rule
    # (e12's role), 3 sources: 8 more rows.
    assert info == [(5, 10, 73 + 41 + 8, 67 + 36, 27 + 36, 40, 2 + 4)]


def test_data_quality_counts_unmatched_events(pipeline_run):
    rows = published_rows(
        pipeline_run[1],
        "select week_start, events, events_unmatched from data_quality_weekly order by week_start",
    )
    # W1: x9 is missing from the roster; W2: p7 left on 5 Sept.
    assert rows == [(W1, 12, 1), (W2, 4, 1)]


def test_published_file_holds_no_pseudonym_or_contract_extra(pipeline_run):
    columns = published_rows(
        pipeline_run[1], "select table_name, column_name from information_schema.columns"
    )
    names = {column for _, column in columns}
    assert not names & {"user_key", "event_key", "user_id", "event_id", "ip"}
    assert "suppression_reason" not in names  # which hidden rows are small stays in the warehouse
    tables = {table for table, _ in columns}
    catalog = load_catalog()
    assert tables == {*catalog.tables, *catalog.derived_tables, "release_info"}


def published_bytes(published: Path) -> dict[str, bytes]:
    """Every published table as the bytes of its CSV, in the order the file stores its rows."""
    with duckdb.connect(str(published), read_only=True) as connection:
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'main' order by 1"
        ).fetchall()
        return {
            name: polars.from_arrow(connection.sql(f"select * from {name}").to_arrow_table())
            .write_csv()
            .encode()
            for (name,) in names
        }


def test_rerun_while_a_reader_holds_the_release_gives_byte_identical_published_tables(
    pipeline_run, tmp_path, test_key
):
    published = pipeline_run[1]
    before = published_bytes(published)
    # A reader holds the release open, as the dashboard does (an in-memory database attaching
    # the file read-only, dashboards/data.py), for the whole run: the run is not blocked by it,
    # and the reader goes on answering from the release it opened.
    reader = duckdb.connect(":memory:")
    reader.execute("attach ? as release (read_only)", [str(published)])
    rows_before = reader.execute("select count(*) from release.adoption_weekly").fetchone()[0]
    landing = published.parent.parent / "landing"
    run_pipeline(landing, published.parent, keep_landing=True)
    assert reader.execute("select count(*) from release.adoption_weekly").fetchone()[0] == rows_before > 0
    reader.close()
    after = published_bytes(published)
    assert len(before) > 10 and "adoption_weekly" in before
    assert after.keys() == before.keys()
    assert [name for name in before if after[name] != before[name]] == []
