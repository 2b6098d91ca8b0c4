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
from pathlib import Path

import duckdb

from pipelines.settings import MODELS_DIR

LAYERS = ("staging", "intermediate", "marts")
TABLE_REFERENCE = re.compile(r"\b(staging|intermediate|marts|release)\.([a-z_][a-z0-9_]*)\b")


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


def run_model(connection: duckdb.DuckDBPyConnection, model: SqlModel) -> int:
    """Rebuild the model's table in one transaction; returns its row count."""
    connection.execute("begin transaction")
    try:
        connection.execute(f"create or replace table {model.layer}.{model.name} as {model.sql}")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return connection.execute(f"select count(*) from {model.layer}.{model.name}").fetchone()[0]
