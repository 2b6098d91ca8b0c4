"""Turn coded events into the contract's files (DESIGN.md §2), one file per day.

Parquet keeps real UTC timestamps; CSV and JSONL carry ISO 8601 strings in
Europe/Paris wall-clock time with their offset, as an ENT export would, so the
ingestion's timestamp parsing is exercised on every format. Files are written
to a temporary name and renamed, so a sensor watching the landing folder never
picks up half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ._common import (
    ACTIONS,
    ALL_ROLE_VALUES,
    DISCIPLINES,
    OBJ_PREFIXES,
    SERVICES,
    ParisClock,
    fixed_width_strings,
    hex_bytes,
    hex_ids,
    mix64,
    salt,
)
from .activity import Events

FORMATS = ("parquet", "csv", "jsonl")  # also the file extensions

UTC_TS = pa.timestamp("us", tz="UTC")
EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("occurred_at", UTC_TS, nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("school_uai", pa.string(), nullable=False),
        pa.field("service", pa.string(), nullable=False),
        pa.field("action", pa.string(), nullable=False),
        pa.field("class_id", pa.string()),
        pa.field("discipline", pa.string()),
        pa.field("object_id", pa.string()),
        pa.field("due_at", UTC_TS),
    ]
)
EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)
ROSTER_COLUMNS = (
    "user_id",
    "role",
    "school_uai",
    "class_id",
    "discipline",
    "start_date",
    "end_date",
    "child_id",
)

_ROLE_VALUES = pa.array(ALL_ROLE_VALUES)
_SERVICE_VALUES = pa.array(SERVICES)
_ACTION_VALUES = pa.array(ACTIONS)
_DISC_VALUES = pa.array(DISCIPLINES)
_PREFIX = np.frombuffer(b"".join(OBJ_PREFIXES), dtype=np.uint8).reshape(len(OBJ_PREFIXES), -1)


class EventEncoder:
    """Materialises the strings of a day's events, once per file."""

    def __init__(self, seed: int, user_ids: pa.Array, uais: list[str], class_labels: tuple[str, ...]) -> None:
        self.user_ids = user_ids
        self.uais = pa.array(uais)
        self.class_labels = pa.array(class_labels, type=pa.string())
        self.event_salt = salt(seed, 2)
        self.object_salts = np.array([salt(seed, 10 + k) for k in range(len(OBJ_PREFIXES))])

    @staticmethod
    def _take(values: pa.Array, codes: np.ndarray) -> pa.Array:
        if (codes < 0).any():
            return values.take(pa.array(codes, mask=codes < 0))
        return values.take(pa.array(codes))

    def table(self, ev: Events, keys: np.ndarray) -> pa.Table:
        okind = ev["okind"].astype(np.intp)
        with np.errstate(over="ignore"):
            mixed = mix64(ev["okey"] + self.object_salts[okind])
        obj_chars = np.concatenate([_PREFIX[okind], hex_bytes(mixed)], axis=1)
        due = ev["due"]
        columns = [
            hex_ids(mix64(keys.astype(np.uint64) + self.event_salt)),
            pa.array(ev["t"] * 1_000_000, type=UTC_TS),
            self.user_ids.take(pa.array(ev["user"])),
            _ROLE_VALUES.take(pa.array(ev["role"])),
            self.uais.take(pa.array(ev["school"])),
            _SERVICE_VALUES.take(pa.array(ev["service"])),
            _ACTION_VALUES.take(pa.array(ev["action"])),
            self._take(self.class_labels, ev["cls"]),
            self._take(_DISC_VALUES, ev["disc"]),
            fixed_width_strings(obj_chars, valid=okind > 0),
            pa.array(due * 1_000_000, type=UTC_TS, mask=due < 0),
        ]
        return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)


def _digits(out: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    for i in range(width - 1, -1, -1):
        out[:, col + i] = 48 + values % 10
        values = values // 10


def _paris_iso(ts: pa.Array, clock: ParisClock) -> pa.Array:
    """UTC timestamps as ``2025-09-01T17:42:10+02:00`` strings (Paris time), nulls kept.

    Built digit by digit with integer arithmetic: Arrow's strftime costs a few
    microseconds a value, which is most of a text export's time.
    """
    valid = ts.is_valid().to_numpy(zero_copy_only=False)
    utc = pc.cast(ts, pa.int64()).fill_null(0).to_numpy() // 1_000_000
    off = clock.offset(utc)
    local = utc + off
    days, sod = np.divmod(local, 86_400)
    # Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian).
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    chars = np.empty((len(local), 25), dtype=np.uint8)
    chars[:] = np.frombuffer(b"0000-00-00T00:00:00+00:00", dtype=np.uint8)
    _digits(chars, 0, year, 4)
    _digits(chars, 5, month, 2)
    _digits(chars, 8, day, 2)
    _digits(chars, 11, sod // 3600, 2)
    _digits(chars, 14, sod // 60 % 60, 2)
    _digits(chars, 17, sod % 60, 2)
    chars[:, 19] = np.where(off < 0, ord("-"), ord("+"))
    _digits(chars, 20, np.abs(off) // 3600, 2)
    _digits(chars, 23, np.abs(off) // 60 % 60, 2)
    return fixed_width_strings(chars, valid=valid)


def _as_text(table: pa.Table, clock: ParisClock) -> pa.Table:
    cols = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        cols[name] = _paris_iso(col, clock) if pa.types.is_timestamp(col.type) else col
    return pa.table(cols)


def _replace_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)


def write_events(table: pa.Table, path: Path, file_format: str, clock: ParisClock) -> None:
    if file_format == "parquet":
        _replace_atomically(path, lambda p: pq.write_table(table, p, compression="zstd"))
        return
    frame = pl.from_arrow(_as_text(table, clock))
    if file_format == "csv":
        _replace_atomically(path, lambda p: frame.write_csv(p, line_terminator="\n"))
    elif file_format == "jsonl":
        _replace_atomically(path, lambda p: frame.write_ndjson(p))
    else:
        raise ValueError(f"unknown file format {file_format!r}: expected one of {FORMATS}")


def write_roster(table: pa.Table, path: Path) -> None:
    """The annuaire as CSV: header, comma, UTF-8, ISO dates, empty field for null."""
    frame = pl.from_arrow(table)
    _replace_atomically(path, lambda p: frame.write_csv(p, line_terminator="\n"))
