"""Rules 1 and 2 attacked: identifying canaries and the key must not survive anywhere a run writes.

A landing folder carries canaries in every format (CSV, JSON Lines, Parquet): ids like
CANARY-…, and columns outside the contract holding an IP address, a user agent, an e-mail,
a name and an INE. After a real `reperes run`, none of them may appear in a table, a column
name, the bytes of either DuckDB file, the Dagster run storage and logs, or the run's output;
neither may the key, nor an unkeyed hash of an id.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import TEST_KEY_HEX

pytestmark = pytest.mark.slow

UAI = "0920001B"
CANARY_USERS = [f"CANARY-USER-{n:03d}" for n in range(6)]
CANARY_EVENT_IDS = [f"CANARY-EVENT-{n:03d}" for n in range(18)]
EXTRA_COLUMNS = {
    "ip": "203.0.113.77",
    "user_agent": "Mozilla/5.0 CANARY-UA",
    "email": "canary.eleve@example.org",
    "nom": "CANARYNOM",
    "prenom": "Canaryprenom",
    "ine": "0123456789CANARYINE",
}
CANARIES = [*CANARY_USERS, *CANARY_EVENT_IDS, *EXTRA_COLUMNS.values(), *EXTRA_COLUMNS]
CONTRACT_COLUMNS = [
    "event_id", "occurred_at", "user_id", "role", "school_uai", "service", "action",
    "class_id", "discipline", "object_id", "due_at",
]  # fmt: skip


def event_rows(day: str, offset: int) -> list[dict]:
    rows = []
    for index, user in enumerate(CANARY_USERS):
        rows.append(
            {
                "event_id": CANARY_EVENT_IDS[offset + index],
                "occurred_at": f"{day}T1{index}:17:00+02:00",
                "user_id": user,
                "role": "eleve",
                "school_uai": UAI,
                "service": "portail",
                "action": "login",
                **EXTRA_COLUMNS,
            }
        )
    return rows


@pytest.fixture(scope="module")
def canary_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("canaries")
    events = root / "landing" / "events"
    events.mkdir(parents=True)
    csv_rows = event_rows("2025-09-01", 0)
    header = list(csv_rows[0])
    lines = [",".join(header)] + [",".join(str(row[column]) for column in header) for row in csv_rows]
    (events / "2025-09-01.csv").write_text("\n".join(lines) + "\n")
    (events / "2025-09-02.jsonl").write_text(
        "\n".join(json.dumps(row) for row in event_rows("2025-09-02", 6)) + "\n"
    )
    pq.write_table(pa.Table.from_pylist(event_rows("2025-09-03", 12)), events / "2025-09-03.parquet")
    roster = root / "landing" / "roster"
    roster.mkdir()
    (roster / "roster.csv").write_text(
        "user_id,role,school_uai,class_id,discipline,start_date,end_date,nom,email\n"
        + "".join(f"{user},eleve,{UAI},6A,,,,CANARYNOM,canary.eleve@example.org\n" for user in CANARY_USERS)
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    environment["REPERES_PSEUDONYM_KEY"] = TEST_KEY_HEX
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--landing", str(root / "landing"),
         "--data-dir", str(root / "data")],
        capture_output=True, text=True, timeout=600, env=environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rows read                       18" in result.stdout
    return root / "data", result.stdout + result.stderr


def files_written(data_dir: Path) -> list[Path]:
    files = [path for path in data_dir.rglob("*") if path.is_file()]
    assert any(path.name == "warehouse.duckdb" for path in files)
    assert any(path.name == "published.duckdb" for path in files)
    assert any("dagster" in path.parts for path in files)  # the run storage is scanned too
    return files


def test_no_canary_in_any_file_byte_or_the_run_output(canary_run):
    data_dir, output = canary_run
    for path in files_written(data_dir):
        content = path.read_bytes()
        found = [canary for canary in CANARIES[: -len(EXTRA_COLUMNS)] if canary.encode() in content]
        assert not found, f"{path} holds {found}"
    assert not [canary for canary in CANARIES[: -len(EXTRA_COLUMNS)] if canary in output]


@pytest.mark.parametrize("database", ["warehouse.duckdb", "published.duckdb"])
def test_no_canary_in_any_table_value_or_column_name(canary_run, database):
    """Byte scans miss compressed strings: read every text value back through DuckDB too."""
    data_dir, _ = canary_run
    with duckdb.connect(str(data_dir / database), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        ).fetchall()
        assert not {name for _, _, name, _ in columns} & set(EXTRA_COLUMNS)
        for schema, table, column, data_type in columns:
            if data_type != "VARCHAR":
                continue
            for canary in CANARIES:
                hits = connection.execute(
                    f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)', [canary]
                ).fetchone()[0]
                assert hits == 0, f"{schema}.{table}.{column} holds {canary}"


def test_staging_holds_only_contract_derived_columns(canary_run):
    data_dir, _ = canary_run
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        columns = [row[0] for row in connection.execute("describe staging.stg_events").fetchall()]
    assert columns == [
        "event_key", "user_key", "occurred_hour", "role", "school_uai", "service", "action",
        "class_id", "discipline", "object_id", "due_at", "delivered_on", "file_name", "file_row",
    ]  # fmt: skip


def test_neither_the_key_nor_unkeyed_hashes_of_ids_are_stored(canary_run):
    data_dir, output = canary_run
    key = bytes.fromhex(TEST_KEY_HEX)
    forbidden = {TEST_KEY_HEX.encode(), TEST_KEY_HEX.upper().encode(), key}
    for identifier in CANARY_USERS + CANARY_EVENT_IDS:
        for message in (identifier, f"ent\x1f{identifier}", f"ent{identifier}"):
            for algorithm in ("md5", "sha1", "sha256"):
                digest = hashlib.new(algorithm, message.encode())
                forbidden |= {digest.hexdigest().encode(), digest.digest()}
    for path in files_written(data_dir):
        content = path.read_bytes()
        assert not [value for value in forbidden if value in content], f"{path} holds the key or a plain hash"
    assert TEST_KEY_HEX not in output


def test_users_are_still_counted_under_their_pseudonyms(canary_run):
    """The canaries were loaded, not silently dropped: six pupils, all active in week one.

    Read from the warehouse's exact marts: one school of six pupils is below the département's
    k = 10, so the release hides the row (and the school row equal to it).
    """
    data_dir, _ = canary_run
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        row = connection.execute(
            "select enrolled, active_users from marts.adoption_weekly where role = 'eleve'"
        ).fetchall()
    assert row == [(6, 6)]
