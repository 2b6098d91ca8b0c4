"""Read landing files, enforce an input contract row by row, and split rows into loaded or quarantined.

Every file is read with every value as text, so that a malformed value becomes a
quarantined row with its reason instead of a crash of the whole file; the rules are
generated from the ODCS contract (data_contracts/*.odcs.yaml), never written twice.
Each file is scanned once, into a temporary table that already holds pseudonyms: raw
identifiers only exist inside DuckDB's reader while it streams the file, never in a table.
Native Parquet files of one column layout are scanned many at a time (load_parquet_batch),
each row keeping its own file's name, row number and delivery day.

What real exports throw at us, and where it is handled:
- CSV from Excel: the separator (`,` or `;`), quoting and CRLF are sniffed by DuckDB; a
  file that is not valid UTF-8 is read as Windows-1252 (its superset of Latin-1);
- lines the CSV reader cannot split (a truncated last line, a stray quote) are kept by
  DuckDB's `store_rejects` and quarantined with their physical line number;
- JSON Lines are read line by line, so one broken line is quarantined, not the file;
- an empty file is recorded as read with 0 rows; a file no reader can open is quarantined
  whole, with the reader's error.
"""

from __future__ import annotations

import codecs
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from data_contracts.contracts import UAI_KEY_LETTERS, Column, Contract
from pipelines.settings import MODELS_DIR

CSV_REJECTS_TABLE = "landed_rejects"
BATCH_FILES_TABLE = "landed_batch_files"
CSV_REJECTS_SCAN = "landed_reject_scans"
# JSON cannot hold a raw control character, so splitting lines on one never cuts valid JSON.
JSON_LINE_DELIMITER = "\\x01"
# A record may hold a few MB (free text an export left in); DuckDB's read buffer defaults to 16
# times that, per thread, which a memory limit cannot hold: two lines' worth is enough.
MAX_LINE_BYTES = 8 << 20
LINE_LIMITS = f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {2 * MAX_LINE_BYTES}"
READERS = {
    ".csv": (
        "read_csv({path}, all_varchar = true, header = true, store_rejects = true, "
        f"rejects_table = '{CSV_REJECTS_TABLE}', rejects_scan = '{CSV_REJECTS_SCAN}', {LINE_LIMITS})"
    ),
    ".jsonl": (
        "read_csv({path}, columns = {{'json_line': 'VARCHAR'}}, header = false, "
        f"delim = e'{JSON_LINE_DELIMITER}', quote = '', escape = '', store_rejects = true, "
        f"rejects_table = '{CSV_REJECTS_TABLE}', rejects_scan = '{CSV_REJECTS_SCAN}', {LINE_LIMITS})"
    ),
    ".parquet": "read_parquet({path})",
}
READERS[".ndjson"] = READERS[".jsonl"]
TEXT_SUFFIXES = (".csv", ".jsonl", ".ndjson")
JSON_SUFFIXES = (".jsonl", ".ndjson")
# Columns the staging models carry for ingestion only: the row's verdict, never stored in staging.
VERDICT_COLUMNS = ("violation", "observed_value", "file_line")
DELIVERY_DAY_PATTERN = re.compile(r"^(\d{4}-\d{2}-\d{2})")
# A timestamp string that states its own offset; anything else is Europe/Paris wall time.
WITH_OFFSET = r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"


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


def is_utf8(path: Path, chunk_size: int = 1 << 20) -> bool:
    """Stream the file through an incremental decoder: bounded memory whatever its size."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(chunk_size):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


@contextmanager
def utf8_readable(path: Path) -> Iterator[Path]:
    """The file itself when it is UTF-8 (BOM or not); else a UTF-8 copy read as Windows-1252.

    The copy lives in a private temporary directory for the time of the read only. Bytes
    that Windows-1252 leaves undefined become U+FFFD, so any byte string can be read.
    """
    if path.suffix.lower() not in TEXT_SUFFIXES or is_utf8(path):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="reperes-transcode-") as directory:
        copy = Path(directory) / path.name
        with (
            path.open("r", encoding="cp1252", errors="replace", newline="") as source,
            copy.open("w", encoding="utf-8", newline="") as target,
        ):
            shutil.copyfileobj(source, target, 1 << 20)
        yield copy


def _timestamp_checks(name: str, delivery_day_sql: str | None) -> list[tuple[str, str]]:
    text = f'"{name}"'
    # Compared at whole seconds: fractions of a second are not a clock change.
    local = f"date_trunc('second', try_cast({text} as timestamp))"
    as_offset = (
        "timezone('Europe/Paris', cast(strftime({local}, '%Y-%m-%d %H:%M:%S') || '{offset}' as timestamptz))"
    )
    summer, winter = (
        as_offset.format(local=local, offset="+02:00"),
        as_offset.format(local=local, offset="+01:00"),
    )
    naive = f"{text} is not null and not regexp_matches({text}, '{WITH_OFFSET}') and {local} is not null"
    checks = [
        (f"{text} is not null and try_cast({text} as timestamptz) is null", "not an ISO 8601 timestamp"),
        (
            f"{naive} and {summer} = {local} and {winter} = {local}",
            "ambiguous local time (the hour repeated when clocks go back): give a UTC offset",
        ),
        (
            f"{naive} and {summer} <> {local} and {winter} <> {local}",
            "local time that does not exist (the hour skipped when clocks go forward)",
        ),
        (
            f"try_cast({text} as timestamptz) < timestamptz '2000-01-01 00:00:00+00'",
            "timestamp before 2000",
        ),
    ]
    if delivery_day_sql is not None:
        checks.append(
            (
                f"cast(try_cast({text} as timestamptz) as date) > {delivery_day_sql} + 1",
                "timestamp after the file's delivery day",
            )
        )
    return checks


def _violation_checks(column: Column, delivery_day_sql: str | None) -> list[tuple[str, str]]:
    """(SQL condition that is true when the value breaks the rule, rule description)."""
    name = f'"{column.name}"'
    checks: list[tuple[str, str]] = []
    if column.required:
        checks.append((f"{name} is null", "required value is missing"))
    if column.logical_type == "timestamp":
        checks += _timestamp_checks(column.name, delivery_day_sql if column.required else None)
    if column.logical_type == "date":
        checks.append((f"{name} is not null and try_cast({name} as date) is null", "not an ISO 8601 date"))
    if column.logical_type == "integer":
        # A plain pattern first: DuckDB would round '3.5' to 4 rather than refuse it.
        checks.append(
            (
                f"{name} is not null and (not regexp_full_match({name}, '[+-]?[0-9]+')"
                f" or try_cast({name} as bigint) is null)",
                "not an integer",
            )
        )
    if column.minimum is not None:
        checks.append((f"try_cast({name} as double) < {column.minimum}", f"less than {column.minimum}"))
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


def violation_expression(contract: Contract, delivery_day_sql: str | None = None) -> str:
    """A SQL expression giving the first broken rule of a row as {column, rule}, or null.

    `delivery_day_sql`, the SQL of the row's delivery day (a date literal for one file, the
    column `delivered_on` for a batch of files), bounds its timestamps; None: no bound."""
    branches = ["when record_error is not null then {'column': null, 'rule': record_error}"]
    branches += [
        f"when {condition} then {{'column': {sql_literal(column.name)}, 'rule': {sql_literal(rule)}}}"
        for column in contract.columns
        for condition, rule in _violation_checks(column, delivery_day_sql)
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


def _landed_columns(
    connection: duckdb.DuckDBPyConnection, path: Path, reader: str, contract: Contract
) -> str:
    """Contract columns as trimmed text, plus file_row, file_line and record_error."""
    if path.suffix.lower() in JSON_SUFFIXES:
        # Nested so that no JSON function ever sees a malformed line (DuckDB evaluates CASE
        # branches on whole vectors, and a JSON parse error would fail the whole file).
        valid = "(case when json_valid(json_line) then json_line end)"
        record = f"(case when json_type({valid}) = 'OBJECT' then {valid} end)"
        values = ",\n    ".join(
            f"nullif(trim(json_extract_string({record}, {sql_literal('$.' + column)})), '') as \"{column}\""
            for column in contract.column_names
        )
        return (
            f"ordinality as file_row, ordinality as file_line, {values},\n"
            f"    case when {record} is null then 'not a JSON object' end as record_error"
        )
    present = {row[0] for row in connection.execute(f"describe select * from {reader}").fetchall()}
    return (
        f"ordinality as file_row, cast(null as bigint) as file_line, {_text_columns(contract, present)},\n"
        "    cast(null as varchar) as record_error"
    )


def _text_columns(contract: Contract, present: set[str]) -> str:
    """The contract's columns as trimmed text, null where the file lacks the column."""
    return ",\n    ".join(
        f'nullif(trim(cast("{column}" as varchar)), \'\') as "{column}"'
        if column in present
        else f'cast(null as varchar) as "{column}"'
        for column in contract.column_names
    )


def open_landing_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract,
    delivered_on: date | None = None,
    file_name: str | None = None,
) -> None:
    """Expose the file as temp view `landed_checked`: contract columns as text, row, violation.

    Columns missing from the file become nulls (then the required-column rule names them);
    columns the contract does not know are never selected, so they go no further.
    """
    reader = READERS[path.suffix.lower()].format(path=sql_literal(str(path)))
    columns = _landed_columns(connection, path, reader, contract)
    connection.execute(
        f"create or replace temp view landed as select {columns} from {reader} with ordinality"
    )
    open_checked_view(connection, contract, delivered_on, file_name)


def open_checked_view(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    delivered_on: date | None = None,
    file_name: str | None = None,
) -> None:
    """Expose temp view `landed` (file_row, file_line, contract columns as text, record_error)
    of one file as `landed_checked`, with each row's first broken rule: the one verdict every
    source gets. Every row also carries the file's name and delivery day, as the rows of a
    batch of files do (open_parquet_batch), so that the staging models read them alike."""
    day = f"date '{delivered_on.isoformat()}'" if delivered_on is not None else None
    _create_checked_view(
        connection,
        contract,
        day,
        provenance=(
            f"{sql_literal(file_name) if file_name else 'cast(null as varchar)'} as file_name",
            f"cast({day or 'null'} as date) as delivered_on",
        ),
    )


def _create_checked_view(
    connection: duckdb.DuckDBPyConnection,
    contract: Contract,
    delivery_day_sql: str | None,
    provenance: tuple[str, ...] = (),
) -> None:
    """`landed` with each row's verdict, plus the `provenance` columns (SQL) that `landed`
    lacks: a batch's `landed` carries its rows' file name and delivery day itself."""
    added = "".join(f", {column}" for column in provenance)
    connection.execute(
        f"""
        create or replace temp view landed_checked as
        with checked as (
            select *, {violation_expression(contract, delivery_day_sql)} as violation from landed
        )
        select *, {_observable_value(contract)} as observed_value{added} from checked
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
        select cast(null as bigint) as file_row, cast(null as bigint) as file_line, {columns},
            cast(null as struct("column" varchar, rule varchar)) as violation,
            cast(null as varchar) as observed_value, cast(null as varchar) as file_name,
            cast(null as date) as delivered_on
        limit 0
        """
    )
    sql = staging_sql(model)
    values = {"source": ""}
    shape = f"select * exclude ({', '.join(VERDICT_COLUMNS)}) from ({sql}) limit 0"
    connection.execute(f"create table if not exists staging.{model} as {shape}", _parameters(sql, values))
    # A warehouse made under an earlier contract version gains the new optional columns.
    existing = {row[0] for row in connection.execute(f"describe staging.{model}").fetchall()}
    for name, column_type, *_ in connection.execute(f"describe {shape}", _parameters(sql, values)).fetchall():
        if name not in existing:
            connection.execute(f'alter table staging.{model} add column "{name}" {column_type}')
    connection.execute("drop view landed_checked")


def _drop_file_views(connection: duckdb.DuckDBPyConnection) -> None:
    for statement in (
        "drop table if exists staged_file",
        "drop view if exists landed_checked",
        "drop view if exists landed",
        f"drop table if exists {BATCH_FILES_TABLE}",
        f"drop table if exists {CSV_REJECTS_TABLE}",
        f"drop table if exists {CSV_REJECTS_SCAN}",
    ):
        connection.execute(statement)


def reader_error(failure: Exception) -> str:
    """The reader's reason, cut before any quoted input: file content may hold identifiers."""
    message = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
    for marker in (" Input:", "Original Line", ' "', " '"):
        message = message.split(marker)[0]
    return message.strip()[:200]


def _quarantine_whole_file(
    connection: duckdb.DuckDBPyConnection, contract: Contract, file_name: str, delivered_on, reason: str
) -> None:
    connection.execute(
        "insert into staging.quarantine values (?, ?, ?, null, null, null, ?, null)",
        [contract.name, delivered_on, file_name, reason],
    )


def unreadable_reason(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    contract: Contract,
    delivered_on: date | None = None,
    open_landed: Callable[[duckdb.DuckDBPyConnection, Path], None] | None = None,
) -> str | None:
    """Why no reader can open the file, or None; to be asked before a transaction begins.

    In DuckDB an error inside a transaction aborts all of it: a file that cannot be opened
    would stop the whole load instead of being quarantined whole. Opening it first (the
    reader's sniffing and schema, not a full read) tells load_file to set it aside.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None  # load_file says what is wrong with those
    _drop_file_views(connection)
    try:
        with utf8_readable(path) as readable:
            if open_landed is None:
                open_landing_file(connection, readable, contract, delivered_on)
            else:
                open_landed(connection, readable)
                open_checked_view(connection, contract, delivered_on)
        return None
    except (duckdb.Error, OSError) as failure:
        return f"unreadable file: {reader_error(failure)}"
    finally:
        _drop_file_views(connection)


def load_file(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    file_name: str,
    contract: Contract,
    model: str,
    source: str,
    delivered_on: date | None,
    open_landed: Callable[[duckdb.DuckDBPyConnection, Path], None] | None = None,
    unreadable: str | None = None,
) -> FileLoad:
    """Load one file's valid rows into staging.<model> and its invalid rows into the quarantine.

    rows_read = rows_loaded + rows_quarantined for every file, including the lines the CSV
    reader could not split; a file no reader can open is quarantined whole (0 rows read).
    `open_landed`, given by a source adapter (pipelines/adapters/), opens the temp view
    `landed` from the file in its own format instead of the contract's readers; the checks,
    pseudonyms, quarantine and counts that follow are the same. `unreadable`, from
    `unreadable_reason` asked before the caller's transaction, quarantines the file whole
    without opening it again.
    """
    _drop_file_views(connection)
    error = None
    try:
        if unreadable is not None:
            _quarantine_whole_file(connection, contract, file_name, delivered_on, unreadable)
            load = FileLoad(file_name, 0, 0, 0, error=unreadable)
        elif path.stat().st_size == 0:
            load = FileLoad(file_name, 0, 0, 0, error="empty file")
        else:
            with utf8_readable(path) as readable:
                if open_landed is None:
                    open_landing_file(connection, readable, contract, delivered_on, file_name)
                else:
                    open_landed(connection, readable)
                    open_checked_view(connection, contract, delivered_on, file_name)
                sql = staging_sql(model)
                connection.execute(
                    f"create temp table staged_file as {sql}", _parameters(sql, {"source": source})
                )
            load = None
    except (duckdb.Error, OSError) as failure:
        error = f"unreadable file: {reader_error(failure)}"
        _drop_file_views(connection)
        _quarantine_whole_file(connection, contract, file_name, delivered_on, error)
        load = FileLoad(file_name, 0, 0, 0, error=error)

    if load is None:
        connection.execute(
            f"""
            insert into staging.{model} by name
            select * exclude ({", ".join(VERDICT_COLUMNS)}) from staged_file
            where violation is null
            """
        )
        connection.execute(
            """
            insert into staging.quarantine
            select ?, ?, ?, file_row, file_line, violation.column, violation.rule, observed_value
            from staged_file
            where violation is not null
            """,
            [contract.name, delivered_on, file_name],
        )
        loaded, quarantined = connection.execute(
            "select count_if(violation is null), count_if(violation is not null) from staged_file"
        ).fetchone()
        rejected = _quarantine_rejected_lines(connection, contract, file_name, delivered_on, path)
        loaded, quarantined = loaded or 0, (quarantined or 0) + rejected
        load = FileLoad(file_name, loaded + quarantined, loaded, quarantined)

    connection.execute(
        """
        insert into staging.file_loads
            (contract, delivered_on, file_name, rows_read, rows_loaded, rows_quarantined, error)
        values (?, ?, ?, ?, ?, ?, ?)
        """,
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
    _drop_file_views(connection)
    return load


# Native Parquet files of one column layout are read in one scan (open_parquet_batch): DuckDB
# spreads a scan over both cores only across row groups, and a day's file is often a single
# one; the statements around a load (views, temp table, inserts, counts) then run once per
# scan, not once per file. A scan holds at most this many rows in its temp table.
ROWS_PER_SCAN = 4_000_000
# Columns the batch scan adds to every row: a file holding one of them is loaded alone.
BATCH_SCAN_COLUMNS = ("filename", "file_row_number")


@dataclass(frozen=True)
class BatchFile:
    """A native Parquet file of a batch scan, with what tells its rows apart from the others'."""

    path: Path
    file_name: str
    delivered_on: date
    layout: tuple[tuple[str, str], ...]  # its columns and their DuckDB types, in file order
    rows: int


def parquet_batch_file(
    connection: duckdb.DuckDBPyConnection, path: Path, file_name: str, delivered_on: date
) -> BatchFile | None:
    """The file as a member of a batch scan, or None when it must be loaded alone (load_file):
    not Parquet, empty, or holding a column the scan adds. Ask only of a file
    `unreadable_reason` could open, and before a transaction (its reads may fail)."""
    if path.suffix.lower() != ".parquet" or path.stat().st_size == 0:
        return None
    literal = sql_literal(str(path))
    layout = tuple(
        (name, column_type)
        for name, column_type, *_ in connection.execute(
            f"describe select * from read_parquet({literal})"
        ).fetchall()
    )
    if any(name in BATCH_SCAN_COLUMNS for name, _ in layout):
        return None
    (rows,) = connection.execute(f"select num_rows from parquet_file_metadata({literal})").fetchone()
    return BatchFile(path, file_name, delivered_on, layout, rows)


def batch_scans(files: list[BatchFile], rows_per_scan: int = ROWS_PER_SCAN) -> list[list[BatchFile]]:
    """Files grouped for one scan each: one column layout per scan (a scan reads every file with
    the first one's schema), at most rows_per_scan rows unless one file alone has more; the
    files' order is kept within each scan."""
    scans: dict[tuple, list[list[BatchFile]]] = {}
    for file in files:
        groups = scans.setdefault(file.layout, [[]])
        if groups[-1] and sum(member.rows for member in groups[-1]) + file.rows > rows_per_scan:
            groups.append([])
        groups[-1].append(file)
    return [group for groups in scans.values() for group in groups]


def open_parquet_batch(
    connection: duckdb.DuckDBPyConnection, files: list[BatchFile], contract: Contract
) -> None:
    """Expose several Parquet files of one layout as one temp view `landed_checked`, each row
    with its file's name and delivery day (which bounds its timestamps), as open_landing_file
    does for one file."""
    connection.execute(
        f"create or replace temp table {BATCH_FILES_TABLE} (path varchar, file_name varchar, delivered_on date)"
    )
    connection.executemany(
        f"insert into {BATCH_FILES_TABLE} values (?, ?, ?)",
        [[str(file.path), file.file_name, file.delivered_on] for file in files],
    )
    paths = ", ".join(sql_literal(str(file.path)) for file in files)
    present = {name for name, _ in files[0].layout}
    connection.execute(
        f"""
        create or replace temp view landed as
        select files.file_name, files.delivered_on, scan.file_row_number + 1 as file_row,
            cast(null as bigint) as file_line, {_text_columns(contract, present)},
            cast(null as varchar) as record_error
        from read_parquet([{paths}], filename = true, file_row_number = true) as scan
        join {BATCH_FILES_TABLE} as files on scan.filename = files.path
        """
    )
    _create_checked_view(connection, contract, "delivered_on")


def load_parquet_batch(
    connection: duckdb.DuckDBPyConnection, files: list[BatchFile], contract: Contract, model: str, source: str
) -> dict[str, FileLoad]:
    """Load a batch scan's files as load_file loads each one (valid rows into staging.<model>,
    the others into the quarantine with their file, row and rule, a file_loads row per file),
    in one pass over all of them; the loads by file name."""
    _drop_file_views(connection)
    open_parquet_batch(connection, files, contract)
    sql = staging_sql(model)
    connection.execute(f"create temp table staged_file as {sql}", _parameters(sql, {"source": source}))
    connection.execute(
        f"""
        insert into staging.{model} by name
        select * exclude ({", ".join(VERDICT_COLUMNS)}) from staged_file
        where violation is null
        """
    )
    connection.execute(
        """
        insert into staging.quarantine
        select ?, delivered_on, file_name, file_row, file_line, violation.column, violation.rule, observed_value
        from staged_file
        where violation is not null
        """,
        [contract.name],
    )
    counts = {
        file_name: (loaded, quarantined)
        for file_name, loaded, quarantined in connection.execute(
            """
            select file_name, count_if(violation is null), count_if(violation is not null)
            from staged_file group by file_name
            """
        ).fetchall()
    }
    loads = {}
    for file in files:
        loaded, quarantined = counts.get(file.file_name, (0, 0))
        loads[file.file_name] = FileLoad(file.file_name, loaded + quarantined, loaded, quarantined)
    connection.executemany(
        """
        insert into staging.file_loads
            (contract, delivered_on, file_name, rows_read, rows_loaded, rows_quarantined, error)
        values (?, ?, ?, ?, ?, ?, null)
        """,
        [
            [
                contract.name,
                file.delivered_on,
                file.file_name,
                load.rows_read,
                load.rows_loaded,
                load.rows_quarantined,
            ]
            for file, load in zip(files, loads.values(), strict=True)
        ],
    )
    _drop_file_views(connection)
    return loads


def _quarantine_rejected_lines(
    connection: duckdb.DuckDBPyConnection, contract: Contract, file_name: str, delivered_on, path: Path
) -> int:
    """Lines the CSV reader could not split, one quarantine row per line (never their content)."""
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return 0
    exists = connection.execute(
        "select count(*) from duckdb_tables() where table_name = ? and temporary", [CSV_REJECTS_TABLE]
    ).fetchone()[0]
    if not exists:
        return 0
    rule = "unreadable line: "
    connection.execute(
        f"""
        insert into staging.quarantine
        select ?, ?, ?, null, line, null,
            ? || lower(arg_min(error_type, column_idx)) || ' (' || arg_min(error_message, column_idx) || ')',
            null
        from {CSV_REJECTS_TABLE}
        group by line
        """,
        [contract.name, delivered_on, file_name, rule],
    )
    return connection.execute(f"select count(distinct line) from {CSV_REJECTS_TABLE}").fetchone()[0]
