"""`reperes ingest`: put one export into the landing area with the right adapter, or dry-run it.

The file is copied into landing/<source>/ (landing/events/ for a file of the native contract)
under a dated name, YYYY-MM-DD….ext (its own name if it starts with a date, else today's date
in front), where the sensor and the next run find it. A directory file (AAF) keeps its name:
it is part of the roster snapshot, not of a delivery day. With check, nothing is copied: the
file is read in memory and the rows that would load, those that would be quarantined (by
rule) and the values that have no mapping yet are printed.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from pipelines.adapters import ADAPTERS, NATIVE_EVENTS_FOLDER, Adapter, CheckReport, check_file
from pipelines.ingestion import READERS, delivery_day

CONTRACT_SOURCE = "contract"
SOURCES = (*ADAPTERS, CONTRACT_SOURCE)


class IngestError(ValueError):
    """A file this source cannot take, or a landing name already used."""


def _adapter(source: str) -> Adapter | None:
    if source == CONTRACT_SOURCE:
        return None
    if source not in ADAPTERS:
        raise IngestError(f"Unknown source {source!r}: one of {', '.join(SOURCES)}.")
    return ADAPTERS[source]


def _accepts(adapter: Adapter | None, path: Path) -> bool:
    if adapter is None:
        return path.is_file() and path.suffix.lower() in READERS
    return adapter.accepts(path)


def landing_name(path: Path, today: date) -> str:
    return path.name if delivery_day(path) is not None else f"{today.isoformat()}-{path.name}"


def ingest(
    source: str, path: Path, landing: Path, check: bool = False, today: date | None = None
) -> CheckReport | Path:
    """Check the file (check=True: returns the report, stores nothing) or copy it into landing."""
    adapter = _adapter(source)
    if not path.is_file():
        raise IngestError(f"{path} is not a file.")
    if not _accepts(adapter, path):
        suffixes = adapter.suffixes if adapter is not None else tuple(READERS)
        raise IngestError(f"{path.name}: a {source} file ends with {' or '.join(suffixes)}.")
    folder = adapter.source if adapter is not None else NATIVE_EVENTS_FOLDER
    dated = adapter is None or adapter.contract == "events"
    name = landing_name(path, today or date.today()) if dated else path.name
    if check:
        return check_file(adapter, path, f"{folder}/{name}")
    target = landing / folder / name
    if target.exists():
        raise IngestError(
            f"{target} exists already: a file is delivered once (rename it to deliver it again)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")  # not a landing file until complete
    shutil.copyfile(path, partial)
    partial.rename(target)
    return target
