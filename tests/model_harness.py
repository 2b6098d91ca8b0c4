"""Run SQL models on rows given by hand, in an in-memory warehouse: the unit tests of the marts.

A test states the upstream rows it needs (`given`), builds the model it checks and what lies
between (`build`), and compares the rows with figures computed by hand. The staging tables get
the very columns and types ingestion creates (same SQL, empty file), so a model that runs here
runs on real data; everything upstream a test does not give is empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb

from data_contracts.contracts import load_contract
from pipelines.calendar_table import calendar_rows
from pipelines.ingestion import ensure_staging_table
from pipelines.models import SqlModel, discover_models, run_model
from pipelines.privacy.catalog import Thresholds, load_catalog
from pipelines.pseudonymization import install_pseudonym_macro
from pipelines.publication import build_derived_tables
from pipelines.settings import K_SCHOOL, SCHOOL_ZONE
from pipelines.warehouse import BOOKKEEPING_TABLES, SCHEMAS, configure

STAGING_TABLES = {"stg_events": "events", "stg_roster": "roster", "stg_workshops": "workshops"}
ALL_MODELS = {model.name: model for model in discover_models(("intermediate", "marts"))}


def empty_warehouse(calendar_from: date | None = date(2024, 8, 1)) -> duckdb.DuckDBPyConnection:
    """A configured in-memory warehouse with empty staging tables (see `create_staging`)."""
    connection = duckdb.connect()
    configure(connection, K_SCHOOL)
    for schema in SCHEMAS:
        connection.execute(f"create schema {schema}")
    for statement in BOOKKEEPING_TABLES:
        connection.execute(statement)
    create_staging(connection, calendar_from)
    return connection


def create_staging(connection: duckdb.DuckDBPyConnection, calendar_from: date | None) -> None:
    """Empty staging tables as ingestion makes them and, unless None, the real zone-C school
    calendar from `calendar_from` (the models join on it)."""
    install_pseudonym_macro(connection, bytes(32))
    for model, contract in STAGING_TABLES.items():
        connection.execute(f"drop table if exists staging.{model}")
        ensure_staging_table(connection, load_contract(contract), model)
    connection.execute(
        """
        create or replace table staging.stg_school_calendar (
            day date primary key, week_start date, school_year varchar,
            is_school_day boolean, holiday_name varchar
        )
        """
    )
    if calendar_from is not None:
        connection.executemany(
            "insert into staging.stg_school_calendar values (?, ?, ?, ?, ?)",
            calendar_rows(calendar_from, SCHOOL_ZONE),
        )


def given(connection: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows into an existing table (`layer.name`); columns left out are NULL."""
    for row in rows:
        columns = ", ".join(f'"{column}"' for column in row)
        marks = ", ".join("?" for _ in row)
        connection.execute(f"insert into {table} ({columns}) values ({marks})", list(row.values()))


def upstream_models(names: Sequence[str]) -> list[SqlModel]:
    """The models `names` need, themselves included, in an order that builds each after its inputs."""
    ordered: list[SqlModel] = []

    def visit(name: str) -> None:
        model = ALL_MODELS[name]
        if model in ordered:
            return
        for table in model.upstream_tables:
            layer, upstream = table.split(".", 1)
            if layer != "staging" and upstream in ALL_MODELS:
                visit(upstream)
        ordered.append(model)

    for name in names:
        visit(name)
    return ordered


def build(connection: duckdb.DuckDBPyConnection, *names: str) -> None:
    for model in upstream_models(names):
        run_model(connection, model)


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    result = connection.execute(sql)
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, values, strict=True)) for values in result.fetchall()]


def mart_columns() -> dict[str, list[str]]:
    """Every published table's columns: the marts, from building all models on empty inputs,
    and the tables the release derives from them (models/release/)."""
    catalog = load_catalog()
    connection = empty_warehouse(calendar_from=None)
    try:
        build(connection, *(name for name, model in ALL_MODELS.items() if model.layer == "marts"))
        connection.execute("create schema release")
        for name in catalog.derived_tables.values():
            for source in name.sources:
                bands = "".join(
                    f", cast(null as varchar) as {rate.band_column}" for rate in catalog.tables[source].rates
                )
                connection.execute(
                    f"create or replace table release.{source} as "
                    f"select *{bands}, false as is_suppressed from marts.{source}"
                )
        build_derived_tables(connection, catalog, Thresholds())
        marts = [name for name, model in ALL_MODELS.items() if model.layer == "marts"]
        return {
            **{name: _columns(connection, f"marts.{name}") for name in marts},
            **{name: _columns(connection, f"release.{name}") for name in catalog.derived_tables},
        }
    finally:
        connection.close()


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in connection.execute(f"describe {table}").fetchall()]
