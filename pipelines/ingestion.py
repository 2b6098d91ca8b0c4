"""Read landing files, enforce an input contract row by row, and split rows into loaded or quarantined.

Every file is read with every value as text, so that a malformed value becomes a
quarantined row with its reason instead of a crash of the whole file. The rules are
generated from the ODCS contract (data_contracts/*.odcs.yaml), never written twice.
Raw identifiers only exist in the temporary view of the file being read: the staging
SQL pseudonymizes them before anything is written to the warehouse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from data_contracts.contracts import UAI_KEY_LETTERS, Column, Contract
from pipelines.settings import MODELS_DIR

READERS = {
    ".csv": "read_csv({path}, all_varchar = true, header = true)",
    ".jsonl": "read_json({path}, format = 'newline_delimited', records = true)",
    ".ndjson": "read_json({path}, format = 'newline_delimited', records = true)",
    ".parquet": "read_parquet({path})",
}
DELIVERY_DAY_PATTERN = re.compile(r"^(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class FileLoad:
    """What happened to one landing file; the run summary adds these up."""

    file_name: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    error: str | None = None


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def delivery_day(path: Path) -> date | None:
    """Landing files are named by their delivery day: YYYY-MM-DD[anything].ext."""
    match = DELIVERY_DAY_PATTERN.match(path.name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def is_landing_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in READERS


def _violation_checks(column: Column) -> list[tuple[str, str]]:
    """(SQL condition that is true when the value breaks the rule, rule description)."""
    name = f'"{column.name}"'
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{name} is null", "required value is missing"))
    if column.logical_type == "timestamp":
        checks.append(
            (
                f"{name} is not null and try_cast({name} as timestamptz) is null",
                "not an ISO 8601 timestamp",
            )
        )
        checks.append(
            (
                f"try_cast({name} as timestamptz) < timestamptz '2000-01-01 00:00:00+00'",
                "timestamp before 2000",
            )
        )
    if column.logical_type == "date":
        checks.append((f"{name} is not null and try_cast({name} as date) is null", "not an ISO 8601 date"))
    if column.valid_values:
        allowed = ", ".join(sql_literal(value) for value in column.valid_values)
        checks.append((f"{name} not in ({allowed})", f"not one of: {', '.join(column.valid_values)}"))
    if column.uai_key_letter:
        checks.append(
            (
                f"not regexp_full_match({name}, '[0-9]{{7}}[A-Z]')"
                f" or substr('{UAI_KEY_LETTERS}', (cast(substr({name}, 1, 7) as integer) % 23) + 1, 1)"
                f" <> substr({name}, 8, 1)",
                "not a UAI code (7 digits and the matching key letter)",
            )
        )
    return checks


def violation_expression(contract: Contract) -> str:
    """A SQL expression giving the first broken rule of a row as {column, rule}, or null."""
    branches = [
        f"when {condition} then {{'column': {sql_literal(column.name)}, 'rule': {sql_literal(rule)}}}"
        for column in contract.columns
        for condition, rule in _violation_checks(column)
    ]
    return "case\n    " + "\n    ".join(branches) + "\n  end"


def _observable_value(contract: Contract) -> str:
    """The offending value, kept for the data-quality report unless it could identify someone."""
    branches = [
        f'when {sql_literal(column.name)} then left("{column.name}", 60)'
        for column in contract.columns
        if not column.pseudonymized and column.name not in ("class_id", "object_id")
    ]
    return "case violation.column\n    " + "\n    ".join(branches) + "\n    else null\n  end"


def open_landing_file(connection: duckdb.DuckDBPyConnection, path: Path, contract: Contract) -> None:
    """Expose the file as temp view `landed_checked`: contract columns as trimmed text, row, violation.

    Columns missing from the file become nulls (then the required-column rule names them);
    columns the contract does not know are never selected, so they go no further.
    """
    reader = READERS[path.suffix.lower()].format(path=sql_literal(str(path)))
    present = {
        row[0]
        for row in connection.execute(f"describe select * from {reader}").fetchall()  # noqa: S608
    }
    selected = ",\n    ".join(
        f'nullif(trim(cast("{column}" as varchar)), \'\') as "{column}"'
        if column in present
        else f'cast(null as varchar) as "{column}"'
        for column in contract.column_names
    )
    connection.execute(
        f"""
        create or replace temp view landed as
        select ordinality as file_row,
            {selected}
        from {reader} with ordinality
        """
    )
    connection.execute(
        f"""
        create or replace temp view landed_checked as
        with checked as (
            select *, {violation_expression(contract)} as violation from landed
        )
        select *, {_observable_value(contract)} as observed_value from checked
        """
    )


def staging_sql(model: str) -> str:
    return (MODELS_DIR / "staging" / f"{model}.sql").read_text(encoding="utf-8")


def _parameters(sql: str, values: dict[str, object]) -> dict[str, object]:
    """DuckDB rejects named parameters a statement does not use, so pass only those it names."""
    return {name: value for name, value in values.items() if f"${name}" in sql}


def ensure_staging_table(connection: duckdb.DuckDBPyConnection, contract: Contract, model: str) -> None:
    """Create staging.<model> with the columns its SQL produces, from an empty file shape."""
    columns = ", ".join(f'cast(null as varchar) as "{name}"' for name in contract.column_names)
    connection.execute(
        f"""
        create or replace temp view landed_checked as
        select cast(null as bigint) as file_row, {columns},
            cast(null as struct("column" varchar, rule varchar)) as violation,
            cast(null as varchar) as observed_value
        limit 0
        """
    )
    sql = staging_sql(model)
    values = {"source": "", "file_name": "", "delivered_on": None}
    connection.execute(
        f"create table if not exists staging.{model} as select * from ({sql}) limit 0",
        _parameters(sql, values),
    )


def load_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    file_name: str,
    contract: Contract,
    model: str,
    source: str,
    delivered_on: date | None,
) -> FileLoad:
    """Load one file's valid rows into staging.<model> and its invalid rows into the quarantine.

    A file that cannot be parsed at all is quarantined whole, with the reader's error.
    """
    try:
        open_landing_file(connection, path, contract)
        rows_read = connection.execute("select count(*) from landed").fetchone()[0]
    except duckdb.Error as error:
        reason = f"unreadable file: {str(error).splitlines()[0][:300]}"
        connection.execute(
            "insert into staging.quarantine values (?, ?, ?, null, null, ?, null)",
            [contract.name, delivered_on, file_name, reason],
        )
        load = FileLoad(file_name, 0, 0, 0, error=reason)
    else:
        sql = staging_sql(model)
        values = {"source": source, "file_name": file_name, "delivered_on": delivered_on}
        connection.execute(
            f"insert into staging.{model} by name select * from ({sql})",
            _parameters(sql, values),
        )
        connection.execute(
            """
            insert into staging.quarantine
            select ?, ?, ?, file_row, violation.column, violation.rule, observed_value
            from landed_checked
            where violation is not null
            """,
            [contract.name, delivered_on, file_name],
        )
        quarantined = connection.execute(
            "select count(*) from landed_checked where violation is not null"
        ).fetchone()[0]
        load = FileLoad(file_name, rows_read, rows_read - quarantined, quarantined)
    connection.execute(
        "insert into staging.file_loads values (?, ?, ?, ?, ?, ?, ?)",
        [
            contract.name,
            delivered_on,
            file_name,
            load.rows_read,
            load.rows_loaded,
            load.rows_quarantined,
            load.error,
        ],
    )
    connection.execute("drop view if exists landed_checked")
    connection.execute("drop view if exists landed")
    return load
