"""The simulated département: contract shape, planted mess, homework lifecycle, determinism.

The runs are tiny (two collèges, three weeks from 6 October 2025: two school
weeks then the first week of the Toussaint break) so every check can be made
row by row in plain Python.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from dataclasses import FrozenInstanceError
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.school_calendar import is_school_day
from pipelines.simulator import EVENT_COLUMNS, ROSTER_COLUMNS, department, simulate
from pipelines.simulator.population import school_kinds

PARIS = ZoneInfo("Europe/Paris")
START = date(2025, 10, 6)
WEEKS = 3
SCHOOLS = 2
SEED = 7
END = START + timedelta(days=WEEKS * 7 - 1)

ROLES = {"eleve", "parent", "enseignant", "personnel", "autre"}
SERVICES = {
    "portail",
    "cahier_de_textes",
    "devoirs",
    "messagerie",
    "espace_cours",
    "calendrier",
    "actualites",
    "ressources",
}
ACTIONS = {"login", "view", "create", "update", "submit", "send", "read", "comment", "delete"}
KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
CLASS_ID = re.compile(r"^([6543][A-H]|2NDE\d+|1G\d+|TG\d+|(CP|CE1|CE2|CM1|CM2)[AB])$")
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def _run(root: Path, name: str, **kwargs):
    out = root / name
    args = dict(schools=SCHOOLS, start=START, weeks=WEEKS, seed=SEED) | kwargs
    return out, simulate(out, **args)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("simulator")


@pytest.fixture(scope="module")
def parquet_run(root):
    return _run(root, "parquet")


@pytest.fixture(scope="module")
def csv_run(root):
    return _run(root, "csv", file_format="csv")


@pytest.fixture(scope="module")
def jsonl_run(root):
    return _run(root, "jsonl", file_format="jsonl")


def _read_parquet(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "events").iterdir()):
        for row in pq.read_table(path).to_pylist():
            row["file"] = path.stem
            rows.append(row)
    return rows


def _parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    assert ISO_WITH_OFFSET.match(value), value
    ts = datetime.fromisoformat(value)
    # The offset written is Paris's offset at that instant.
    assert ts.utcoffset() == ts.astimezone(PARIS).utcoffset(), value
    return ts


def _read_text(out: Path, file_format: str) -> list[dict]:
    rows = []
    for path in sorted((out / "events").iterdir()):
        with path.open(encoding="utf-8", newline="") as f:
            if file_format == "csv":
                reader = csv.DictReader(f)
                assert tuple(reader.fieldnames) == EVENT_COLUMNS
                raw = [{k: (v if v != "" else None) for k, v in r.items()} for r in reader]
            else:
                raw = [json.loads(line) for line in f]
        for row in raw:
            assert tuple(row) == EVENT_COLUMNS
            row["occurred_at"] = _parse_ts(row["occurred_at"])
            row["due_at"] = _parse_ts(row["due_at"])
            row["file"] = path.stem
            rows.append(row)
    return rows


def _read_roster(out: Path) -> list[dict]:
    with (out / "roster" / "roster.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == ROSTER_COLUMNS
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in reader]


def _local_day(ts: datetime) -> date:
    return ts.astimezone(PARIS).date()


def _period(row: dict) -> tuple[date, date]:
    lo = date.fromisoformat(row["start_date"]) if row["start_date"] else date.min
    hi = date.fromisoformat(row["end_date"]) if row["end_date"] else date.max
    return lo, hi


@pytest.fixture(scope="module")
def rows(parquet_run) -> list[dict]:
    return _read_parquet(parquet_run[0])


@pytest.fixture(scope="module")
def events(rows) -> list[dict]:
    """Distinct events (re-deliveries removed), in time order."""
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row["event_id"], row)
    return sorted(seen.values(), key=lambda r: (r["occurred_at"], r["action"] != "login"))


@pytest.fixture(scope="module")
def roster(parquet_run) -> list[dict]:
    return _read_roster(parquet_run[0])


# --- files and summary ------------------------------------------------------------------------


def test_one_file_per_day_and_a_consistent_summary(parquet_run, rows, events, roster):
    out, summary = parquet_run
    files = sorted(p.name for p in (out / "events").iterdir())
    expected = [(START + timedelta(days=i)).isoformat() + ".parquet" for i in range(WEEKS * 7)]
    assert files == expected  # weekends and holidays still get a trickle, hence a file
    assert summary.schools == SCHOOLS
    assert summary.days == WEEKS * 7
    assert summary.event_files == len(files)
    assert summary.files == len(files) + 1  # plus the roster
    assert summary.rows == len(rows)
    assert summary.events == len(events)
    assert summary.roster_rows == len(roster)
    assert summary.accounts == len({r["user_id"] for r in roster})
    with pytest.raises(FrozenInstanceError):
        summary.events = 0  # type: ignore[misc]


def test_parquet_columns_and_types(parquet_run):
    schema = pq.read_schema(next((parquet_run[0] / "events").iterdir()))
    assert tuple(schema.names) == EVENT_COLUMNS
    for name in EVENT_COLUMNS:
        if name in ("occurred_at", "due_at"):
            assert schema.field(name).type == pa.timestamp("us", tz="UTC"), name
        else:
            assert schema.field(name).type == pa.string(), name


def test_volume_is_that_of_real_collèges(events):
    # Two collèges of ~450–700 pupils, adoption ramping up from the start date.
    per_day = Counter(_local_day(e["occurred_at"]) for e in events)
    second_week = [per_day[START + timedelta(days=7 + i)] for i in range(5)]
    assert all(1_000 <= n <= 40_000 for n in second_week), second_week


def test_enums(events):
    assert {e["service"] for e in events} == SERVICES
    assert {e["action"] for e in events} <= ACTIONS
    assert {e["role"] for e in events} >= ROLES - {"autre"}


def test_uai_key_letters(events, roster):
    uais = {e["school_uai"] for e in events} | {r["school_uai"] for r in roster}
    assert len(uais) == SCHOOLS
    for uai in uais:
        assert re.fullmatch(r"092\d{4}[A-Z]", uai), uai
        assert uai[7] == KEY_LETTERS[int(uai[:7]) % 23], uai


def test_every_day_file_holds_that_paris_day_plus_yesterdays_redeliveries(rows):
    first_seen: dict[str, str] = {}
    for row in rows:
        day = _local_day(row["occurred_at"]).isoformat()
        if row["event_id"] not in first_seen:
            first_seen[row["event_id"]] = row["file"]
            assert row["file"] == day
        else:
            assert row["file"] == (date.fromisoformat(day) + timedelta(days=1)).isoformat()


# --- planted mess -----------------------------------------------------------------------------


def test_redeliveries_are_exact_copies_and_rare(rows, parquet_run):
    by_id: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_id[row["event_id"]].append(row)
    dups = {k: v for k, v in by_id.items() if len(v) > 1}
    assert dups, "some events must be re-delivered"
    for copies in dups.values():
        assert len(copies) == 2
        a, b = ({k: v for k, v in c.items() if k != "file"} for c in copies)
        assert a == b
    share = len(dups) / len(by_id)
    assert 0.0005 < share < 0.006, share
    assert parquet_run[1].redelivered_events == len(dups)


def test_only_planted_accounts_are_missing_from_the_roster(events, roster, parquet_run):
    dept = department(SCHOOLS, START, WEEKS, SEED)
    ghosts = {dept.user_ids[int(g)].as_py() for s in dept.schools for g in s.ghosts}
    known = {r["user_id"] for r in roster}
    unknown = [e for e in events if e["user_id"] not in known]
    assert {e["user_id"] for e in unknown} <= ghosts
    assert ghosts.isdisjoint(known)
    per_school = Counter(e["school_uai"] for e in unknown)
    assert len(per_school) == SCHOOLS  # each school shows the case…
    assert all(n <= 40 for n in per_school.values())  # …with a handful of events
    assert len(unknown) == parquet_run[1].unrostered_events


def test_a_few_malformed_roles(events, parquet_run):
    bad = [e for e in events if e["role"] not in ROLES]
    assert len({e["school_uai"] for e in bad}) == SCHOOLS  # at least one per school
    assert len(bad) / len(events) < 1e-3
    assert {e["role"] for e in bad} <= {"ELEVE?", "Eleve", "Relative", "prof", "Personnel", "Guest"}
    assert len(bad) == parquet_run[1].bad_role_events


# --- behaviour --------------------------------------------------------------------------------


def test_every_user_starts_with_a_login(events):
    first: dict[str, dict] = {}
    for e in events:
        first.setdefault(e["user_id"], e)
    assert all((f["service"], f["action"]) == ("portail", "login") for f in first.values())


def test_holidays_and_nights_only_get_a_trickle(events):
    per_day = Counter(_local_day(e["occurred_at"]) for e in events)
    school_week = [per_day[date(2025, 10, 13) + timedelta(days=i)] for i in range(5)]
    holiday_week = [per_day[date(2025, 10, 20) + timedelta(days=i)] for i in range(5)]
    assert not any(is_school_day(date(2025, 10, 20) + timedelta(days=i)) for i in range(5))
    assert max(holiday_week) < 0.2 * (sum(school_week) / 5), (holiday_week, school_week)
    assert min(holiday_week) > 0  # pupils and parents still drop by
    weekend = [per_day[date(2025, 10, 11)], per_day[date(2025, 10, 12)]]
    assert max(weekend) < 0.5 * (sum(school_week) / 5)
    night = sum(1 for e in events if 1 <= e["occurred_at"].astimezone(PARIS).hour < 5)
    assert night / len(events) < 0.01


def test_teachers_post_only_after_lessons_on_school_days(events, roster):
    taught = {(r["user_id"], r["class_id"]): r["discipline"] for r in roster if r["role"] == "enseignant"}
    posts = [e for e in events if e["action"] == "create" and e["service"] in ("cahier_de_textes", "devoirs")]
    assert posts
    for e in posts:
        assert is_school_day(_local_day(e["occurred_at"])), e
        assert e["occurred_at"].astimezone(PARIS).hour >= 8
        assert taught[(e["user_id"], e["class_id"])] == e["discipline"]
        prefix = "CDT-" if e["service"] == "cahier_de_textes" else "DEV-"
        assert e["object_id"].startswith(prefix)
        assert (e["due_at"] is not None) == (e["service"] == "devoirs")


def test_parents_mostly_read_messages_in_the_evening(events):
    parent = [e for e in events if e["role"] == "parent" and e["action"] != "login"]
    kinds = Counter((e["service"], e["action"]) for e in parent)
    assert kinds.most_common(1)[0][0] == ("messagerie", "read")
    assert kinds[("messagerie", "read")] > 0.4 * len(parent)
    hours = Counter(e["occurred_at"].astimezone(PARIS).hour for e in parent)
    assert sum(hours[h] for h in (19, 20, 21)) > sum(hours[h] for h in (9, 10, 11))


def test_wednesday_afternoon_is_free_for_pupils(events):
    def afternoon_share(weekday: int) -> float:
        pupil = [
            e["occurred_at"].astimezone(PARIS)
            for e in events
            if e["role"] == "eleve"
            and is_school_day(_local_day(e["occurred_at"]))
            and _local_day(e["occurred_at"]).weekday() == weekday
        ]
        return sum(1 for t in pupil if 13 <= t.hour < 16) / len(pupil)

    assert afternoon_share(2) > 2 * afternoon_share(1)


# --- homework ---------------------------------------------------------------------------------


def test_homework_lifecycle(events, roster):
    homework = {e["object_id"]: e for e in events if (e["service"], e["action"]) == ("devoirs", "create")}
    assert len(homework) >= 20
    for hw in homework.values():
        days = (_local_day(hw["due_at"]) - _local_day(hw["occurred_at"])).days
        assert 2 <= days <= 22, hw
        assert hw["class_id"] and hw["discipline"]
    pupil_rows = defaultdict(list)
    for r in roster:
        if r["role"] == "eleve":
            pupil_rows[r["user_id"]].append(r)

    submits = [e for e in events if (e["service"], e["action"]) == ("devoirs", "submit")]
    first_submit: dict[tuple[str, str], datetime] = {}
    for s in submits:
        hw = homework[s["object_id"]]  # every submission names an existing homework…
        assert s["class_id"] == hw["class_id"]
        assert s["role"] == "eleve" or s["role"] not in ROLES
        # …of a class the pupil is enrolled in when submitting.
        day = _local_day(s["occurred_at"])
        assert any(
            r["class_id"] == hw["class_id"]
            and r["school_uai"] == hw["school_uai"]
            and _period(r)[0] <= day <= _period(r)[1]
            for r in pupil_rows[s["user_id"]]
        ), s
        first_submit.setdefault((s["user_id"], s["object_id"]), s["occurred_at"])
    resubmitted = Counter((s["user_id"], s["object_id"]) for s in submits)
    assert any(n > 1 for n in resubmitted.values())

    outcome = Counter()
    for hw_id, hw in homework.items():
        due_day = _local_day(hw["due_at"])
        if due_day >= END:
            continue  # not yet due when the period ends
        for user, memberships in pupil_rows.items():
            if not any(
                r["class_id"] == hw["class_id"]
                and r["school_uai"] == hw["school_uai"]
                and _period(r)[0] <= due_day <= _period(r)[1]
                for r in memberships
            ):
                continue
            sub = first_submit.get((user, hw_id))
            if sub is None:
                outcome["missing"] += 1
            elif sub <= hw["due_at"]:
                outcome["on_time"] += 1
                outcome["exactly_at_deadline"] += sub == hw["due_at"]
            else:
                outcome["late"] += 1
    assert outcome["on_time"] > outcome["late"] > 0, outcome
    assert outcome["missing"] > 0, outcome
    assert outcome["exactly_at_deadline"] > 0, outcome


def test_pupils_view_the_homework_they_submit(events):
    views = {
        (e["user_id"], e["object_id"])
        for e in events
        if (e["service"], e["action"]) == ("devoirs", "view") and e["object_id"]
    }
    submits = {
        (e["user_id"], e["object_id"]) for e in events if (e["service"], e["action"]) == ("devoirs", "submit")
    }
    assert submits <= views


# --- formats and determinism ------------------------------------------------------------------


def _comparable(rows: list[dict]) -> list[tuple]:
    return sorted(tuple(r[c] for c in EVENT_COLUMNS) + (r["file"],) for r in rows)


def test_csv_and_jsonl_hold_the_same_rows_as_parquet(rows, csv_run, jsonl_run, parquet_run):
    expected = _comparable(rows)
    assert _comparable(_read_text(csv_run[0], "csv")) == expected
    assert _comparable(_read_text(jsonl_run[0], "jsonl")) == expected
    for out, _ in (csv_run, jsonl_run):
        assert (out / "roster" / "roster.csv").read_bytes() == (
            parquet_run[0] / "roster" / "roster.csv"
        ).read_bytes()
    sample = (csv_run[0] / "events" / "2025-10-13.csv").read_text(encoding="utf-8").splitlines()
    assert sample[0] == ",".join(EVENT_COLUMNS)
    assert "+02:00" in sample[1]


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(root, parquet_run):
    again, _ = _run(root, "parquet-again")
    assert _files(again) == _files(parquet_run[0])
    other, _ = _run(root, "other-seed", seed=SEED + 1)
    a, b = _files(other), _files(parquet_run[0])
    assert a.keys() == b.keys()
    assert a["roster/roster.csv"] != b["roster/roster.csv"]
    assert all(a[k] != b[k] for k in a if k.startswith("events/"))


def test_rerun_into_the_same_folder_leaves_no_stale_day(tmp_path):
    simulate(tmp_path, schools=1, start=START, weeks=2, seed=1)
    summary = simulate(tmp_path, schools=1, start=START, weeks=1, seed=1, file_format="csv")
    assert sorted(p.name for p in (tmp_path / "events").iterdir()) == [
        f"{(START + timedelta(days=i)).isoformat()}.csv" for i in range(7)
    ]
    assert summary.event_files == 7


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="format"):
        simulate(tmp_path, schools=1, weeks=1, file_format="xlsx")
    with pytest.raises(ValueError, match="weeks"):
        simulate(tmp_path, schools=1, weeks=0)
    with pytest.raises(ValueError, match="school"):
        simulate(tmp_path, schools=0, weeks=1)


def test_progress_is_reported(tmp_path):
    messages: list[str] = []
    simulate(tmp_path, schools=1, start=START, weeks=1, seed=3, progress=messages.append)
    assert any("week 1/1" in m for m in messages)
    assert messages[-1].startswith("done")


# --- the annuaire -----------------------------------------------------------------------------


def test_school_mix():
    assert school_kinds(1) == ["college"]
    assert Counter(school_kinds(10)) == {"college": 8, "lycee": 1, "ecole": 1}


@pytest.fixture(scope="module")
def big_roster() -> list[dict]:
    table = department(10, date(2025, 9, 1), 36, 42).roster_table()
    out = []
    for r in table.to_pylist():
        for k in ("start_date", "end_date"):
            r[k] = r[k].isoformat() if r[k] else None
        out.append(r)
    return out


def test_classes_and_pupils(big_roster):
    pupils = [r for r in big_roster if r["role"] == "eleve"]
    per_class = defaultdict(set)
    for r in pupils:
        assert CLASS_ID.match(r["class_id"]), r["class_id"]
        per_class[(r["school_uai"], r["class_id"])].add(r["user_id"])
    # 20–32 drawn per class, plus the odd pupil who moved in during the year.
    assert all(20 <= len(v) <= 34 for v in per_class.values())
    labels = {c for _, c in per_class}
    assert {"6A", "3D", "2NDE1", "1G1", "TG1", "CPA", "CM2A"} <= labels
    joiners = sum(1 for r in pupils if r["start_date"])
    leavers = sum(1 for r in pupils if r["end_date"])
    n = len({r["user_id"] for r in pupils})
    assert 0.01 < joiners / n < 0.04
    assert 0.01 < leavers / n < 0.04


def test_class_changes_are_two_consecutive_rows(big_roster):
    by_pupil = defaultdict(list)
    for r in big_roster:
        if r["role"] == "eleve":
            by_pupil[r["user_id"]].append(r)
    moved = [rs for rs in by_pupil.values() if len(rs) > 1]
    assert 0 < len(moved) < 0.02 * len(by_pupil)
    for rs in moved:
        old, new = sorted(rs, key=lambda r: r["start_date"] or "")
        assert old["class_id"] != new["class_id"]
        assert old["class_id"][0] == new["class_id"][0]  # same level
        assert date.fromisoformat(old["end_date"]) + timedelta(days=1) == date.fromisoformat(
            new["start_date"]
        )


def test_parents_teachers_and_staff(big_roster):
    by_role = defaultdict(list)
    for r in big_roster:
        by_role[r["role"]].append(r)
    assert set(by_role) == ROLES - {"autre"}
    pupils = {r["user_id"] for r in by_role["eleve"]}
    parents = defaultdict(set)
    for r in by_role["parent"]:
        parents[r["user_id"]].add((r["school_uai"], r["class_id"]))
    assert 1.2 < len(parents) / len(pupils) < 2.0
    assert any(len(c) == 2 for c in parents.values())  # parents of siblings: one row per class
    classes = defaultdict(set)
    for r in by_role["enseignant"]:
        assert r["discipline"] and r["class_id"]
        assert r["start_date"] is None and r["end_date"] is None
        classes[(r["user_id"], r["discipline"])].add(r["class_id"])
    specialists = [c for (_, d), c in classes.items() if d != "POLYVALENT"]
    assert all(1 <= len(c) <= 6 for c in specialists)
    assert sum(3 <= len(c) <= 6 for c in specialists) > 0.9 * len(specialists)
    for r in by_role["personnel"]:
        assert r["class_id"] is None and r["discipline"] is None
    accounts = len({r["user_id"] for r in big_roster})
    staff = len({r["user_id"] for r in by_role["personnel"]})
    assert 0.05 <= staff / accounts <= 0.10
    ids = [r["user_id"] for r in big_roster]
    assert all(re.fullmatch(r"ENT[0-9a-f]{16}", i) for i in ids)
    # One account, one role, one school: ids never collide across the département.
    owner = {}
    for r in big_roster:
        assert owner.setdefault(r["user_id"], (r["role"], r["school_uai"])) == (
            r["role"],
            r["school_uai"],
        )
