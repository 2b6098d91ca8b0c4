"""Discover the SQL models in models/ and run them in DuckDB.

Plain SQL files, one model per file, each creating the table named after the file in the
schema named after its folder (models/marts/adoption_weekly.sql -> marts.adoption_weekly).
Dependencies are read from the tables a model references (`layer.name`), so the Dagster
asset graph is derived from the SQL and cannot drift from it. We chose plain files over
dbt: the project has a dozen models and one engine today, and DuckDB runs them directly;
each file stays valid SQL that a transpiler (sqlglot) can carry to another engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.settings import MODELS_DIR
from pipelines.warehouse import set_recompute_window

LAYERS = ("staging", "intermediate", "marts")
TABLE_REFERENCE = re.compile(r"\b(staging|intermediate|marts|release)\.([a-z_][a-z0-9_]*)\b")
# A model partitioned by time says so in its header: `-- Incremental by week_start.`
INCREMENTAL_HEADER = re.compile(r"^-- Incremental by ([a-z_]+)\b", re.MULTILINE)


@dataclass(frozen=True)
class SqlModel:
    name: str
    layer: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def description(self) -> str:
        """The header comment, which states the model's grain and its privacy rule."""
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line.removeprefix("--").strip())
        return " ".join(lines)

    @property
    def incremental_column(self) -> str | None:
        """The day, week or month column of a model that can rebuild a window of days alone
        (pipelines/incremental.py); its SQL filters its inputs on `recompute_start`/`_end`."""
        match = INCREMENTAL_HEADER.search(self.sql)
        return match.group(1) if match else None

    @property
    def upstream_tables(self) -> tuple[str, ...]:
        """Tables this model reads, as `layer.name`, in order of first mention."""
        found: dict[str, None] = {}
        body = "\n".join(line for line in self.sql.splitlines() if not line.startswith("--"))
        for layer, name in TABLE_REFERENCE.findall(body):
            found[f"{layer}.{name}"] = None
        return tuple(found)


def discover_models(layers: tuple[str, ...] = ("intermediate", "marts")) -> list[SqlModel]:
    return [
        SqlModel(name=path.stem, layer=layer, path=path)
        for layer in layers
        for path in sorted((MODELS_DIR / layer).glob("*.sql"))
    ]


def run_model(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, window: tuple[date, date] | None = None
) -> int:
    """Rebuild the model's table in one transaction; returns its row count.

    With a window [start, end) and an incremental model, only the rows of those days are
    replaced: the SQL, filtered by the window's variables, gives exactly them."""
    table = f"{model.layer}.{model.name}"
    incremental = window is not None and model.incremental_column is not None
    set_recompute_window(connection, window if incremental else None)
    connection.execute("begin transaction")
    try:
        if incremental:
            connection.execute(
                f"delete from {table} where {model.incremental_column} >= ? and {model.incremental_column} < ?",
                list(window),
            )
            connection.execute(f"insert into {table} by name {model.sql}")
        else:
            connection.execute(f"create or replace table {table} as {model.sql}")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        set_recompute_window(connection, None)
    return connection.execute(f"select count(*) from {table}").fetchone()[0]
