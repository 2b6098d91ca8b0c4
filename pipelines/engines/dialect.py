"""Carry a model from DuckDB's SQL to Spark's with sqlglot: one SQL file, two engines, no fork.

The models are written in DuckDB's dialect. This module parses one, and:
- binds the warehouse session's variables (`getvariable('k_department')`, the contract's
  enums) as literals, with the values the DuckDB session holds, so both engines see the same;
- renames `layer.name` tables to the Spark temporary views the engine registers for them
  (`staging__stg_events`), keeping the original name as the alias the SQL may use;
- takes the final ORDER BY off: a global sort is a wasted shuffle on a cluster, and the
  DuckDB table the result is loaded into is written in that order instead;
- writes Spark SQL, refusing (sqlglot's `unsupported_level=RAISE`) what it cannot carry.

Where sqlglot carries a function with the wrong meaning, the fix is here, once, and
tests/test_spark_engine.py runs the function on both engines: DuckDB's `isodow` (Monday = 1)
became `(DAYOFWEEK(d) % 7) + 1` in Spark, wrong on every day (Monday gives 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, SqlglotError

from pipelines.models import TABLE_REFERENCE


class UnportableModel(ValueError):
    """A model that sqlglot cannot carry to Spark: rewrite it in portable SQL (docs/spark.md)."""


class RepèresSpark(Spark):
    """Spark's dialect, with the fixes this project's models need (see the module docstring)."""

    class Generator(Spark.Generator):
        TRANSFORMS = {
            **Spark.Generator.TRANSFORMS,
            # Spark's WEEKDAY is 0 for Monday … 6 for Sunday: ISO's day number minus one.
            exp.DayOfWeekIso: lambda self, expression: f"(WEEKDAY({self.sql(expression, 'this')}) + 1)",
        }


@dataclass(frozen=True)
class SparkQuery:
    sql: str  # Spark SQL, without the final ORDER BY
    order_by: str | None  # the final ORDER BY's keys in DuckDB SQL, applied when loading back
    tables: tuple[str, ...]  # the `layer.name` tables read, each a Spark temporary view


def view_name(table: str) -> str:
    """The Spark temporary view of a warehouse table: `staging.stg_events` -> `staging__stg_events`."""
    layer, name = table.split(".", 1)
    return f"{layer}__{name}"


def to_spark(model_sql: str, variables: dict[str, object], model_name: str = "model") -> SparkQuery:
    try:
        tree = sqlglot.parse_one(model_sql, read="duckdb")
    except SqlglotError as error:
        raise UnportableModel(f"{model_name}: sqlglot cannot parse it ({error}).") from None
    _bind_variables(tree, variables, model_name)
    tables = _rename_tables(tree)
    order = tree.args.get("order")
    order_by = None
    if isinstance(tree, exp.Select) and order is not None:
        order_by = ", ".join(key.sql(dialect="duckdb") for key in order.expressions)
        tree.set("order", None)
    try:
        sql = tree.sql(dialect=RepèresSpark, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as error:
        raise UnportableModel(
            f"{model_name}: sqlglot cannot carry it to Spark ({error}). Rewrite that part in SQL "
            "both engines run (docs/spark.md, 'Portable SQL')."
        ) from None
    return SparkQuery(sql=sql, order_by=order_by, tables=tables)


def _bind_variables(tree: exp.Expression, variables: dict[str, object], model_name: str) -> None:
    for call in list(tree.find_all(exp.Anonymous)):
        if call.name.lower() != "getvariable":
            continue
        (argument,) = call.expressions
        name = argument.name
        if name not in variables:
            raise UnportableModel(f"{model_name}: getvariable('{name}') is not set in the warehouse session.")
        call.replace(_literal(variables[name]))


def _literal(value: object) -> exp.Expression:
    # sqlglot writes date(1, 1, 1) as '1-01-01', which Spark refuses: dates go as ISO text, cast.
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat()), "timestamp")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "date")
    return exp.convert(value)


def _rename_tables(tree: exp.Expression) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for table in list(tree.find_all(exp.Table)):
        reference = f"{table.db}.{table.name}"
        if not table.db or not TABLE_REFERENCE.fullmatch(reference):
            continue  # a CTE's name
        found[reference] = None
        renamed = exp.to_table(view_name(reference))
        renamed.set("alias", table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(table.name)))
        table.replace(renamed)
    return tuple(found)
