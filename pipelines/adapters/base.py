"""What every source adapter shares: its mapping file, its mapping tables in DuckDB, its reader.

An adapter turns one file of a platform's own export into the temp view `landed` that
pipelines/ingestion.py checks for native files: file_row, file_line, the events contract
columns as text, and record_error (a rule that names the unmapped value, or null). Mapping
happens inside DuckDB, joined to temp tables made from the YAML mapping files of
data_contracts/mappings/; columns outside the contract (IP, user agent, referer, names,
mailboxes) are read only to be dropped or turned into a user id that is pseudonymized by
staging like any other: none of them is ever selected into a table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from pipelines.ingestion import CSV_REJECTS_SCAN, CSV_REJECTS_TABLE, LINE_LIMITS, sql_literal

MAPPINGS_DIR_ENV_VAR = "REPERES_MAPPINGS_DIR"
DEFAULT_MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "data_contracts" / "mappings"
# An unmapped value named in a rule is a code of the platform (a module, a verb IRI, an
# event name), never a person's; it is still cut, so that a rule stays one short line.
RULE_VALUE_CHARS = 100
EVENT_COLUMNS = (
    "event_id",
    "occurred_at",
    "user_id",
    "role",
    "school_uai",
    "service",
    "action",
    "class_id",
    "discipline",
    "object_id",
    "due_at",
)


class UnreadableExport(OSError):
    """An export its adapter cannot parse at all (an XML file that is not well formed): like a
    file no reader can open, it is quarantined whole with this message, never half loaded."""


def mappings_dir() -> Path:
    return Path(os.environ.get(MAPPINGS_DIR_ENV_VAR) or DEFAULT_MAPPINGS_DIR)


def load_mapping(name: str, directory: Path | None = None) -> dict:
    path = (directory or mappings_dir()) / f"{name}.yaml"
    with path.open(encoding="utf-8") as stream:
        mapping = yaml.safe_load(stream) or {}
    if not isinstance(mapping, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level")
    return mapping


def register_table(
    connection: duckdb.DuckDBPyConnection, name: str, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """A temp table of text columns holding one mapping table (empty if the YAML has none)."""
    definition = ", ".join(f'"{column}" varchar' for column in columns)
    connection.execute(f"create or replace temp table {name} ({definition})")
    if rows:
        text_rows = [tuple(None if value is None else str(value) for value in row) for row in rows]
        placeholders = ", ".join("?" for _ in columns)
        connection.executemany(f"insert into {name} values ({placeholders})", text_rows)


def unmapped(label: str, value_sql: str) -> str:
    """SQL for the rule naming an unmapped value: 'verb not mapped: http://…'."""
    return f"{sql_literal(label + ' not mapped: ')} || left({value_sql}, {RULE_VALUE_CHARS})"


def text(expression: str) -> str:
    """A value as trimmed text, empty as null: what the contract checks expect."""
    return f"nullif(trim(cast({expression} as varchar)), '')"


def json_lines_reader(path: Path) -> str:
    """Each line as one text value, broken lines kept by the CSV reader's rejects (as native)."""
    return (
        f"read_csv({sql_literal(str(path))}, columns = {{'json_line': 'VARCHAR'}}, header = false, "
        "delim = e'\\x01', quote = '', escape = '', store_rejects = true, "
        f"rejects_table = '{CSV_REJECTS_TABLE}', rejects_scan = '{CSV_REJECTS_SCAN}', {LINE_LIMITS})"
    )


def csv_reader(path: Path) -> str:
    return (
        f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true, store_rejects = true, "
        f"rejects_table = '{CSV_REJECTS_TABLE}', rejects_scan = '{CSV_REJECTS_SCAN}', {LINE_LIMITS})"
    )


def json_object(line: str) -> str:
    """The line when it is a JSON object, else null: nested so that no JSON function ever sees
    a malformed line (DuckDB evaluates CASE branches on whole vectors)."""
    valid = f"(case when json_valid({line}) then {line} end)"
    return f"(case when json_type({valid}) = 'OBJECT' then {valid} end)"


def json_records(path: Path) -> str:
    """SQL giving file_row, file_line and record (a JSON object, else null) for a JSON file.

    JSON Lines (.jsonl, .ndjson, and .json files that are not one array or object: what
    mongoexport writes by default) are read line by line, so one broken line is quarantined,
    not the file. A .json file holding a top-level array, or an LRS StatementResult
    {"statements": […]}, gives one record per element (a broken one fails the whole file,
    which is then quarantined whole with the reader's error).
    """
    lines = f"""
        select ordinality as file_row, ordinality as file_line, {json_object("json_line")} as record
        from {json_lines_reader(path)} with ordinality
    """
    if path.suffix.lower() != ".json" or _first_character(path) not in ("[", "{") or _is_json_lines(path):
        return lines
    return f"""
        with documents as (
            select json as document from read_json_objects({sql_literal(str(path))}, format = 'unstructured')
        ),

        lists as (
            select case
                when json_type(document) = 'ARRAY' then json_extract(document, '$[*]')
                when json_type(document, '$.statements') = 'ARRAY' then json_extract(document, '$.statements[*]')
                else [document]
            end as elements
            from documents
        ),

        elements as (
            select generate_subscripts(elements, 1) as file_row, unnest(elements) as element from lists
        )

        select file_row, cast(null as bigint) as file_line,
            case when json_type(element) = 'OBJECT' then element end as record
        from elements
    """


def _first_character(path: Path) -> str:
    with path.open("rb") as stream:
        head = stream.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1].decode("ascii", errors="replace")


def _is_json_lines(path: Path) -> bool:
    """A .json file of several objects one a line (mongoexport's default), not one document."""
    with path.open("rb") as stream:
        first = stream.readline().strip()
        second = stream.readline().strip()
    return first.startswith(b"{") and first.endswith(b"}") and second.startswith(b"{")


def epoch_to_iso(seconds_sql: str) -> str:
    """Unix seconds (as text or number) -> ISO 8601 in UTC, or null."""
    return f"strftime(to_timestamp(try_cast({seconds_sql} as double)) at time zone 'UTC', '%Y-%m-%dT%H:%M:%S') || 'Z'"


@dataclass(frozen=True)
class Adapter:
    """One kind of source: its landing folder, file suffixes and mapping file."""

    source: str  # the landing folder and the prefix of its file names, e.g. ode/2025-09-03.jsonl
    mapping_name: str
    suffixes: tuple[str, ...]
    description: str
    # The input contract the adapter feeds: "events" (daily files, staging.stg_events) or
    # "roster" (a full snapshot of the directory, staging.stg_roster).
    contract: str = "events"
    # A mapping given in code (tests); by default the YAML file, read at each use so that a
    # referent's edit applies to the next run.
    mapping_override: dict | None = field(default=None, compare=False, hash=False)

    @property
    def mapping(self) -> dict:
        return self.mapping_override if self.mapping_override is not None else load_mapping(self.mapping_name)

    @property
    def pseudonym_source(self) -> str:
        return str(self.mapping.get("pseudonym_source") or self.source)

    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in self.suffixes

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:  # pragma: no cover
        raise NotImplementedError

    def landed_view(self, select_sql: str) -> str:
        return f"create or replace temp view landed as {select_sql}"

    def forget_file(self, connection: duckdb.DuckDBPyConnection, delivered_on, file_name: str) -> None:
        """Delete what an earlier load of this file left besides its rows (re-runs start clean)."""

    def after_load(
        self, connection: duckdb.DuckDBPyConnection, path: Path, file_name: str, delivered_on
    ) -> None:
        """Work that needs the file's rows already in staging (xAPI voiding); in the load's
        transaction, on a connection that pseudonymizes. Nothing by default."""
