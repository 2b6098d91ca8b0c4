"""The Spark engine (REPERES_ENGINE=spark, docs/spark.md) publishes exactly what DuckDB publishes.

The whole pipeline runs twice through Dagster, as `reperes run` does, on the same simulated
département and key: once with DuckDB, once with Spark in local mode (a real SparkSession, a
real JVM). Every published table must then be identical, column types and cells. The
département is the smallest that still fills every published table: five schools (the
quartile positions need five), five weeks (the first month needs four school weeks), two
classes per school (every role, homework, parents, workshops, a few quarantined rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import benchmark
from pipelines.engines import dialect
from pipelines.engines.spark import PARTITIONS, SparkUnavailable, check_java, models_in_build_order
from pipelines.models import discover_models
from pipelines.privacy.catalog import load_catalog

CATALOG = load_catalog()
PUBLISHED_TABLES = sorted({*CATALOG.tables, *CATALOG.derived_tables, "release_info"})
CLASSES_PER_SCHOOL = 2
STAFF_PER_SCHOOL = 12


def reperes(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def keep_a_few_classes(landing: Path, classes_per_school: int) -> None:
    """Cut a simulated département down to a few classes per school: their pupils, parents and
    teachers, a dozen staff, and every event of theirs or of accounts missing from the roster (the
    simulator's unrostered users and broken rows), so that Spark's fixed costs, not the data,
    set the test's time."""
    roster = landing / "roster" / "roster.csv"
    with duckdb.connect() as connection:
        connection.execute(
            f"""
            create table roster as select * from read_csv('{roster}', all_varchar = true);
            create table kept_classes as
            select school_uai, class_id from (
                select distinct school_uai, class_id from roster where role = 'eleve'
            )
            qualify row_number() over (partition by school_uai order by class_id) <= {classes_per_school};
            create table kept_staff as
            select user_id from roster where role = 'personnel'
            qualify row_number() over (partition by school_uai order by user_id) <= {STAFF_PER_SCHOOL};
            create table kept_roster as
            select roster.* from roster
            left join kept_classes using (school_uai, class_id)
            where kept_classes.class_id is not null or roster.user_id in (select user_id from kept_staff);
            copy kept_roster to '{roster}' (header, delimiter ',');
            """
        )
        for path in sorted((landing / "events").glob("*.parquet")):
            connection.execute(
                f"""
                copy (
                    select * from read_parquet('{path}')
                    where user_id in (select user_id from kept_roster)
                        or user_id not in (select user_id from roster)
                ) to '{path}.kept' (format parquet)
                """
            )
            os.replace(f"{path}.kept", path)


def _environment(engine: str) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    environment["REPERES_ENGINE"] = engine
    environment["DAGSTER_DISABLE_TELEMETRY"] = "true"
    environment["GX_ANALYTICS_ENABLED"] = "false"
    return environment


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The two rebuilds, run as `reperes bench` runs them (pipelines/benchmark.py): the DuckDB
    one with `pipeline_run`, the Spark one with `spark_rebuild`, whose figures are checked here
    too, so that the suite builds this département on Spark once."""
    root = tmp_path_factory.mktemp("spark")
    landing = root / "landing"
    simulated = reperes(
        "simulate",
        "--out",
        str(landing),
        "--schools",
        "5",
        "--weeks",
        "5",
        "--seed",
        "11",
        env=_environment("duckdb"),
    )
    assert simulated.returncode == 0, simulated.stderr
    keep_a_few_classes(landing, CLASSES_PER_SCHOOL)
    key_file = root / "pseudonym.key"
    key_file.write_text("7d" * 32)
    lines: list[str] = []
    events = benchmark.count_events(landing / "events")
    duckdb_run = benchmark.pipeline_run(
        "full rebuild through Dagster",
        landing,
        root / "data",
        key_file,
        root / "logs" / "duckdb.log",
        lines.append,
    )
    runtime = benchmark.spark_runtime(benchmark.plan_for(events))
    if "skipped" in runtime:
        pytest.skip(runtime["message"])
    spark = benchmark.spark_rebuild(root, key_file, events, duckdb_run, runtime, lines.append)
    assert "skipped" not in spark, spark
    return {
        "duckdb": root / "data",
        "spark": root / "spark" / "data",
        "figures": spark,
        "events": events,
        "root": root,
    }


def _published(data_dir: Path, table: str) -> tuple[list[tuple], list[tuple]]:
    with duckdb.connect(str(data_dir / "published.duckdb"), read_only=True) as connection:
        columns = [
            (name, column_type)
            for name, column_type, *_ in connection.execute(f"describe {table}").fetchall()
        ]
        rows = connection.execute(f"select * from {table} order by all").fetchall()
    return columns, rows


@pytest.mark.slow
@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_spark_publishes_every_table_identical_to_duckdb(both_runs: dict, table: str):
    duckdb_columns, duckdb_rows = _published(both_runs["duckdb"], table)
    spark_columns, spark_rows = _published(both_runs["spark"], table)
    assert spark_columns == duckdb_columns
    assert duckdb_rows, f"{table} is empty: the test département no longer exercises it"
    assert len(spark_rows) == len(duckdb_rows)
    for spark_row, duckdb_row in zip(spark_rows, duckdb_rows, strict=True):
        assert spark_row == duckdb_row


@pytest.mark.slow
def test_every_model_was_built_by_spark_through_dagster(both_runs: dict):
    with dg.DagsterInstance.from_config(str(both_runs["spark"] / "dagster")) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        engines = {}
        for model in discover_models():
            event = instance.get_latest_materialization_event(dg.AssetKey(model.name))
            assert event is not None and event.run_id == run.run_id, model.name
            engines[model.name] = event.asset_materialization.metadata["engine"].value
    assert set(engines.values()) == {"spark"}, engines
    # Spark's scratch (shuffle spill) and the run's Parquet stay inside the data directory.
    runs = list((both_runs["spark"] / "spark" / "runs").iterdir())
    assert [folder.name for folder in runs] == [run.run_id]
    events = runs[0] / "intermediate" / "int_events"
    assert {path.name.split("=")[0] for path in events.iterdir() if path.is_dir()} == {"school_uai"}
    assert all(
        folder.name.startswith("occurred_on=")
        for school in events.iterdir()
        if school.is_dir()
        for folder in school.iterdir()
    )


def test_counts_keep_duckdb_integer_types(both_runs: dict):
    """Spark's own types (bigint sums, int counts) are cast back to what DuckDB gives each model."""
    with duckdb.connect(str(both_runs["spark"] / "warehouse.duckdb"), read_only=True) as connection:
        types = dict(
            connection.execute(
                """
                select table_schema || '.' || table_name || '.' || column_name, data_type
                from information_schema.columns where table_schema in ('intermediate', 'marts')
                """
            ).fetchall()
        )
    assert types["marts.adoption_weekly.enrolled"] == "BIGINT"
    assert types["marts.workshop_effects.weeks_before_available"] == "INTEGER"
    assert not [column for column, column_type in types.items() if column_type == "HUGEINT"]


@pytest.mark.slow
def test_the_benchmark_times_the_spark_rebuild_through_dagster(both_runs: dict):
    """`reperes bench`'s Spark column (`spark_rebuild`, `spark_run_child`): the JVM start and
    each model timed apart in the run's own process, every model of the heavy layers built on
    Spark, the Dagster steps split by stage, and the ratio to the DuckDB rebuild."""
    spark = both_runs["figures"]
    models = {f"{model.layer}.{model.name}" for model in models_in_build_order()}
    assert set(spark["models"]) == models
    assert spark["master"] == "local[*]" and spark["java"] >= 17 and spark["events"] == both_runs["events"]
    assert {"ingestion", "intermediate", "marts", "release"} <= set(spark["stages"])
    figures = [spark["seconds"], spark["peak_mib"], spark["jvm_start_seconds"], spark["models_seconds"]]
    assert all(isinstance(value, float) and value > 0 for value in figures)
    # The JVM start and the models are timed in the run's process (one clock); the Dagster steps
    # come from the event log's timestamps, another clock, so they are not compared.
    assert spark["models_seconds"] == pytest.approx(
        spark["models_spark_seconds"] + spark["models_load_seconds"]
    )
    assert all(model["spark_seconds"] > 0 for model in spark["models"].values())
    assert spark["over_duckdb_full_rebuild"] > 0
    assert (both_runs["root"] / "logs" / "spark.log").is_file()
    with dg.DagsterInstance.from_config(str(both_runs["spark"] / "dagster")) as instance:
        (run,) = instance.get_runs()
    assert spark["run_id"] == run.run_id


# --- Without a JVM: the transpiler and the clear errors.


def test_isodow_is_carried_to_the_same_day_number():
    """sqlglot writes DuckDB's isodow (Monday = 1) as `(DAYOFWEEK(d) % 7) + 1`, wrong on every day;
    the engine's dialect writes Spark's WEEKDAY (Monday = 0) + 1."""
    query = dialect.to_spark("select isodow(due_on) as weekday from marts.homework_load_class_daily", {})
    assert "(WEEKDAY(due_on) + 1)" in query.sql
    assert "DAYOFWEEK" not in query.sql


def test_session_variables_and_tables_are_bound_and_order_is_left_to_duckdb():
    query = dialect.to_spark(
        "select service from staging.stg_events where service in (select unnest(getvariable('s'))) "
        "and week_start >= getvariable('d') order by service",
        {"s": ["devoirs", "portail"], "d": __import__("datetime").date(1, 1, 1)},
    )
    assert "ARRAY('devoirs', 'portail')" in query.sql
    assert "CAST('0001-01-01' AS DATE)" in query.sql
    assert "staging__stg_events AS stg_events" in query.sql
    assert "ORDER BY" not in query.sql and query.order_by == "service"
    assert query.tables == ("staging.stg_events",)


def test_every_model_is_carried_to_spark_sql():
    """No model needs an engine-specific copy: each transpiles, and each reads tables Spark is given."""
    variables = {"k_school": 5, "k_department": 10, "service_values": ["portail"], "role_values": ["eleve"]}
    variables |= {"action_values": ["login"], "recompute_start": None, "recompute_end": None}
    built = {f"{model.layer}.{model.name}" for model in models_in_build_order()}
    for model in discover_models():
        query = dialect.to_spark(model.sql, variables, model.name)
        assert set(query.tables) <= built | {
            "staging.stg_events",
            "staging.stg_roster",
            "staging.stg_workshops",
            "staging.stg_school_calendar",
            "staging.file_loads",
            "staging.quarantine",
        }
    assert set(PARTITIONS) <= built | {"staging.stg_events"}


def test_unportable_sql_is_refused_with_the_model_name():
    with pytest.raises(dialect.UnportableModel, match="broken_model"):
        dialect.to_spark("select from where", {}, "broken_model")


def test_spark_without_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SparkUnavailable, match="openjdk-17-jre-headless"):
        check_java()


def test_an_unknown_engine_is_refused(monkeypatch: pytest.MonkeyPatch):
    from pipelines.settings import selected_engine

    monkeypatch.setenv("REPERES_ENGINE", "snowflake")
    with pytest.raises(ValueError, match="duckdb, spark"):
        selected_engine()
    monkeypatch.delenv("REPERES_ENGINE")
    assert selected_engine() == "duckdb"
