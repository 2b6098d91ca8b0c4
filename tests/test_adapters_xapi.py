"""xAPI 1.0.3 statements: a JSON array (tests/fixtures/adapters/xapi/2025-09-03.json) and
JSON Lines (2025-09-04.jsonl), written from the statement structure of the specification.

Hand-checked: 2025-09-03T08:00:00+02:00 = 06:00Z. The school comes from the context
extension when present (statement 6), else the host of object.id (lms.example.fr ->
0920001B, moodle.example.fr -> 0920002C). A `mbox` actor is the SHA-1 of its mailto IRI,
the same person as a `mbox_sha1sum` actor of that mailbox.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from pipelines.adapters import ADAPTERS
from pipelines.defs.adapters.assets import adapters
from pipelines.defs.ingestion.assets import landing_files
from pipelines.defs.resources import WarehouseResource
from pipelines.pseudonymization import pseudonym
from tests.test_adapters_common import FIXTURES, KEY, load_fixture

XAPI = ADAPTERS["xapi"]
MBOX = "mailto:canary.pupil@example.org"


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 9, day, hour, 0, tzinfo=UTC)


def test_json_array_statements_map_through_xapi_yaml(tmp_path):
    result = load_fixture(tmp_path, XAPI, "2025-09-03.json", date(2025, 9, 3))
    assert [row[:1] + row[3:] for row in result["staged"]] == [
        (1, at(3, 6), "eleve", "0920001B", "espace_cours", "view", None, "https://lms.example.fr/course/12"),
        (
            2,
            at(3, 10),
            "eleve",  # role extension "student"
            "0920002C",  # host moodle.example.fr
            "devoirs",  # object id prefix https://moodle.example.fr/mod/assign/
            "submit",
            "3A",  # class extension
            "https://moodle.example.fr/mod/assign/view.php?id=40",
        ),
    ]
    users = {row[0]: row[2] for row in result["staged"]}
    assert users[1] == pseudonym(KEY, "xapi", "u-pupil-1")
    mbox_sha1 = hashlib.sha1(MBOX.encode()).hexdigest()
    assert users[2] == pseudonym(KEY, "xapi", f"mbox_sha1sum:{mbox_sha1}")


def test_json_array_quarantines_by_rule_with_the_unmapped_value_named(tmp_path):
    result = load_fixture(tmp_path, XAPI, "2025-09-03.json", date(2025, 9, 3))
    assert result["quarantined"] == [
        (3, None, None, "statement without timestamp"),  # `stored` is not when it happened
        (4, None, None, "verb not mapped: http://example.org/verbs/xyz"),
        (5, None, None, "actor is a group, not a person"),
        (6, None, None, "activity not mapped: unknown.example.com"),
        (7, None, None, "not a JSON object"),  # an array element that is a string
    ]
    assert result["file_loads"] == [("events", 7, 2, 5)]


def test_json_lines_statements_and_mailbox_identity(tmp_path):
    result = load_fixture(tmp_path, XAPI, "2025-09-04.jsonl", date(2025, 9, 4))
    assert [row[:1] + row[3:8] for row in result["staged"]] == [
        (1, at(4, 8), "eleve", "0920001B", "espace_cours", "view"),
        (2, at(4, 8), "eleve", "0920001B", "espace_cours", "view"),
    ]
    # Statement 2 has no id: its id is the SHA-256 of its text, stable across re-exports.
    assert result["staged"][1][1] != result["staged"][0][1]
    assert result["quarantined"] == [
        (3, 3, None, "actor mbox is not a mailto: IRI"),
        (4, 4, None, "not a JSON object"),  # a truncated line
    ]
    assert result["file_loads"] == [("events", 4, 2, 2)]


def test_mbox_and_its_sha1sum_are_one_person(tmp_path):
    """Statement 1 names a `mbox`, statement 2 the `mbox_sha1sum` of that mailbox."""
    result = load_fixture(tmp_path, XAPI, "2025-09-04.jsonl", date(2025, 9, 4))
    mbox_user, sha1sum_user = (row[2] for row in result["staged"])
    assert mbox_user == sha1sum_user
    assert mbox_user == pseudonym(KEY, "xapi", "mbox_sha1sum:" + hashlib.sha1(MBOX.encode()).hexdigest())


def test_statements_that_the_xapi_model_refuses_are_quarantined_by_field_never_by_value(tmp_path):
    """Ralph's xAPI 1.0.3 model validates each statement: an id that is not a UUID, a verb id
    that is not an IRI, a malformed timestamp, a sha1sum in capitals, an object missing."""
    valid = {
        "id": "8890e6c9-3ef0-4ed3-8b37-7f3964730001",
        "actor": {"account": {"homePage": "https://ent.example.fr", "name": "u-pupil-1"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/launched"},
        "object": {"id": "https://lms.example.fr/course/12"},
        "timestamp": "2025-09-06T08:00:00Z",
    }
    statements = [
        valid,
        {**valid, "id": "CANARY-not-a-uuid"},
        {**valid, "verb": {"id": "CANARY not an IRI"}},
        {**valid, "timestamp": "CANARY yesterday"},
        {**valid, "actor": {"mbox_sha1sum": "7A5923D754BB5A27218E3CE29082635DBF3A6C1E"}},
        {key: value for key, value in valid.items() if key != "object"},
    ]
    directory = tmp_path / "landing"
    directory.mkdir()
    (directory / "2025-09-06.jsonl").write_text(
        "".join(json.dumps(statement) + "\n" for statement in statements), encoding="utf-8"
    )
    result = load_fixture(tmp_path, XAPI, "2025-09-06.jsonl", date(2025, 9, 6), directory=directory)
    assert [row[0] for row in result["staged"]] == [1]
    refused = "not a valid xAPI 1.0.3 statement: "
    assert result["quarantined"] == [
        (2, 2, None, refused + "id: uuid parsing"),
        (3, 3, None, refused + "verb.id: value error"),
        (4, 4, None, refused + "timestamp: datetime from date parsing"),
        (5, 5, None, refused + "actor.mbox_sha1sum: string pattern mismatch"),
        (6, 6, None, refused + "object: missing"),
    ]
    assert result["file_loads"] == [("events", 6, 1, 5)]
    assert not any("CANARY" in row[3] for row in result["quarantined"])


VOIDING_FILE = "2025-09-05-voiding.jsonl"
VOIDED = "voided statement: cancelled by a voiding statement"
VOIDING = "voiding statement: cancels another statement, not an activity"


def test_voiding_statements_and_the_statement_they_void_in_the_same_file_do_not_count(tmp_path):
    """2025-09-05-voiding.jsonl: 1 a launch (06:00Z), 2 a completion that 3 voids, 4 voids
    statement 1 of 2025-09-03.json (absent here: nothing to take out), 5 claims to void an
    Activity, which xAPI does not allow."""
    result = load_fixture(tmp_path, XAPI, VOIDING_FILE, date(2025, 9, 5))
    assert [row[:1] + row[3:8] for row in result["staged"]] == [
        (1, at(5, 6), "eleve", "0920001B", "espace_cours", "view"),
    ]
    assert result["quarantined"] == [
        (2, 2, None, VOIDED),
        (3, 3, None, VOIDING),
        (4, 4, None, VOIDING),
        (5, 5, None, "voiding statement whose object is not a StatementRef with an id"),
    ]
    assert result["file_loads"] == [("events", 5, 1, 4)]


def test_a_statement_voided_on_a_later_day_leaves_its_own_file_idempotently(tmp_path, test_key):
    """Real Dagster: stg_events_xapi loads 2025-09-03 (2 statements), then 2025-09-05, whose
    statement 4 voids statement 1 of 2025-09-03: that row moves to the quarantine under its own
    file, whose counts follow. Re-running either day, or both, gives the same tables."""
    landing = tmp_path / "landing"
    (landing / "xapi").mkdir(parents=True)
    for name in ("2025-09-03.json", VOIDING_FILE):
        shutil.copyfile(FIXTURES / "xapi" / name, landing / "xapi" / name)
    asset = next(a for a in adapters().assets if a.key.to_user_string() == "stg_events_xapi")
    resources = {"warehouse": WarehouseResource(data_dir=str(tmp_path / "data"), landing_dir=str(landing))}
    (tmp_path / "data").mkdir()

    def run(day: str) -> None:
        assert dg.materialize([landing_files, asset], resources=resources, partition_key=day).success

    def state() -> tuple:
        with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb"), read_only=True) as connection:
            return (
                connection.execute(
                    "select file_name, file_row from staging.stg_events order by all"
                ).fetchall(),
                connection.execute(
                    "select file_name, file_row, rule from staging.quarantine where rule = ? order by all",
                    [VOIDED],
                ).fetchall(),
                connection.execute(
                    "select file_name, rows_read, rows_loaded, rows_quarantined from staging.file_loads order by all"
                ).fetchall(),
            )

    run("2025-09-03")
    assert state()[0] == [("xapi/2025-09-03.json", 1), ("xapi/2025-09-03.json", 2)]
    run("2025-09-05")
    expected = (
        [("xapi/2025-09-03.json", 2), ("xapi/2025-09-05-voiding.jsonl", 1)],
        [("xapi/2025-09-03.json", 1, VOIDED), ("xapi/2025-09-05-voiding.jsonl", 2, VOIDED)],
        [("xapi/2025-09-03.json", 7, 1, 6), ("xapi/2025-09-05-voiding.jsonl", 5, 1, 4)],
    )
    assert state() == expected
    run("2025-09-03")  # the voided statement's day again: loaded, then taken out again
    assert state() == expected
    run("2025-09-05")
    assert state() == expected
