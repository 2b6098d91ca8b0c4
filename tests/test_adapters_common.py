"""What every source adapter shares: mapping files that only map to contract values, the
native checks and counts, no raw identifier or name anywhere in the warehouse, the dry run.

The fixtures of tests/fixtures/adapters/ were written from the public specifications (ODE's
event fields, xAPI 1.0.3 statements, Moodle's logstore_standard_log and its log report);
they carry canaries (CANARY…) in every field that must never be stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from data_contracts.contracts import is_valid_uai, load_contract
from pipelines.adapters import ADAPTERS, EVENT_ADAPTERS, Adapter, check_file, load_source_file
from pipelines.adapters.base import load_mapping
from pipelines.ingestion import ensure_staging_table
from pipelines.pseudonymization import install_pseudonym_macro
from pipelines.warehouse import connect_warehouse

KEY = bytes(range(32))
FIXTURES = Path(__file__).parent / "fixtures" / "adapters"
CANARIES = (
    "CANARY",  # names, user agents, referers, session ids of the fixtures
    "canary.pupil@example.org",  # an xAPI mbox
    "192.0.2.",  # Moodle IP addresses
    "lea.martin",  # a username in Moodle's `other` column
    "Léa",
)


def load_fixture(
    tmp_path: Path, adapter: Adapter, name: str, day: date, directory: Path | None = None
) -> dict:
    """Load one fixture file (of `directory`, else the fixtures) as the asset does; return what staging holds of it."""
    warehouse = tmp_path / "warehouse.duckdb"
    file_name = f"{adapter.source}/{name}"
    with connect_warehouse(warehouse, k_school=5) as connection:
        install_pseudonym_macro(connection, KEY)
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        path = (directory or FIXTURES / adapter.source) / name
        load = load_source_file(connection, adapter, path, file_name, day)
        staged = connection.execute(
            """
            select file_row, event_key, user_key, occurred_hour, role, school_uai, service, action,
                class_id, object_id
            from staging.stg_events where file_name = ? order by file_row
            """,
            [file_name],
        ).fetchall()
        quarantined = connection.execute(
            """
            select file_row, file_line, column_name, rule from staging.quarantine
            where file_name = ? order by file_row, file_line
            """,
            [file_name],
        ).fetchall()
        file_loads = connection.execute(
            "select contract, rows_read, rows_loaded, rows_quarantined from staging.file_loads where file_name = ?",
            [file_name],
        ).fetchall()
    return {"load": load, "staged": staged, "quarantined": quarantined, "file_loads": file_loads}


@pytest.mark.parametrize("name", ["ode", "xapi", "moodle", "aaf"])
def test_mapping_files_map_only_to_contract_values(name):
    contract = load_contract("events")
    allowed = {column: set(contract.column(column).valid_values) for column in ("role", "service", "action")}
    mapping = load_mapping(name)
    values: dict[str, list] = {"role": [], "service": [], "action": []}
    if name == "ode":
        values["action"] += mapping["event_types"].values()
        values["service"] += mapping["modules"].values()
        values["role"] += mapping["profiles"].values()
        uais = [*mapping["structures"].values(), *mapping["postgres"]["platforms"].values()]
    elif name == "xapi":
        values["action"] += mapping["verbs"].values()
        values["service"] += [*mapping["activity_types"].values(), *mapping["activity_prefixes"].values()]
        values["role"] += [*mapping["roles"].values(), mapping["default_role"]]
        uais = list(mapping["hosts"].values())
    elif name == "aaf":
        values["role"] += [*mapping["function_roles"].values(), mapping["staff_default_role"]]
        uais = list(mapping["structures"].values()) or ["0920001B"]  # none shipped: the delivery says
    else:
        for spec in [*mapping["events"].values(), *mapping["report"]["events"].values()]:
            values["service"].append(spec["service"])
            values["action"].append(spec["action"])
            if "role" in spec:
                values["role"].append(spec["role"])
        values["service"] += mapping["components"].values()
        values["action"] += mapping["crud"].values()
        values["role"] += [
            *mapping["users"].values(),
            *mapping["role_names"].values(),
            mapping["default_role"],
            mapping["teaching_level_role"],
        ]
        uais = [mapping["site_school"], mapping["report"]["school"]]
        uais += [course["school"] for course in mapping["courses"].values()]
    for column, found in values.items():
        assert set(found) <= allowed[column], (column, set(found) - allowed[column])
    assert uais and all(is_valid_uai(uai) for uai in uais)


def test_no_raw_identifier_or_name_reaches_the_warehouse(tmp_path):
    """Canaries planted in ua, referer, sessionId, mbox, actor names, full names, IPs and
    Moodle's `other` appear in no table and in no byte of any file of the data dir (the
    directory's own canaries: tests/test_adapters_aaf.py)."""
    for adapter in EVENT_ADAPTERS.values():
        for path in sorted((FIXTURES / adapter.source).glob("*")):
            load_fixture(tmp_path, adapter, path.name, date(2025, 9, 4))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
        assert ("staging", "stg_events") in tables
        stored = 0
        for schema, table in tables:
            for row in connection.execute(f'select * from "{schema}"."{table}"').fetchall():
                stored += 1
                text = "|".join(str(value) for value in row)
                for canary in CANARIES:
                    assert canary not in text, (schema, table, canary)
        connection.execute("checkpoint")
    assert stored > 20
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for canary in CANARIES:
                assert canary.encode() not in content, (path.name, canary)


def test_check_reports_counts_rules_and_unmapped_values_and_stores_nothing(tmp_path):
    report = check_file(ADAPTERS["ode"], FIXTURES / "ode" / "2025-09-03.jsonl")
    assert (report.rows_read, report.rows_mapped) == (9, 4)
    assert report.quarantined == {
        "module not mapped: Scolinfo": 1,
        "structure not mapped: unknown-structure-9": 1,
        "event-type not mapped: TELEPORT": 1,
        "occurred_at: required value is missing": 1,
        "not a JSON object": 1,
    }
    assert report.unmapped == {
        "module not mapped: Scolinfo": 1,
        "structure not mapped: unknown-structure-9": 1,
        "event-type not mapped: TELEPORT": 1,
    }
    text = "\n".join(report.lines())
    assert "values without a mapping yet" in text and "CANARY" not in text and "u-pupil" not in text
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_file_is_quarantined_whole_and_counted(tmp_path):
    broken = tmp_path / "landing" / "xapi"
    broken.mkdir(parents=True)
    (broken / "2025-09-03.json").write_text('[{"id": "x", ', encoding="utf-8")
    adapter = ADAPTERS["xapi"]
    with connect_warehouse(tmp_path / "warehouse.duckdb", k_school=5) as connection:
        install_pseudonym_macro(connection, KEY)
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        load = load_source_file(
            connection, adapter, broken / "2025-09-03.json", "xapi/2025-09-03.json", date(2025, 9, 3)
        )
        quarantined = connection.execute("select file_name, rule from staging.quarantine").fetchall()
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (0, 0, 0)
    assert load.error and load.error.startswith("unreadable file")
    assert quarantined == [("xapi/2025-09-03.json", load.error)]
