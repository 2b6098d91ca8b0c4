"""The bad-input corpus: every messy file an ENT export can produce is loaded or quarantined, never lost.

Each case loads one file through the real ingestion (the staging SQL and the quarantine
tables on a DuckDB file) and checks what was loaded, what was quarantined and why, and that
rows read = rows loaded + rows quarantined.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_contracts.contracts import load_contract
from pipelines.adapters import load_event_batch
from pipelines.defs.ingestion.assets import _inventory_rows
from pipelines.ingestion import (
    BatchFile,
    batch_scans,
    delivery_day,
    ensure_staging_table,
    load_file,
    parquet_batch_file,
)
from pipelines.pseudonymization import install_pseudonym_macro
from pipelines.settings import MEMORY_LIMIT_ENV_VAR
from pipelines.warehouse import connect_warehouse

DELIVERED_ON = date(2025, 10, 27)
HEADER = ["event_id", "occurred_at", "user_id", "role", "school_uai", "service", "action", "discipline"]
GOOD = ["e1", "2025-10-27T08:10:00+01:00", "u1", "eleve", "0920001B", "devoirs", "view", "MATHEMATIQUES"]


def ingest(path: Path, warehouse: Path | None = None):
    contract = load_contract("events")
    warehouse = warehouse or path.parent / "warehouse.duckdb"
    with connect_warehouse(warehouse, k_school=5) as connection:
        install_pseudonym_macro(connection, bytes(range(32)))
        ensure_staging_table(connection, contract, "stg_events")
        load = load_file(connection, path, path.name, contract, "stg_events", "ent", DELIVERED_ON)
        staged = connection.execute(
            "select file_row, timezone('UTC', occurred_hour), role, discipline from staging.stg_events order by file_row"
        ).fetchall()
        quarantined = connection.execute(
            "select file_row, file_line, column_name, rule, observed_value from staging.quarantine "
            "where file_name = ? order by file_row, file_line",
            [path.name],
        ).fetchall()
        connection.execute("delete from staging.stg_events")
        connection.execute("delete from staging.quarantine")
    assert load.rows_read == load.rows_loaded + load.rows_quarantined
    return load, staged, quarantined


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def csv_bytes(
    rows: list[list[str]], separator: str = ",", line_end: str = "\n", encoding: str = "utf-8"
) -> bytes:
    return "".join(separator.join(row) + line_end for row in [HEADER, *rows]).encode(encoding)


def test_excel_csv_in_windows_1252_with_semicolons_and_crlf(tmp_path):
    row = [*GOOD[:-1], "ÉDUCATION-MUSICALE œuvre €"]
    load, staged, quarantined = ingest(write(tmp_path, "a.csv", csv_bytes([row], ";", "\r\n", "cp1252")))
    assert (load.rows_read, load.rows_loaded, quarantined) == (1, 1, [])
    assert staged[0][3] == "ÉDUCATION-MUSICALE œuvre €"


def test_utf8_with_byte_order_mark(tmp_path):
    load, staged, _ = ingest(write(tmp_path, "a.csv", b"\xef\xbb\xbf" + csv_bytes([GOOD])))
    assert load.rows_loaded == 1 and staged[0][2] == "eleve"


def test_quoted_fields_holding_separators_and_newlines(tmp_path):
    content = csv_bytes([GOOD[:-1] + ['"MATHS; et\nPHYSIQUE, CHIMIE"'], ["e2", *GOOD[1:]]], ";")
    load, staged, _ = ingest(write(tmp_path, "a.csv", content))
    assert load.rows_loaded == 2
    assert staged[0][3] == "MATHS; et\nPHYSIQUE, CHIMIE"


def test_truncated_last_line_is_quarantined_with_its_line(tmp_path):
    content = csv_bytes([GOOD, ["e2", *GOOD[1:]]]) + b"e3,2025-10-27T09:00:00+01:00,u3,el"
    load, staged, quarantined = ingest(write(tmp_path, "a.csv", content))
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (3, 2, 1)
    ((row, line, column, rule, observed),) = quarantined
    assert (row, line, column, observed) == (None, 4, None, None)
    assert rule.startswith("unreadable line: missing columns")


def test_json_lines_with_one_broken_line(tmp_path):
    lines = [json.dumps(dict(zip(HEADER, GOOD, strict=True))), '{"event_id": "e2", "occurred_at', "[1, 2]"]
    lines.append(json.dumps(dict(zip(HEADER, ["e4", *GOOD[1:]], strict=True)) | {"ip": "10.0.0.1"}))
    load, staged, quarantined = ingest(write(tmp_path, "a.jsonl", "\n".join(lines).encode() + b"\n"))
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (4, 2, 2)
    assert [row[:4] for row in quarantined] == [
        (2, 2, None, "not a JSON object"),
        (3, 3, None, "not a JSON object"),
    ]


def test_empty_file_is_read_as_zero_rows(tmp_path):
    load, staged, quarantined = ingest(write(tmp_path, "a.csv", b""))
    assert (load.rows_read, load.error, staged, quarantined) == (0, "empty file", [], [])


def test_parquet_with_an_extra_column_and_a_missing_optional_one(tmp_path):
    table = pa.table(
        {**{name: [value] for name, value in zip(HEADER[:-1], GOOD, strict=False)}, "ip": ["10.0.0.1"]}
    )
    pq.write_table(table, tmp_path / "a.parquet")
    load, staged, _ = ingest(tmp_path / "a.parquet")
    assert load.rows_loaded == 1
    assert staged == [(1, datetime(2025, 10, 27, 7), "eleve", None)]


def test_parquet_with_a_wrong_type_is_quarantined_by_rule(tmp_path):
    columns = {name: [value] for name, value in zip(HEADER, GOOD, strict=True)}
    columns["occurred_at"] = [1_761_552_600]  # epoch seconds, not a timestamp
    pq.write_table(pa.table(columns), tmp_path / "a.parquet")
    load, _, quarantined = ingest(tmp_path / "a.parquet")
    assert load.rows_quarantined == 1
    assert quarantined[0][2:4] == ("occurred_at", "not an ISO 8601 timestamp")


def test_timestamps_in_the_future_and_around_the_clock_changes(tmp_path):
    rows = [
        ["e1", "2025-10-30T08:00:00+01:00", *GOOD[2:]],  # three days after the delivery day
        ["e2", "2025-10-26 02:30:00", *GOOD[2:]],  # 02:30 happened twice that night in Paris
        ["e3", "2025-10-26T02:30:00+01:00", *GOOD[2:]],  # the same wall time, with its offset
        ["e4", "2026-03-29 02:30:00", *GOOD[2:]],  # skipped when clocks went forward
        ["e5", "2025-10-26 03:30:00", *GOOD[2:]],  # after the change: unambiguous
        ["e6", "2025-10-24T08:00:00.123", *GOOD[2:]],  # fractions of a second, no zone: plain local time
    ]
    load, staged, quarantined = ingest(write(tmp_path, "a.csv", csv_bytes(rows)))
    assert [(row, column, rule) for row, _, column, rule, _ in quarantined] == [
        (1, "occurred_at", "timestamp after the file's delivery day"),
        (2, "occurred_at", "ambiguous local time (the hour repeated when clocks go back): give a UTC offset"),
        (4, "occurred_at", "local time that does not exist (the hour skipped when clocks go forward)"),
    ]
    assert [(row, hour) for row, hour, _, _ in staged] == [
        (3, datetime(2025, 10, 26, 1)),
        (5, datetime(2025, 10, 26, 2)),
        (6, datetime(2025, 10, 24, 6)),
    ]


def test_a_one_megabyte_field(tmp_path):
    load, staged, _ = ingest(write(tmp_path, "a.csv", csv_bytes([[*GOOD[:-1], "X" * 1_000_000]])))
    assert load.rows_loaded == 1 and len(staged[0][3]) == 1_000_000


def test_garbage_parquet_is_quarantined_whole(tmp_path):
    load, _, quarantined = ingest(write(tmp_path, "a.parquet", b"PAR1 not really"))
    assert load.rows_read == 0 and load.error.startswith("unreadable file:")
    assert quarantined == [(None, None, None, load.error, None)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.one_of(
        st.binary(max_size=400),
        st.lists(st.text(max_size=30), max_size=8).map(lambda parts: ",".join(parts).encode()),
        st.builds(
            lambda rows: csv_bytes(rows),
            st.lists(
                st.lists(
                    st.text(alphabet=st.characters(codec="utf-8"), max_size=12), min_size=0, max_size=10
                ),
                max_size=5,
            ),
        ),
    ),
    suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]),
)
def test_any_bytes_are_loaded_or_quarantined_never_a_crash(tmp_path, content, suffix):
    path = write(tmp_path, "fuzz" + suffix, content)
    load, _, quarantined = ingest(path, tmp_path / "fuzz.duckdb")
    if load.error and load.error != "empty file":
        assert quarantined == [(None, None, None, load.error, None)]
    else:
        assert len(quarantined) == load.rows_quarantined


# A 2 GB delivery: 100,000 events each dragging 20 kB of free text outside the contract (a
# comment column an export left in). Read in a child process so that its own peak memory can be measured.
TWO_GB_CHILD = """
import resource, sys
from pathlib import Path
from tests.test_bad_input import ingest
load, staged, quarantined = ingest(Path(sys.argv[1]))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(load.rows_read, load.rows_loaded, len(quarantined), peak_mb)
"""


@pytest.mark.slow
def test_a_two_gigabyte_file_is_streamed_in_bounded_memory(tmp_path):
    rows, note = 100_000, "x" * 20_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join([*HEADER, "note"]) + "\n")
        for number in range(rows):
            out.write(",".join([f"e{number}", *GOOD[1:], note]) + "\n")
    assert path.stat().st_size > 2 * 10**9
    child = subprocess.run(
        [sys.executable, "-c", TWO_GB_CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, MEMORY_LIMIT_ENV_VAR: "1GB"},
    )
    path.unlink()
    assert child.returncode == 0, child.stderr[-2000:]
    rows_read, rows_loaded, quarantined, peak_mb = map(int, child.stdout.split())
    assert (rows_read, rows_loaded, quarantined) == (rows, rows, 0)
    # Streamed: DuckDB holds at most its limit (1 GB), not the 2 GB file.
    assert peak_mb < 1536, f"peak memory {peak_mb} MB while reading a 2 GB file"


# --- Native Parquet files read many at a time (ingestion.load_parquet_batch) ------------------


def _event_columns(rows: list[list[str]], header: list[str] = HEADER) -> dict[str, list[str]]:
    return {name: [row[index] for row in rows] for index, name in enumerate(header)}


def test_parquet_files_read_in_one_scan_keep_their_own_names_rows_days_and_rules(tmp_path):
    """Three files of two days, two of one column layout (one scan) and one with an extra column
    and no discipline (a scan of its own). The same timestamp, the 29th at 08:00, is after the
    day following the delivery of the 27th's file, and not the 28th's: each row is bounded by
    its own file's day. Rows keep their file's name and row number, and each file balances."""
    landing = tmp_path / "landing"
    (landing / "events").mkdir(parents=True)
    late = "2025-10-29T08:00:00+01:00"
    pq.write_table(
        pa.table(_event_columns([GOOD, ["e2", late, *GOOD[2:]], ["e3", *GOOD[1:3], "ELEVE?", *GOOD[4:]]])),
        landing / "events" / "2025-10-27.parquet",
    )
    pq.write_table(
        pa.table(_event_columns([["e4", late, *GOOD[2:]]])), landing / "events" / "2025-10-28a.parquet"
    )
    pq.write_table(
        pa.table({**_event_columns([["e5", *GOOD[1:-1]]], HEADER[:-1]), "ip": ["10.0.0.1"]}),
        landing / "events" / "2025-10-28b.parquet",
    )
    with connect_warehouse(tmp_path / "warehouse.duckdb", k_school=5) as connection:
        install_pseudonym_macro(connection, bytes(range(32)))
        ensure_staging_table(connection, load_contract("events"), "stg_events")
        connection.executemany(
            "insert into raw.landing_files values (?, ?, ?, ?, ?, ?)", _inventory_rows(landing)
        )
        members = [
            parquet_batch_file(connection, path, f"events/{path.name}", delivery_day(path))
            for path in sorted((landing / "events").iterdir())
        ]
        assert [[member.file_name for member in scan] for scan in batch_scans(members)] == [
            ["events/2025-10-27.parquet", "events/2025-10-28a.parquet"],
            ["events/2025-10-28b.parquet"],
        ]
        days = load_event_batch(connection, landing, [date(2025, 10, 27), date(2025, 10, 28)], "events")
        staged = connection.execute(
            "select file_name, file_row, strftime(delivered_on, '%d'), discipline from staging.stg_events order by all"
        ).fetchall()
        quarantined = connection.execute(
            "select file_name, file_row, column_name, rule from staging.quarantine order by all"
        ).fetchall()
        file_loads = connection.execute(
            "select file_name, rows_read, rows_loaded, rows_quarantined from staging.file_loads order by all"
        ).fetchall()
    assert staged == [
        ("events/2025-10-27.parquet", 1, "27", "MATHEMATIQUES"),
        ("events/2025-10-28a.parquet", 1, "28", "MATHEMATIQUES"),
        ("events/2025-10-28b.parquet", 1, "28", None),
    ]
    assert quarantined == [
        ("events/2025-10-27.parquet", 2, "occurred_at", "timestamp after the file's delivery day"),
        ("events/2025-10-27.parquet", 3, "role", "not one of: eleve, parent, enseignant, personnel, autre"),
    ]
    assert file_loads == [
        ("events/2025-10-27.parquet", 3, 1, 2),
        ("events/2025-10-28a.parquet", 1, 1, 0),
        ("events/2025-10-28b.parquet", 1, 1, 0),
    ]
    assert [[(load.file_name, load.rows_read) for load in day.loads] for day in days] == [
        [("events/2025-10-27.parquet", 3)],
        [("events/2025-10-28a.parquet", 1), ("events/2025-10-28b.parquet", 1)],
    ]


def test_batch_scans_keep_one_layout_each_and_a_bounded_size():
    def member(name: str, layout: str, rows: int) -> BatchFile:
        return BatchFile(Path(name), name, date(2025, 9, 1), ((layout, "VARCHAR"),), rows)

    files = [
        member("a", "x", 3),
        member("b", "y", 1),
        member("c", "x", 3),
        member("d", "x", 5),
        member("e", "x", 1),
    ]
    # Layout x: a + c = 6 rows; d would make 11 > 10, so it starts a scan, which e joins (6).
    assert [[file.file_name for file in scan] for scan in batch_scans(files, rows_per_scan=10)] == [
        ["a", "c"],
        ["d", "e"],
        ["b"],
    ]
    # A file larger than a scan is a scan alone.
    assert [[file.file_name for file in scan] for scan in batch_scans([member("f", "x", 20)], 10)] == [["f"]]
