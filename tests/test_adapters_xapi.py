"""xAPI 1.0.3 statements: a JSON array (tests/fixtures/adapters/xapi/2025-09-03.json) and
JSON Lines (2025-09-04.jsonl), written from the statement structure of the specification.

Hand-checked: 2025-09-03T08:00:00+02:00 = 06:00Z. The school comes from the context
extension when present (statement 6), else the host of object.id (lms.example.fr ->
0920001B, moodle.example.fr -> 0920002C). A `mbox` actor is the SHA-1 of its mailto IRI,
the same person as a `mbox_sha1sum` actor of that mailbox.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from pipelines.adapters import ADAPTERS
from pipelines.pseudonymization import pseudonym
from tests.test_adapters_common import KEY, load_fixture

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
    """Statement 1 names a `mbox`, statement 2 the `mbox_sha1sum` of that mailbox (upper case)."""
    result = load_fixture(tmp_path, XAPI, "2025-09-04.jsonl", date(2025, 9, 4))
    mbox_user, sha1sum_user = (row[2] for row in result["staged"])
    assert mbox_user == sha1sum_user
    assert mbox_user == pseudonym(KEY, "xapi", "mbox_sha1sum:" + hashlib.sha1(MBOX.encode()).hexdigest())
