"""The figures a run ends with, read back from the warehouse so they are the stored truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class RunSummary:
    files: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    duplicates: int
    roster_rows_loaded: int
    roster_rows_quarantined: int
    cells_published: int
    cells_suppressed: int

    def lines(self) -> list[str]:
        return [
            f"event files read      {self.files:>12,}",
            f"rows read             {self.rows_read:>12,}",
            f"  loaded (distinct)   {self.rows_loaded:>12,}",
            f"  quarantined         {self.rows_quarantined:>12,}",
            f"  duplicates          {self.duplicates:>12,}",
            f"roster rows loaded    {self.roster_rows_loaded:>12,}  (quarantined {self.roster_rows_quarantined:,})",
            f"cells published       {self.cells_published:>12,}",
            f"  suppressed (< k)    {self.cells_suppressed:>12,}",
        ]


def read_run_summary(warehouse_path: Path, published_path: Path) -> RunSummary:
    """Totals of intermediate.int_file_balance, whose per-file balance a blocking check guards."""
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        files, rows_read, rows_loaded, rows_quarantined, duplicates = connection.execute(
            """
            select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                coalesce(sum(rows_quarantined), 0), coalesce(sum(rows_duplicate), 0)
            from intermediate.int_file_balance
            """
        ).fetchone()
        roster_loaded, roster_quarantined = connection.execute(
            """
            select coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
            from staging.file_loads where contract = 'roster'
            """
        ).fetchone()
    with duckdb.connect(str(published_path), read_only=True) as connection:
        cells_published, cells_suppressed = connection.execute(
            "select cells_published, cells_suppressed from release_info"
        ).fetchone()
    return RunSummary(
        files=files,
        rows_read=rows_read,
        rows_loaded=rows_loaded,
        rows_quarantined=rows_quarantined,
        duplicates=duplicates,
        roster_rows_loaded=roster_loaded,
        roster_rows_quarantined=roster_quarantined,
        cells_published=cells_published,
        cells_suppressed=cells_suppressed,
    )
