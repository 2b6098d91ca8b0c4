"""ODE (Edifice ENT Core) event store in PostgreSQL: `events.<type>_events` exported as CSV,
tests/fixtures/adapters/ode-postgres/2025-09-03-events.csv, written from the columns ENT Core's
PostgresqlEventStore writes (id, event_type, date as a local time without offset, platform_id,
ua, user_id, profile, resource_type, module), plus a `structures` column on row 3.

Hand-checked: dates are Europe/Paris local times (the store writes the server's zone):
08:00:00.123 -> 06:00Z, 09:15:00.5 -> 07:00Z (hour), 10:00 -> 08:00Z. Rows 1 and 2 have no
structure: their platform `ent-college-demo` is 0920001B in ode.yaml. Row 3 lists an unknown
structure, then b3f8…0002 = 0920002C. Row 4's platform is not mapped, row 5's module, row 6's
profile; row 7 has no date; line 9 has two cells too many (a broken line).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from pipelines.adapters import ADAPTERS
from pipelines.adapters.base import load_mapping
from pipelines.pseudonymization import pseudonym
from tests.test_adapters_common import KEY, load_fixture

ODE_POSTGRES = ADAPTERS["ode-postgres"]
FILE = "2025-09-03-events.csv"


def hour(h: int) -> datetime:
    return datetime(2025, 9, 3, h, 0, tzinfo=UTC)


def test_postgres_rows_map_through_ode_yaml_with_local_times(tmp_path):
    result = load_fixture(tmp_path, ODE_POSTGRES, FILE, date(2025, 9, 3))
    assert [row[:1] + row[3:8] for row in result["staged"]] == [
        (1, hour(6), "eleve", "0920001B", "devoirs", "view"),  # school from the platform
        (2, hour(7), "enseignant", "0920001B", "portail", "login"),
        (3, hour(8), "parent", "0920002C", "messagerie", "view"),  # first mapped structure
    ]
    users = {row[0]: row[2] for row in result["staged"]}
    # user_id is the ENT account, as in the MongoDB store and the roster: the same pseudonym.
    assert users[1] == pseudonym(KEY, "ent", "u-pupil-1")
    assert result["staged"][0][1] == pseudonym(KEY, "ent", "7a3e0c1e-0001-4d2a-9c11-000000000001")


def test_postgres_quarantines_unmapped_values_broken_lines_and_balances(tmp_path):
    result = load_fixture(tmp_path, ODE_POSTGRES, FILE, date(2025, 9, 3))
    assert result["quarantined"] == [
        (4, None, None, "platform not mapped: ent-other-platform"),
        (5, None, None, "module not mapped: Scolinfo"),
        (6, None, None, "profil not mapped: SuperAdmin"),
        (7, None, "occurred_at", "required value is missing"),
        (None, 9, None, "unreadable line: too many columns (Expected Number of Columns: 10 Found: 11)"),
    ]
    assert result["file_loads"] == [("events", 8, 3, 5)]


def test_a_server_in_utc_has_its_times_converted(tmp_path):
    """time_zone: UTC -> 08:00:00.123 is 08:00Z, not 06:00Z."""
    mapping = load_mapping("ode")
    mapping["postgres"] = {**mapping["postgres"], "time_zone": "UTC"}
    adapter = dataclasses.replace(ODE_POSTGRES, mapping_override=mapping)
    result = load_fixture(tmp_path, adapter, FILE, date(2025, 9, 3))
    assert [row[3] for row in result["staged"]] == [hour(8), hour(9), hour(10)]
