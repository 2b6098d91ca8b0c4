"""Write a release in two steps: a protected candidate in the warehouse, then the published file.

1. `prepare_release` reads the exact marts, decides what to hide with pipelines.privacy (k,
   successive releases, bands, complementary suppression) and writes each table as it will be
   published into the warehouse schema `release`, with the reason of each suppression; the
   blocking checks on the candidate (k, bands, the disclosure audit) read it there.
2. `publish` copies the candidate, without the reasons, into a fresh published.duckdb and swaps
   it in with os.replace, which is atomic: a dashboard reading during a run keeps the previous
   release, and a run killed half-way leaves the previous release untouched. Then it records
   the populations it published, which the next release must not differ from by 1 to k-1.

Earlier populations are read both from that record and from the published file being
replaced, so a lost warehouse table does not hide the last release from the next one.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipelines.metrics import comment_statements
from pipelines.models import discover_models
from pipelines.privacy.audit import AuditReport, PreviousPopulations, audit, cell_key
from pipelines.privacy.bands import band_violations
from pipelines.privacy.catalog import Catalog, Thresholds, load_catalog, row_key
from pipelines.privacy.suppression import (
    BETWEEN_RELEASES,
    COMPLEMENTARY,
    IS_SUPPRESSED,
    PRIMARY,
    SUPPRESSION_REASON,
    Protection,
    protect,
    published_tables,
)
from pipelines.settings import BENCHMARK_MIN_SCHOOLS

# Columns that must never leave the warehouse, whatever a future model selects.
FORBIDDEN_COLUMNS = ("user_key", "event_key", "user_id", "event_id")
# Kept in the warehouse's candidate only: publishing it would tell which hidden rows are small.
INTERNAL_COLUMNS = (SUPPRESSION_REASON,)
RELEASE_SCHEMA = "release"
RELEASE_INFO = "release_info"
HISTORY_TABLE = f"{RELEASE_SCHEMA}.published_populations"
PREVIOUS_CATALOG = "previous_release"
NEXT_CATALOG = "next_release"


@dataclass(frozen=True)
class Release:
    tables: int
    cells_published: int
    cells_suppressed: int
    cells_suppressed_primary: int = 0
    cells_suppressed_complementary: int = 0
    cells_suppressed_between_releases: int = 0
    rates_banded: int = 0
    rates_withheld: int = 0
    repair_rounds: int = 0


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def read_table(connection: duckdb.DuckDBPyConnection, qualified: str, order_by: tuple[str, ...]) -> pa.Table:
    order = f" order by {_quoted(order_by)}" if order_by else ""
    return connection.sql(f"select * from {qualified}{order}").to_arrow_table()


def read_marts(
    connection: duckdb.DuckDBPyConnection, marts: list[str], catalog: Catalog
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, pa.Schema]]:
    """The exact marts, rows in grain order, and their column types."""
    undeclared = sorted(set(marts) - set(catalog.tables))
    if undeclared:
        raise ValueError(
            f"marts {undeclared} are not declared in models/marts/_privacy.yml: refusing to publish."
        )
    truth, schemas = {}, {}
    for mart in marts:
        columns = {row[0] for row in connection.execute(f"describe marts.{mart}").fetchall()}
        leaked = columns.intersection(FORBIDDEN_COLUMNS)
        if leaked:
            raise ValueError(f"marts.{mart} has identifying column(s) {sorted(leaked)}: refusing to publish.")
        table = read_table(connection, f"marts.{mart}", catalog.tables[mart].grain)
        truth[mart], schemas[mart] = table.to_pylist(), table.schema
    return truth, schemas


def _table_exists(connection: duckdb.DuckDBPyConnection, catalog_name: str, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [catalog_name, schema, table],
        ).fetchone()[0]
    )


def _current_catalog(connection: duckdb.DuckDBPyConnection) -> str:
    return connection.execute("select current_database()").fetchone()[0]


def previous_populations(
    connection: duckdb.DuckDBPyConnection, catalog: Catalog, published_path: Path
) -> PreviousPopulations:
    """Every population earlier releases published, per table and row key."""
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    if _table_exists(connection, _current_catalog(connection), RELEASE_SCHEMA, "published_populations"):
        for table, key, population in connection.execute(
            f"select table_name, cell_key, population from {HISTORY_TABLE}"
        ).fetchall():
            found[(table, key)].add(population)
    if published_path.exists():
        connection.execute(f"attach '{published_path}' as {PREVIOUS_CATALOG} (read_only)")
        try:
            for table, spec in catalog.tables.items():
                if not spec.protected or not _table_exists(connection, PREVIOUS_CATALOG, "main", table):
                    continue
                for *key, population in connection.execute(
                    f"select {_quoted(spec.grain)}, {spec.population} "
                    f"from {PREVIOUS_CATALOG}.main.{table} where {spec.population} is not null"
                ).fetchall():
                    found[(table, cell_key(key))].add(population)
        finally:
            connection.execute(f"detach {PREVIOUS_CATALOG}")
    return {key: frozenset(values) for key, values in found.items()}


def _published_schema(truth_schema: pa.Schema, catalog: Catalog, table: str) -> pa.Schema:
    fields = list(truth_schema)
    for rate in catalog.tables[table].rates:
        fields.append(pa.field(rate.band_column, pa.string()))
    fields += [pa.field(IS_SUPPRESSED, pa.bool_()), pa.field(SUPPRESSION_REASON, pa.string())]
    return pa.schema(fields)


def _release_figures(
    published: dict[str, list[dict[str, Any]]], catalog: Catalog, protection: Protection
) -> Release:
    rates_banded = rates_withheld = 0
    for table, rows in published.items():
        for row in rows:
            if row[IS_SUPPRESSED]:
                continue
            for rate in catalog.tables[table].rates:
                if row[rate.band_column] is not None:
                    rates_banded += 1
                elif row[rate.name] is None and any(row[column] is None for column in rate.numerator):
                    rates_withheld += 1
    between_releases = protection.count(BETWEEN_RELEASES)
    return Release(
        tables=len(published),
        cells_published=sum(len(rows) for rows in published.values()),
        cells_suppressed=len(protection.suppressed),
        cells_suppressed_primary=protection.count(PRIMARY),
        cells_suppressed_complementary=protection.count(COMPLEMENTARY) + between_releases,
        cells_suppressed_between_releases=between_releases,
        rates_banded=rates_banded,
        rates_withheld=rates_withheld,
        repair_rounds=protection.repair_rounds,
    )


def prepare_release(
    connection: duckdb.DuckDBPyConnection,
    marts: list[str],
    published_path: Path,
    thresholds: Thresholds,
    catalog: Catalog | None = None,
) -> Release:
    """Protect the marts and write the candidate release into the warehouse schema `release`."""
    catalog = catalog or load_catalog()
    truth, schemas = read_marts(connection, marts, catalog)
    previous = previous_populations(connection, catalog, published_path)
    protection = protect(truth, catalog, thresholds, previous)
    published = published_tables(truth, catalog, protection)
    figures = _release_figures(published, catalog, protection)
    connection.execute(f"create schema if not exists {RELEASE_SCHEMA}")
    connection.execute("begin transaction")
    try:
        for mart in marts:
            rows = pa.Table.from_pylist(
                published[mart], schema=_published_schema(schemas[mart], catalog, mart)
            )
            connection.register("candidate_rows", rows)
            connection.execute(
                f"create or replace table {RELEASE_SCHEMA}.{mart} as select * from candidate_rows"
            )
            connection.unregister("candidate_rows")
        build_derived_tables(connection, catalog, thresholds)
        connection.execute(
            f"""
            create or replace table {RELEASE_SCHEMA}.{RELEASE_INFO} as
            select
                (select max(occurred_on) from intermediate.int_events) as data_through,
                cast(? as integer) as k_school,
                cast(? as integer) as k_department,
                cast(? as integer) as band_population,
                cast(? as integer) as published_tables,
                cast(? as bigint) as cells_published,
                cast(? as bigint) as cells_suppressed,
                cast(? as bigint) as cells_suppressed_primary,
                cast(? as bigint) as cells_suppressed_complementary,
                cast(? as bigint) as cells_suppressed_between_releases,
                cast(? as bigint) as rates_banded,
                cast(? as bigint) as rates_withheld,
                cast(? as date) as last_purge_on
            """,
            [
                thresholds.k_school,
                thresholds.k_department,
                thresholds.band_population,
                figures.tables,
                figures.cells_published,
                figures.cells_suppressed,
                figures.cells_suppressed_primary,
                figures.cells_suppressed_complementary,
                figures.cells_suppressed_between_releases,
                figures.rates_banded,
                figures.rates_withheld,
                last_purge_on(connection),
            ],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return figures


def build_derived_tables(
    connection: duckdb.DuckDBPyConnection, catalog: Catalog, thresholds: Thresholds
) -> None:
    """Tables computed from the protected candidate only (models/release/): trends and positions
    come from published values, so a hidden or banded cell can never be given back by them."""
    connection.execute("set variable k_department = ?", [thresholds.k_department])
    connection.execute("set variable benchmark_min_schools = ?", [BENCHMARK_MIN_SCHOOLS])
    for model in discover_models(("release",)):
        spec = catalog.derived_tables.get(model.name)
        if spec is None:
            raise ValueError(
                f"models/release/{model.name}.sql is not declared in _privacy.yml derived_tables."
            )
        allowed = {f"{RELEASE_SCHEMA}.{source}" for source in spec.sources}
        if not set(model.upstream_tables) <= allowed:
            raise ValueError(
                f"models/release/{model.name}.sql reads {sorted(set(model.upstream_tables) - allowed)}: "
                "a derived table may read only the published tables it declares."
            )
        connection.execute(f"create or replace table {RELEASE_SCHEMA}.{model.name} as {model.sql}")


def published_table_grains(marts: list[str], catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Every table a release publishes, in order, with the columns that order its rows."""
    grains = {mart: catalog.tables[mart].grain for mart in marts}
    grains.update({name: spec.grain for name, spec in catalog.derived_tables.items()})
    return grains


def read_candidate(
    connection: duckdb.DuckDBPyConnection, marts: list[str], catalog: Catalog
) -> dict[str, list[dict[str, Any]]]:
    return {
        mart: read_table(connection, f"{RELEASE_SCHEMA}.{mart}", catalog.tables[mart].grain).to_pylist()
        for mart in marts
    }


def audit_candidate(
    connection: duckdb.DuckDBPyConnection,
    marts: list[str],
    published_path: Path,
    thresholds: Thresholds,
    catalog: Catalog | None = None,
) -> AuditReport:
    """The disclosure audit of the candidate, against the exact marts and earlier releases."""
    catalog = catalog or load_catalog()
    truth, _ = read_marts(connection, marts, catalog)
    candidate = read_candidate(connection, marts, catalog)
    return audit(
        candidate, truth, catalog, thresholds, previous_populations(connection, catalog, published_path)
    )


def candidate_band_violations(
    connection: duckdb.DuckDBPyConnection,
    marts: list[str],
    thresholds: Thresholds,
    catalog: Catalog | None = None,
) -> list[str]:
    catalog = catalog or load_catalog()
    truth, _ = read_marts(connection, marts, catalog)
    return band_violations(read_candidate(connection, marts, catalog), truth, catalog, thresholds)


def last_purge_on(connection: duckdb.DuckDBPyConnection):
    """The day of the latest retention purge, for the transparency notice (rule 10)."""
    exists = connection.execute(
        "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'purge_log'"
    ).fetchone()[0]
    if not exists:
        return None
    return connection.execute("select max(purged_on) from raw.purge_log").fetchone()[0]


def _record_published_populations(
    connection: duckdb.DuckDBPyConnection, marts: list[str], catalog: Catalog
) -> None:
    records = []
    for mart in marts:
        spec = catalog.tables[mart]
        if not spec.protected:
            continue
        for row in read_candidate(connection, [mart], catalog)[mart]:
            if row[spec.population] is not None:
                records.append(
                    {
                        "table_name": mart,
                        "cell_key": cell_key(row_key(spec, row)),
                        "population": row[spec.population],
                    }
                )
    schema = pa.schema([("table_name", pa.string()), ("cell_key", pa.string()), ("population", pa.int64())])
    connection.execute(
        f"create table if not exists {HISTORY_TABLE} (table_name varchar, cell_key varchar, population bigint)"
    )
    connection.register("published_populations_now", pa.Table.from_pylist(records, schema=schema))
    try:
        connection.execute(
            f"""
            insert into {HISTORY_TABLE}
            select * from published_populations_now
            except
            select * from {HISTORY_TABLE}
            """
        )
    finally:
        connection.unregister("published_populations_now")


def publish(
    connection: duckdb.DuckDBPyConnection,
    marts: list[str],
    published_path: Path,
    catalog: Catalog | None = None,
) -> Release:
    """Copy the candidate of schema `release` (checked) into a new published.duckdb and swap it in."""
    catalog = catalog or load_catalog()
    staging_path = published_path.with_name(published_path.name + ".next")
    staging_path.unlink(missing_ok=True)
    connection.execute(f"attach '{staging_path}' as {NEXT_CATALOG}")
    try:
        for mart, grain in published_table_grains(marts, catalog).items():
            columns = [row[0] for row in connection.execute(f"describe {RELEASE_SCHEMA}.{mart}").fetchall()]
            leaked = set(columns).intersection(FORBIDDEN_COLUMNS)
            if leaked:
                raise ValueError(f"{RELEASE_SCHEMA}.{mart} has identifying column(s) {sorted(leaked)}.")
            kept = tuple(column for column in columns if column not in INTERNAL_COLUMNS)
            connection.execute(
                f"create table {NEXT_CATALOG}.main.{mart} as "
                f"select {_quoted(kept)} from {RELEASE_SCHEMA}.{mart} order by {_quoted(grain)}"
            )
            # What each column means travels with the file (metrics dictionary, models/marts/_metrics.yml).
            for statement in comment_statements(mart, kept, f"{NEXT_CATALOG}.main.{mart}"):
                connection.execute(statement)
        connection.execute(
            f"create table {NEXT_CATALOG}.main.{RELEASE_INFO} as select * from {RELEASE_SCHEMA}.{RELEASE_INFO}"
        )
        info = connection.execute(f"select * from {RELEASE_SCHEMA}.{RELEASE_INFO}")
        names = [column[0] for column in info.description]
        figures = dict(zip(names, info.fetchone(), strict=True))
    finally:
        connection.execute(f"detach {NEXT_CATALOG}")
    os.replace(staging_path, published_path)
    _record_published_populations(connection, marts, catalog)
    return Release(
        tables=figures["published_tables"],
        cells_published=figures["cells_published"],
        cells_suppressed=figures["cells_suppressed"],
        cells_suppressed_primary=figures["cells_suppressed_primary"],
        cells_suppressed_complementary=figures["cells_suppressed_complementary"],
        cells_suppressed_between_releases=figures["cells_suppressed_between_releases"],
        rates_banded=figures["rates_banded"],
        rates_withheld=figures["rates_withheld"],
    )
