"""Moodle: logstore_standard_log as CSV, and the "Journaux" report of a course (French and English).

logstore fixture (tests/fixtures/adapters/moodle/2025-09-03.csv), hand-checked:
timecreated 1756879200 = 2025-09-03T06:00:00Z, 1756880100 = 06:15Z, 1756883700 = 07:15Z,
1756887300 = 08:15Z. Course 2 is class 3A of 0920001B, course 3 class 3B; user 5 is a teacher
in moodle.yaml. Row 5 is "log in as" (realuserid 2), row 6 a cron task (origin cli), row 7 a
failed log-in (userid 0), row 8 an unmapped eventname, row 9 an unmapped course (99), row 11
an anonymous forum post (anonymous = 1) by user 7.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from pipelines.adapters import ADAPTERS
from pipelines.adapters.base import load_mapping
from pipelines.adapters.moodle import MappingError
from pipelines.pseudonymization import pseudonym
from tests.test_adapters_common import FIXTURES, KEY, load_fixture

MOODLE = ADAPTERS["moodle"]
REPORT = ADAPTERS["moodle-report"]
LOGGED_AS = "'log in as' row: done by another account in the user's name"
ANONYMOUS = "anonymous row (anonymous = 1): never attributed to a user"


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 9, day, hour, 0, tzinfo=UTC)


def test_logstore_rows_map_through_moodle_yaml(tmp_path):
    result = load_fixture(tmp_path, MOODLE, "2025-09-03.csv", date(2025, 9, 3))
    assert [row[:1] + row[3:] for row in result["staged"]] == [
        (1, at(3, 6), "eleve", "0920001B", "portail", "login", None, None),  # courseid 0: site_school
        (2, at(3, 6), "eleve", "0920001B", "espace_cours", "view", "3A", None),
        (3, at(3, 7), "enseignant", "0920001B", "espace_cours", "create", "3A", "40"),
        (4, at(3, 8), "eleve", "0920001B", "devoirs", "submit", "3A", "40"),  # origin ws (app)
        (10, at(3, 8), "eleve", "0920001B", "ressources", "view", "3B", "43"),  # by component + crud
    ]
    users = {row[0]: row[2] for row in result["staged"]}
    # Moodle's userid is its own id space: never the pseudonym of the same id in the ENT.
    assert users[4] == pseudonym(KEY, "moodle", "7") != pseudonym(KEY, "ent", "7")


def test_logstore_quarantines_system_logged_as_anonymous_and_unmapped_rows(tmp_path):
    result = load_fixture(tmp_path, MOODLE, "2025-09-03.csv", date(2025, 9, 3))
    assert result["quarantined"] == [
        (5, None, None, LOGGED_AS),  # neither the admin's action nor the user's
        (6, None, None, "system row (origin cli): not a person's action"),
        (7, None, None, "no user (userid 0: not logged in)"),
        (8, None, None, "eventname not mapped: \\mod_wiki\\event\\page_viewed"),
        (9, None, None, "course not mapped: 99"),
        (11, None, None, ANONYMOUS),  # user 7 posted anonymously: never counted for them
    ]
    assert result["file_loads"] == [("events", 11, 5, 6)]


def test_logged_as_row_is_counted_for_nobody(tmp_path):
    """Row 5: the admin (realuserid 2) acting as user 8. It counts for neither: the admin is
    never staged, and user 8 only through row 10, an action of their own."""
    result = load_fixture(tmp_path, MOODLE, "2025-09-03.csv", date(2025, 9, 3))
    users = {row[2] for row in result["staged"]}
    assert users == {pseudonym(KEY, "moodle", user) for user in ("5", "7", "8")}
    assert [row[0] for row in result["staged"] if row[2] == pseudonym(KEY, "moodle", "8")] == [10]


def test_french_report_maps_day_first_paris_times_and_pseudonymizes_names(tmp_path):
    result = load_fixture(tmp_path, REPORT, "2025-09-03-journaux-3A.csv", date(2025, 9, 3))
    assert [row[:1] + row[3:] for row in result["staged"]] == [
        (1, at(3, 6), "eleve", "0920001B", "espace_cours", "view", None, None),  # 08:00 Paris
        (2, at(3, 8), "eleve", "0920001B", "devoirs", "submit", None, None),  # 10:15 Paris
        (3, at(3, 7), "enseignant", "0920001B", "espace_cours", "create", None, None),  # role by event
    ]
    users = [row[2] for row in result["staged"]]
    assert users[0] == users[1] == pseudonym(KEY, "moodle-report", "Léa CANARYNOM")
    assert result["quarantined"] == [
        (4, None, None, LOGGED_AS),  # "Admin Moodle en tant que Léa …"
        (5, None, None, "system row (origin cli): not a person's action"),
        (6, None, None, "event name not mapped: Page du wiki consultée"),
        (7, None, "occurred_at", "not an ISO 8601 timestamp"),  # 31/09 does not exist
    ]
    assert result["file_loads"] == [("events", 7, 3, 4)]


def test_english_report_headers_are_read_too(tmp_path):
    result = load_fixture(tmp_path, REPORT, "2025-09-04-logs-en.csv", date(2025, 9, 4))
    assert [row[:1] + row[3:8] for row in result["staged"]] == [
        (1, at(4, 6), "eleve", "0920001B", "espace_cours", "view"),  # 08:42 Paris -> 06:00 UTC hour
    ]
    assert result["quarantined"] == [(2, None, None, LOGGED_AS)]  # "Admin User as Léa …"


def test_roles_come_from_the_yaml_then_the_role_file_then_the_teaching_level(tmp_path):
    """Role file: user 5 'student' (but moodle.yaml says enseignant, and wins), user 7
    'editingteacher' -> enseignant, user 8 first 'inspecteur' (unmapped: quarantined), then
    'student' (a second row is ignored)."""
    roles = tmp_path / "moodle_roles.csv"
    roles.write_text("userid,role\n5,student\n7,editingteacher\n8,inspecteur\n8,student\n", encoding="utf-8")
    mapping = {**load_mapping("moodle"), "users_file": str(roles)}
    adapter = dataclasses.replace(MOODLE, mapping_override=mapping)
    result = load_fixture(
        tmp_path, adapter, "2025-09-03.csv", date(2025, 9, 3), directory=FIXTURES / "moodle"
    )
    assert [(row[0], row[4]) for row in result["staged"]] == [
        (1, "enseignant"),
        (2, "enseignant"),
        (3, "enseignant"),  # user 5, from moodle.yaml
        (4, "enseignant"),
    ]
    assert (10, None, None, "role not mapped: inspecteur") in result["quarantined"]
    assert result["file_loads"] == [("events", 11, 4, 7)]


def test_a_missing_role_file_stops_the_load_with_its_name(tmp_path):
    mapping = {**load_mapping("moodle"), "users_file": "nowhere/roles.csv"}
    adapter = dataclasses.replace(MOODLE, mapping_override=mapping)
    with pytest.raises(MappingError, match="users_file: .*nowhere/roles.csv does not exist"):
        load_fixture(tmp_path, adapter, "2025-09-03.csv", date(2025, 9, 3))
