"""Ingestion of one file: contract rules give quarantined rows with file, row, column and rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from data_contracts.contracts import is_valid_uai, load_contract
from pipelines.ingestion import delivery_day, ensure_staging_table, load_file
from pipelines.pseudonymization import install_pseudonym_macro, pseudonym
from pipelines.warehouse import connect_warehouse

KEY = bytes(range(32))
HEADER = "event_id,occurred_at,user_id,role,school_uai,service,action,email\n"


def load(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    contract = load_contract("events")
    with connect_warehouse(tmp_path / "warehouse.duckdb", k_school=5) as connection:
        install_pseudonym_macro(connection, KEY)
        ensure_staging_table(connection, contract, "stg_events")
        outcome = load_file(
            connection, path, f"events/{name}", contract, "stg_events", "ent", date(2025, 9, 1)
        )
        staged = connection.execute(
            "select event_key, user_key, occurred_hour, file_row from staging.stg_events order by file_row"
        ).fetchall()
        quarantined = connection.execute(
            "select file_name, file_row, column_name, rule, observed_value from staging.quarantine order by file_row"
        ).fetchall()
        columns = [row[0] for row in connection.execute("describe staging.stg_events").fetchall()]
    return outcome, staged, quarantined, columns


def test_valid_row_is_pseudonymized_truncated_and_minimized(tmp_path):
    outcome, staged, quarantined, columns = load(
        tmp_path,
        "2025-09-01.csv",
        HEADER + "e1,2025-09-01T08:42:31+02:00,ENT123,eleve,0920001B,portail,login,jean@example.org\n",
    )
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (1, 1, 0)
    assert staged == [
        (
            pseudonym(KEY, "ent", "e1"),
            pseudonym(KEY, "ent", "ENT123"),
            datetime(2025, 9, 1, 6, 0, tzinfo=UTC),  # 08:42:31 Paris = 06:42:31 UTC -> 06:00
            1,
        )
    ]
    assert quarantined == []
    assert "email" not in columns and "user_id" not in columns and "event_id" not in columns


@pytest.mark.parametrize(
    ("row", "column", "rule", "observed"),
    [
        (
            ",2025-09-01T08:00:00Z,u,eleve,0920001B,portail,login,",
            "event_id",
            "required value is missing",
            None,
        ),
        (
            "e,yesterday,u,eleve,0920001B,portail,login,",
            "occurred_at",
            "not an ISO 8601 timestamp",
            "yesterday",
        ),
        (
            "e,1999-12-31T23:00:00Z,u,eleve,0920001B,portail,login,",
            "occurred_at",
            "timestamp before 2000",
            "1999-12-31T23:00:00Z",
        ),
        (
            "e,2025-09-01T08:00:00Z,,eleve,0920001B,portail,login,",
            "user_id",
            "required value is missing",
            None,
        ),
        (
            "e,2025-09-01T08:00:00Z,u,prof,0920001B,portail,login,",
            "role",
            "not one of: eleve, parent, enseignant, personnel, autre",
            "prof",
        ),
        (
            "e,2025-09-01T08:00:00Z,u,eleve,0920001A,portail,login,",
            "school_uai",
            "not a UAI code (7 digits and the matching key letter)",
            "0920001A",
        ),
        (
            "e,2025-09-01T08:00:00Z,u,eleve,0920001B,pronote,login,",
            "service",
            "not one of: portail, cahier_de_textes, devoirs, messagerie, espace_cours, calendrier, actualites, ressources, autre",
            "pronote",
        ),
        (
            "e,2025-09-01T08:00:00Z,u,eleve,0920001B,portail,hack,",
            "action",
            "not one of: login, view, create, update, submit, send, read, comment, delete",
            "hack",
        ),
    ],
)
def test_each_contract_rule_quarantines_with_its_reason(tmp_path, row, column, rule, observed):
    good = "g1,2025-09-01T08:00:00Z,u0,eleve,0920001B,portail,login,\n"
    outcome, staged, quarantined, _ = load(tmp_path, "2025-09-01.csv", HEADER + good + row + "\n")
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined) == (2, 1, 1)
    assert quarantined == [("events/2025-09-01.csv", 2, column, rule, observed)]


def test_user_id_is_never_copied_into_the_quarantine(tmp_path):
    _, _, quarantined, _ = load(
        tmp_path, "2025-09-01.csv", HEADER + "e,2025-09-01T08:00:00Z,CANARY-42,prof,0920001B,portail,login,\n"
    )
    assert "CANARY-42" not in repr(quarantined)


def test_missing_required_column_quarantines_every_row_naming_it(tmp_path):
    outcome, _, quarantined, _ = load(
        tmp_path,
        "2025-09-01.csv",
        "event_id,occurred_at,user_id,role,school_uai,action\ne,2025-09-01T08:00:00Z,u,eleve,0920001B,login\n",
    )
    assert outcome.rows_quarantined == 1
    assert quarantined[0][2:4] == ("service", "required value is missing")


def test_unreadable_file_is_quarantined_whole(tmp_path):
    outcome, staged, quarantined, _ = load(tmp_path, "2025-09-01.parquet", "this is not parquet")
    assert staged == [] and outcome.rows_read == 0
    assert outcome.error is not None and outcome.error.startswith("unreadable file:")
    assert quarantined[0][0:3] == ("events/2025-09-01.parquet", None, None)


def test_delivery_day_comes_from_the_file_name():
    assert delivery_day(Path("2025-09-01.parquet")) == date(2025, 9, 1)
    assert delivery_day(Path("2025-09-01_second-delivery.csv")) == date(2025, 9, 1)
    assert delivery_day(Path("export.csv")) is None
    assert delivery_day(Path("2025-13-01.csv")) is None


def test_uai_key_letter():
    assert is_valid_uai("0920001B")  # 920001 % 23 = 1 -> B
    assert is_valid_uai("0750001" + "ABCDEFGHJKLMNPRSTUVWXYZ"[750001 % 23])
    assert not is_valid_uai("0920001A")
    assert not is_valid_uai("092001B")
