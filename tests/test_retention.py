"""Retention (DESIGN.md §4 rule 4): landing files leave, expired and leavers' data is purged,
an erasure removes one person, and the purged bytes are gone from the files.

The clock is frozen at TODAY = Wednesday 2026-10-14. Then (hand-computed):
- events cutoff: today − 365 days = Tuesday 2025-10-14; the first Monday on or after it is
  2025-10-20: events before 2025-10-20 00:00 Europe/Paris are purged (the week of 13 October
  leaves whole, its Saturday 18th included although it is only 361 days old);
- leaver cutoff: today − 90 days = 2026-07-16: memberships ended on or before it are over.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from pipelines import cli
from pipelines.pseudonymization import pseudonym
from pipelines.retention import (
    compact_database,
    drop_erased_users,
    ensure_retention_tables,
    erase_person,
    events_cutoff,
    leaver_cutoff,
    purge_expired,
)
from pipelines.runner import PipelineError, erase_account, run_pipeline
from pipelines.warehouse import connect_warehouse
from tests.conftest import TEST_KEY_HEX, write_landing

TODAY = date(2026, 10, 14)
PARIS = ZoneInfo("Europe/Paris")
SCHOOL_A, SCHOOL_B = "0920001B", "0920002C"


def paris(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


# --- Pure logic: cutoffs, purge, erasure and compaction on a hand-made warehouse ---------------


def test_cutoffs_with_a_frozen_clock():
    assert events_cutoff(TODAY) == date(2025, 10, 20)
    assert events_cutoff(date(2026, 10, 13)) == date(2025, 10, 13)  # today − 365 is a Monday
    assert events_cutoff(date(2026, 10, 19)) == date(2025, 10, 20)  # today − 365 is Sunday the 19th
    assert leaver_cutoff(TODAY) == date(2026, 7, 16)
    for day in (date(2026, 1, 1), date(2026, 3, 1), TODAY):
        assert events_cutoff(day).weekday() == 0
        assert 358 <= (day - events_cutoff(day)).days <= 365  # never more than 365 days kept


OLD_FILE, RECENT_FILE, ROSTER_FILE = "events/2025-10-19.csv", "events/2026-10-02.csv", "roster/roster.csv"
# (user, school, occurred_at in Paris time, file)
EVENTS = [
    ("stay", SCHOOL_A, "2025-10-19 23:00", OLD_FILE),  # expired: the hour before the cutoff
    ("unlisted", SCHOOL_A, "2025-10-01 10:00", OLD_FILE),  # expired
    ("stay", SCHOOL_A, "2025-10-20 00:00", RECENT_FILE),  # kept: exactly at the cutoff
    ("stay", SCHOOL_A, "2026-10-01 10:00", RECENT_FILE),
    ("leaver", SCHOOL_A, "2026-06-10 10:00", RECENT_FILE),  # leaver: recent, purged all the same
    ("grace", SCHOOL_A, "2026-07-01 10:00", RECENT_FILE),  # left on 17 July: still in the grace
    ("mover", SCHOOL_A, "2026-03-01 10:00", RECENT_FILE),  # left school A on 31 March: purged
    ("mover", SCHOOL_B, "2026-05-01 10:00", RECENT_FILE),  # still in school B: kept
    ("changed_class", SCHOOL_A, "2026-09-15 10:00", RECENT_FILE),
    ("unlisted", SCHOOL_A, "2026-09-01 10:00", RECENT_FILE),  # not in the roster: window only
    ("erased", SCHOOL_A, "2026-09-02 10:00", RECENT_FILE),  # on the deny-list, delivered again
]
# (user, school, class, end_date)
ROSTER = [
    ("stay", SCHOOL_A, "6A", None),
    ("leaver", SCHOOL_A, "6A", date(2026, 7, 16)),  # exactly at the leaver cutoff
    ("grace", SCHOOL_A, "6A", date(2026, 7, 17)),
    ("mover", SCHOOL_A, "6A", date(2026, 3, 31)),
    ("mover", SCHOOL_B, "5B", None),
    ("changed_class", SCHOOL_A, "6A", date(2025, 9, 30)),  # ended before the events cutoff
    ("changed_class", SCHOOL_A, "5B", None),
]


@pytest.fixture
def hand_made_warehouse(tmp_path: Path) -> Path:
    """Staging tables with only the columns retention reads, and balanced file bookkeeping."""
    path = tmp_path / "warehouse.duckdb"
    with connect_warehouse(path, k_school=5) as connection:
        connection.execute(
            "create table staging.stg_events (user_key varchar, school_uai varchar, "
            "occurred_hour timestamptz, delivered_on date, file_name varchar)"
        )
        connection.execute(
            "create table staging.stg_roster (user_key varchar, school_uai varchar, class_id varchar, "
            "end_date date, file_name varchar)"
        )
        connection.execute("create table intermediate.int_events as select * from staging.stg_events")
        for user, school, occurred, file_name in EVENTS:
            delivered = date.fromisoformat(file_name[7:17])
            connection.execute(
                "insert into staging.stg_events values (?, ?, ?, ?, ?)",
                [user, school, paris(occurred), delivered, file_name],
            )
        connection.executemany(
            "insert into staging.stg_roster values (?, ?, ?, ?, ?)",
            [[*row, ROSTER_FILE] for row in ROSTER],
        )
        connection.execute("insert into intermediate.int_events select * from staging.stg_events")
        for file_name, delivered in ((OLD_FILE, date(2025, 10, 19)), (RECENT_FILE, date(2026, 10, 2))):
            connection.execute(
                "insert into staging.quarantine (contract, delivered_on, file_name, file_row, rule) "
                "values ('events', ?, ?, 99, 'not one of: …')",
                [delivered, file_name],
            )
        connection.execute(
            """
            insert into staging.file_loads (contract, delivered_on, file_name, rows_read, rows_loaded,
                rows_quarantined, error)
            values ('events', date '2025-10-19', ?, 3, 2, 1, null),
                   ('events', date '2026-10-02', ?, 10, 9, 1, null),
                   ('roster', null, ?, 7, 7, 0, null)
            """,
            [OLD_FILE, RECENT_FILE, ROSTER_FILE],
        )
        ensure_retention_tables(connection)
        connection.execute("insert into raw.erased_users values ('erased')")
    return path


def test_purge_removes_expired_events_and_leavers_as_defined(hand_made_warehouse):
    with connect_warehouse(hand_made_warehouse, k_school=5) as connection:
        counts = purge_expired(connection, TODAY)
        events = connection.execute(
            "select user_key, school_uai, occurred_hour from staging.stg_events order by all"
        ).fetchall()
        memberships = connection.execute(
            "select user_key, school_uai, class_id from staging.stg_roster order by all"
        ).fetchall()
        loads = connection.execute(
            "select file_name, rows_read, rows_loaded, rows_quarantined from staging.file_loads order by all"
        ).fetchall()
        quarantined = connection.execute("select file_name from staging.quarantine").fetchall()
        logged = connection.execute("select * exclude (purged_on) from raw.purge_log").fetchall()
    assert (counts.events_cutoff, counts.leaver_cutoff) == (date(2025, 10, 20), date(2026, 7, 16))
    assert (counts.events_expired, counts.leaver_events, counts.erased_events) == (2, 2, 1)
    assert (counts.memberships_removed, counts.quarantine_rows) == (3, 1)
    assert events == [
        ("changed_class", SCHOOL_A, paris("2026-09-15 10:00")),
        ("grace", SCHOOL_A, paris("2026-07-01 10:00")),
        ("mover", SCHOOL_B, paris("2026-05-01 10:00")),
        ("stay", SCHOOL_A, paris("2025-10-20 00:00")),
        ("stay", SCHOOL_A, paris("2026-10-01 10:00")),
        ("unlisted", SCHOOL_A, paris("2026-09-01 10:00")),
    ]
    assert memberships == [
        ("changed_class", SCHOOL_A, "5B"),
        ("grace", SCHOOL_A, "6A"),
        ("mover", SCHOOL_B, "5B"),
        ("stay", SCHOOL_A, "6A"),
    ]
    # The old delivery is gone from the bookkeeping; the others still add up.
    assert loads == [(RECENT_FILE, 7, 6, 1), (ROSTER_FILE, 4, 4, 0)]
    assert quarantined == [(RECENT_FILE,)]
    assert logged == [(date(2025, 10, 20), date(2026, 7, 16), 2, 2, 1, 3, 1, False)]


def test_purge_dry_run_deletes_nothing_and_a_second_purge_finds_nothing(hand_made_warehouse):
    with connect_warehouse(hand_made_warehouse, k_school=5) as connection:
        dry = purge_expired(connection, TODAY, dry_run=True)
        assert connection.execute("select count(*) from staging.stg_events").fetchone()[0] == len(EVENTS)
        assert connection.execute("select count(*) from raw.purge_log").fetchone()[0] == 0
        first = purge_expired(connection, TODAY)
        second = purge_expired(connection, TODAY)
    assert dry == first
    assert (second.events_removed, second.memberships_removed, second.quarantine_rows) == (0, 0, 0)


def test_erasure_removes_one_person_everywhere_and_logs_counts_only(hand_made_warehouse):
    with connect_warehouse(hand_made_warehouse, k_school=5) as connection:
        counts = erase_person(connection, "mover", TODAY)
        again = erase_person(connection, "mover", TODAY)
        left = connection.execute(
            "select (select count(*) from staging.stg_events where user_key = 'mover'),"
            " (select count(*) from staging.stg_roster where user_key = 'mover'),"
            " (select count(*) from intermediate.int_events where user_key = 'mover'),"
            " (select count(*) from staging.stg_events)"
        ).fetchone()
        deny_list = connection.execute("select user_key from raw.erased_users").fetchall()
        log_columns = [row[0] for row in connection.execute("describe raw.erasure_log").fetchall()]
        log = connection.execute("select * from raw.erasure_log").fetchall()
        loads = connection.execute(
            "select file_name, rows_read, rows_loaded from staging.file_loads order by all"
        ).fetchall()
    assert (counts.events_removed, counts.memberships_removed, counts.intermediate_rows_removed) == (2, 2, 2)
    assert not counts.already_deny_listed and again.already_deny_listed
    assert left == (0, 0, 0, len(EVENTS) - 2)
    assert deny_list == [("erased",), ("mover",)]  # sorted, once each: no order links it to the log
    assert log_columns == ["requested_on", "events_removed", "memberships_removed", "completed"]
    assert log == [(TODAY, 2, 2, False), (TODAY, 0, 0, False)]
    assert loads == [(OLD_FILE, 3, 2), (RECENT_FILE, 8, 7), (ROSTER_FILE, 5, 5)]


def test_ingestion_drops_deny_listed_rows_of_the_day_only(hand_made_warehouse):
    with connect_warehouse(hand_made_warehouse, k_school=5) as connection:
        assert drop_erased_users(connection, "stg_events", date(2025, 10, 19)) == 0
        assert drop_erased_users(connection, "stg_events", date(2026, 10, 2)) == 1
        assert drop_erased_users(connection, "stg_roster") == 0


def test_compaction_removes_the_bytes_a_delete_leaves_behind(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema staging")
        connection.execute(
            "create table staging.events as select 'object-' || i as object_id, i from range(5000) t(i)"
        )
        connection.execute("insert into staging.events values ('PURGEME-3f9a61', -1), ('KEEPME-8c2e47', -2)")
        connection.execute("create view staging.recent as select * from staging.events where i < 0")
    assert b"PURGEME-3f9a61" in path.read_bytes()
    with duckdb.connect(str(path)) as connection:
        connection.execute("delete from staging.events where object_id like 'PURGEME%'")
        connection.execute("checkpoint")
    assert b"PURGEME-3f9a61" in path.read_bytes()  # a delete alone leaves the bytes in the file

    compaction = compact_database(path)

    content = path.read_bytes()
    assert b"PURGEME-3f9a61" not in content and b"KEEPME-8c2e47" in content
    assert not path.with_name(path.name + ".wal").exists()
    assert not path.with_name(path.name + ".compacting").exists()
    assert compaction.bytes_after == len(content)
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("select count(*) from staging.events").fetchone()[0] == 5001
        assert connection.execute("select object_id from staging.recent").fetchall() == [("KEEPME-8c2e47",)]


# --- Through Dagster: run (archive) → erase → run (keep) → purge, on one tiny school ------------

HEADER = "event_id,occurred_at,user_id,role,school_uai,service,action,class_id,discipline,object_id,due_at\n"


def event(event_id: str, occurred: str, user: str, action: str = "login", object_id: str = "") -> str:
    service = "ressources" if object_id else "portail"
    return f"{event_id},{occurred}:00+02:00,{user},eleve,{SCHOOL_A},{service},{action},,,{object_id},\n"


FIRST_DELIVERY = {
    # A backfill delivered on 5 October 2026: the week of Monday 13 October 2025, entirely
    # before the events cutoff; and June 2026, when p7 was still there (p7 left on 3 July
    # 2026, before the leaver cutoff of 16 July).
    "2026-10-05.csv": HEADER
    + event("o1", "2025-10-14T10", "p1", "view", "PURGEME-7c1d52")
    + event("o2", "2025-10-15T10", "p2")
    + event("o3", "2025-10-18T10", "p3")  # a Saturday, 361 days before TODAY
    + event("j1", "2026-06-15T10", "p7")
    + event("j2", "2026-06-16T10", "p1"),
    # The week of Monday 5 October 2026.
    "2026-10-07.csv": HEADER
    + event("r1", "2026-10-06T10", "p1")
    + event("r2", "2026-10-06T11", "p1", "view", "KEEPME-2b9e08")
    + event("r3", "2026-10-06T12", "p2", "view", "ERASEME-9d4f31")
    + event("r4", "2026-10-07T10", "p3")
    + event("r5", "2026-10-07T11", "p4"),
}
SECOND_DELIVERY = {
    "2026-10-04.csv": HEADER + event("s1", "2026-06-10T10", "p5"),
    # A second delivery for a day whose first file was archived; p2's event comes back.
    "2026-10-07_second.csv": HEADER + event("s2", "2026-10-07T12", "p5") + event("s3", "2026-10-07T13", "p2"),
}
ROSTER_CSV = "user_id,role,school_uai,class_id,discipline,start_date,end_date\n" + "".join(
    [f"p{n},eleve,{SCHOOL_A},6A,,,\n" for n in range(1, 7)] + [f"p7,eleve,{SCHOOL_A},6A,,,2026-07-03\n"]
)
W_OLD, W_JUNE_1, W_JUNE_2, W_OCT = date(2025, 10, 13), date(2026, 6, 8), date(2026, 6, 15), date(2026, 10, 5)


def warehouse_rows(data_dir: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def published_rows(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "published.duckdb"), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def adoption(data_dir: Path) -> dict[date, tuple[int, int]]:
    """(enrolled, active_users) of pupils per week, from the warehouse's mart."""
    rows = warehouse_rows(
        data_dir,
        "select week_start, enrolled, active_users from marts.adoption_weekly "
        "where role = 'eleve' and week_start in (?, ?, ?, ?)",
        [W_OLD, W_JUNE_1, W_JUNE_2, W_OCT],
    )
    return {week: (enrolled, active) for week, enrolled, active in rows}


def files_under(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def data_files_containing(data_dir: Path, marker: bytes) -> list[str]:
    return [
        path.relative_to(data_dir).as_posix()
        for path in data_dir.rglob("*")
        if path.is_file() and marker in path.read_bytes()
    ]


def cli_output(arguments: list[str], stdin: str = "") -> str:
    output = io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(output):
            cli.main(arguments)
    finally:
        sys.stdin = saved_stdin
    return output.getvalue()


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Each stage's observations, in order; every stage is one real Dagster run."""
    root = tmp_path_factory.mktemp("retention")
    landing = write_landing(root, FIRST_DELIVERY, ROSTER_CSV)
    data_dir, archive = root / "data", root / "archive"
    monkeypatch = pytest.MonkeyPatch()
    for name in (
        "REPERES_PSEUDONYM_KEY_FILE",
        "REPERES_DATA_DIR",
        "REPERES_LANDING_DIR",
        "REPERES_LANDING_ARCHIVE",
        "DAGSTER_HOME",
    ):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("REPERES_PSEUDONYM_KEY", TEST_KEY_HEX)
    stages: dict = {"landing": landing, "data_dir": data_dir, "archive": archive}
    try:
        first = run_pipeline(landing, data_dir, archive_dir=archive)
        stages["first_run"] = {
            "outcome": first,
            "landing": files_under(landing),
            "archive": files_under(archive / first.run_id),
            "adoption": adoption(data_dir),
            "events": warehouse_rows(data_dir, "select count(*) from staging.stg_events")[0][0],
            "erase_marker_in": data_files_containing(data_dir, b"ERASEME-9d4f31"),
        }
        erased = cli_output(
            ["erase", "--data-dir", str(data_dir), "--account-id", "-", "--today", TODAY.isoformat()],
            stdin="p2\n",
        )
        stages["erasure"] = {
            "output": erased,
            "adoption": adoption(data_dir),
            "events": warehouse_rows(data_dir, "select count(*) from staging.stg_events")[0][0],
            "erase_marker_in": data_files_containing(data_dir, b"ERASEME-9d4f31"),
            "log": warehouse_rows(data_dir, "select * from raw.erasure_log"),
        }
        for name, text in SECOND_DELIVERY.items():
            (landing / "events" / name).write_text(text, encoding="utf-8")
        second = run_pipeline(landing, data_dir, keep_landing=True)
        stages["second_run"] = {
            "outcome": second,
            "landing": files_under(landing),
            "archive": files_under(archive),
            "adoption": adoption(data_dir),
            "events_per_day": warehouse_rows(
                data_dir,
                "select delivered_on, count(*) from staging.stg_events group by all order by all",
            ),
            "p2_events": warehouse_rows(
                data_dir,
                "select count(*) from staging.stg_events where user_key = ?",
                [pseudonym(bytes.fromhex(TEST_KEY_HEX), "ent", "p2")],
            )[0][0],
            "purge_marker_in": data_files_containing(data_dir, b"PURGEME-7c1d52"),
        }
        purged = cli_output(["purge", "--data-dir", str(data_dir), "--today", TODAY.isoformat()])
        stages["purge"] = {
            "output": purged,
            "adoption": adoption(data_dir),
            "events": warehouse_rows(data_dir, "select count(*) from staging.stg_events")[0][0],
            "purge_marker_in": data_files_containing(data_dir, b"PURGEME-7c1d52"),
            "keep_marker_in": data_files_containing(data_dir, b"KEEPME-2b9e08"),
            "first_published_week": published_rows(data_dir, "select min(week_start) from adoption_weekly")[
                0
            ][0],
            "log": warehouse_rows(data_dir, "select * exclude (purged_on) from raw.purge_log"),
            "last_purge_on": published_rows(data_dir, "select last_purge_on from release_info")[0][0],
        }
    finally:
        monkeypatch.undo()
    return stages


def test_a_successful_run_archives_the_loaded_landing_files(lifecycle):
    first = lifecycle["first_run"]
    assert first["landing"] == []
    assert first["archive"] == [f"events/{name}" for name in sorted(FIRST_DELIVERY)] + ["roster/roster.csv"]
    assert (first["outcome"].landing.disposition, first["outcome"].landing.files) == ("archived", 3)
    assert first["events"] == 10
    assert first["adoption"] == {
        W_OLD: (7, 3),  # p1-p7 enrolled (p7 until July); active p1, p2, p3
        W_JUNE_1: (7, 0),
        W_JUNE_2: (7, 2),  # p7, p1
        W_OCT: (6, 4),  # p7 has left; active p1-p4
    }


def test_erasure_removes_exactly_that_person_and_prints_no_identifier(lifecycle):
    erasure = lifecycle["erasure"]
    assert erasure["events"] == 10 - 2
    # p2's membership and events are gone: one fewer enrolled, one fewer active.
    assert erasure["adoption"] == {W_OLD: (6, 2), W_JUNE_1: (6, 0), W_JUNE_2: (6, 2), W_OCT: (5, 3)}
    assert re.search(r"events removed +2\n", erasure["output"])
    assert re.search(r"roster memberships removed +1\n", erasure["output"])
    assert "p2" not in erasure["output"]
    assert pseudonym(bytes.fromhex(TEST_KEY_HEX), "ent", "p2") not in erasure["output"]
    assert erasure["log"] == [(TODAY, 2, 1, True)]
    # The erased person's own value is in no file of the data directory any more.
    assert lifecycle["first_run"]["erase_marker_in"] == ["warehouse.duckdb"]
    assert erasure["erase_marker_in"] == []


def test_keep_landing_run_keeps_files_and_loses_no_archived_day(lifecycle):
    second = lifecycle["second_run"]
    assert second["landing"] == [f"events/{name}" for name in sorted(SECOND_DELIVERY)]
    assert second["outcome"].landing.disposition == "kept"
    assert len(second["archive"]) == 3  # the first run's archive, untouched
    # 5 October (in the run's range 4-7 October, its file archived) and the first 7 October
    # file stay; the second 7 October file adds p5 and not p2, who is on the deny-list.
    assert second["events_per_day"] == [
        (date(2026, 10, 4), 1),
        (date(2026, 10, 5), 4),
        (date(2026, 10, 7), 4 + 1),
    ]
    assert second["p2_events"] == 0
    assert second["adoption"] == {W_OLD: (6, 2), W_JUNE_1: (6, 1), W_JUNE_2: (6, 2), W_OCT: (5, 4)}


def test_purge_with_a_frozen_clock_removes_rows_and_their_bytes(lifecycle):
    purge = lifecycle["purge"]
    # Expired: p1's and p3's events of the week of 13 October 2025 (p2's were erased).
    # Leaver: p7 (ended 3 July ≤ 16 July), one event and one membership.
    assert purge["log"] == [(date(2025, 10, 20), date(2026, 7, 16), 2, 1, 0, 1, 0, True)]
    assert purge["events"] == 10 - 2 - 1
    assert purge["adoption"] == {W_JUNE_1: (5, 1), W_JUNE_2: (5, 1), W_OCT: (5, 4)}
    assert purge["first_published_week"] == W_JUNE_1
    assert purge["last_purge_on"] == TODAY  # the transparency notice states it (rule 10)
    assert lifecycle["second_run"]["purge_marker_in"] == ["warehouse.duckdb"]
    assert purge["purge_marker_in"] == []
    assert purge["keep_marker_in"] == ["warehouse.duckdb"]
    assert "Warehouse compacted" in purge["output"]


def test_purge_dry_run_through_the_cli_after_the_purge_finds_nothing(lifecycle):
    output = cli_output(
        ["purge", "--data-dir", str(lifecycle["data_dir"]), "--today", TODAY.isoformat(), "--dry-run"]
    )
    assert "Dry run: nothing was deleted." in output
    assert re.search(r"\(expired\) +0\n", output)


def test_a_failed_run_leaves_the_landing_files_in_place(tmp_path, test_key):
    landing = write_landing(tmp_path, {"2026-10-07.csv": FIRST_DELIVERY["2026-10-07.csv"]}, ROSTER_CSV)
    data_dir = tmp_path / "data"
    (data_dir / "published.duckdb").mkdir(parents=True)  # the release cannot be written
    with pytest.raises(PipelineError, match="the landing files stay"):
        run_pipeline(landing, data_dir, archive_dir=tmp_path / "archive")
    assert files_under(landing) == ["events/2026-10-07.csv", "roster/roster.csv"]
    assert not (tmp_path / "archive").exists()


def test_erasure_needs_a_warehouse(tmp_path, test_key):
    with pytest.raises(PipelineError, match="no warehouse"):
        erase_account(tmp_path / "data", "p1")
