"""ODE (Edifice ENT Core) event store, JSON Lines: tests/fixtures/adapters/ode/2025-09-03.jsonl.

Hand-checked: 1756879200000 ms = 2025-09-03T06:00:00Z; 1756880100000 = 06:15Z; 1756883700000
= 07:15Z. Line 3 is a teacher attached to three structures: the first is unknown, the
second is 0920002C, the third 0920001B -> the event counts once, in 0920002C (the first
mapped). Line 9 re-delivers line 1 (a duplicate, counted downstream by int_file_balance).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from pipelines.adapters import ADAPTERS
from pipelines.pseudonymization import pseudonym
from tests.test_adapters_common import FIXTURES, KEY, load_fixture

ODE = ADAPTERS["ode"]


def hour(h: int) -> datetime:
    return datetime(2025, 9, 3, h, 0, tzinfo=UTC)


def test_ode_events_map_through_ode_yaml(tmp_path):
    result = load_fixture(tmp_path, ODE, "2025-09-03.jsonl", date(2025, 9, 3))
    assert [row[:1] + row[3:] for row in result["staged"]] == [
        (1, hour(6), "eleve", "0920001B", "portail", "login", None, None),
        (2, hour(6), "eleve", "0920001B", "devoirs", "view", None, None),  # {"$date": {"$numberLong"}}
        (3, hour(7), "enseignant", "0920002C", "devoirs", "create", None, None),  # first mapped structure
        (9, hour(6), "eleve", "0920001B", "portail", "login", None, None),
    ]
    event_keys = {row[0]: row[1] for row in result["staged"]}
    assert event_keys[3] == pseudonym(KEY, "ent", "66d6c0a0e4b0a1b2c3d4e5f6")  # Mongo {"$oid": …}
    assert event_keys[9] == event_keys[1]  # the re-delivered event is the same event


def test_ode_user_ids_share_the_native_pseudonym_space(tmp_path):
    """ODE's userId is the ENT account id: same pseudonym as in native files and the roster."""
    result = load_fixture(tmp_path, ODE, "2025-09-03.jsonl", date(2025, 9, 3))
    users = {row[0]: row[2] for row in result["staged"]}
    assert users[1] == pseudonym(KEY, "ent", "u-pupil-1")
    assert users[3] == pseudonym(KEY, "ent", "u-teacher-1")


def test_ode_quarantines_unmapped_values_by_name_and_balances(tmp_path):
    result = load_fixture(tmp_path, ODE, "2025-09-03.jsonl", date(2025, 9, 3))
    assert result["quarantined"] == [
        (4, 4, None, "module not mapped: Scolinfo"),
        (5, 5, None, "structure not mapped: unknown-structure-9"),
        (6, 6, None, "event-type not mapped: TELEPORT"),
        (7, 7, "occurred_at", "required value is missing"),
        (8, 8, None, "not a JSON object"),  # a truncated line
    ]
    load = result["load"]
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (9, 4, 5)
    assert result["file_loads"] == [("events", 9, 4, 5)]


def test_mongoexport_json_array_and_json_lines_named_json_both_read(tmp_path):
    """mongoexport writes JSON Lines by default (often named .json) and an array with --jsonArray."""
    lines = (FIXTURES / "ode" / "2025-09-03.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    (tmp_path / "2025-09-03-lines.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    array = [json.loads(line) for line in lines]
    (tmp_path / "2025-09-03-array.json").write_text(json.dumps(array, indent=2), encoding="utf-8")
    expected = [
        (1, hour(6), "eleve", "0920001B", "portail", "login"),
        (2, hour(6), "eleve", "0920001B", "devoirs", "view"),
        (3, hour(7), "enseignant", "0920002C", "devoirs", "create"),
    ]
    for name in ("2025-09-03-lines.json", "2025-09-03-array.json"):
        result = load_fixture(
            tmp_path / name.removesuffix(".json"), ODE, name, date(2025, 9, 3), directory=tmp_path
        )
        assert [row[:1] + row[3:8] for row in result["staged"]] == expected, name
        assert result["quarantined"] == [], name
