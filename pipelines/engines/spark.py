"""Build the models on Apache Spark, with the warehouse and the published file still in DuckDB.

A model runs on Spark in three steps (`build_model`):
1. its input tables are read from Parquet in the run's exchange folder, DATA/spark/runs/<run id>/:
   a staging table is exported there from the warehouse the first time a model of the run needs
   it; a table Spark built earlier in the run is read from what Spark wrote (no round trip);
2. the model's SQL file, carried to Spark's dialect by sqlglot (`dialect.py`), runs on the
   SparkSession and its result is written there as Parquet; event-level tables are partitioned
   by school and day (`PARTITIONS`), one task per partition, so that the work spreads over
   executors by whole schools and days;
3. the Parquet is loaded into the warehouse table of the same name, each column cast to the
   type DuckDB gives that model (`describe`), in the model's final ORDER BY: the checks, the
   release and the published file read the same tables, of the same types, whichever engine
   built them.

Parquet is the exchange format because both engines read and write it natively, with types,
in parallel, and because it is what a data lake would hold at the scale of a whole académie
(docs/spark.md). The exchange folder holds pseudonymized rows like the warehouse, inside the
data directory: each run replaces the previous run's folder, so that a purge or an erasure,
which rebuilds the models, leaves no older copy behind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.engines import SPARK_LAYERS
from pipelines.engines.dialect import SparkQuery, to_spark, view_name
from pipelines.models import SqlModel, discover_models
from pipelines.settings import K_SCHOOL, SPARK_MASTER_ENV_VAR, TIMEZONE, WAREHOUSE_FILE
from pipelines.warehouse import connect_warehouse

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

EXCHANGE_FOLDER = "spark"
DEFAULT_MASTER = "local[*]"
MINIMUM_JAVA = 17
JAVA_PACKAGE = "openjdk-17-jre-headless"

# Event-level tables (one row per event or per user-day) are partitioned by school and day:
# what an executor reads and writes is whole partitions. The other tables are small or have
# no day (weeks, rosters, marts), and go whole.
PARTITIONS: dict[str, tuple[str, str]] = {
    "staging.stg_events": ("school_uai", "delivered_on"),
    "intermediate.int_events": ("school_uai", "occurred_on"),
    "intermediate.int_user_service_days": ("school_uai", "occurred_on"),
}
# Spark's types for the partition columns, which Parquet files do not carry (they are folder names).
PARTITION_TYPES = {"VARCHAR": "string", "DATE": "date"}
COMPLETE_MARKER = "_SUCCESS"  # written last by Spark and by the DuckDB export: the folder is whole


class SparkUnavailable(RuntimeError):
    """REPERES_ENGINE=spark on a machine that cannot start Spark; the message says what to install."""


# --- The Java runtime and the session.


def java_executable() -> Path:
    """The `java` PySpark will start: $JAVA_HOME/bin/java, else the first on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return Path(java_home) / "bin" / "java"
    found = shutil.which("java")
    if found is None:
        raise SparkUnavailable(
            f"REPERES_ENGINE=spark needs a Java runtime, {MINIMUM_JAVA} or later, and none was found "
            f"(no JAVA_HOME, no `java` on PATH). Install Debian's {JAVA_PACKAGE} (`make java`), or set "
            "JAVA_HOME; or run with REPERES_ENGINE=duckdb."
        )
    return Path(found)


def check_java() -> int:
    """The major version of the Java runtime, refused below 17 (Spark 4's floor) with a clear message."""
    java = java_executable()
    try:
        shown = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60).stderr
    except OSError as error:
        raise SparkUnavailable(f"{java} does not run ({error}): install Debian's {JAVA_PACKAGE}.") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    if match is None:
        raise SparkUnavailable(f"Cannot tell the version of {java}: install Debian's {JAVA_PACKAGE}.")
    major = int(match.group(1)) if match.group(1) != "1" else int(match.group(2) or 0)
    if major < MINIMUM_JAVA:
        raise SparkUnavailable(
            f"{java} is Java {major}; Spark needs {MINIMUM_JAVA} or later: install Debian's "
            f"{JAVA_PACKAGE} and set JAVA_HOME to it (`make java`)."
        )
    return major


def spark_master() -> str:
    return os.environ.get(SPARK_MASTER_ENV_VAR, "").strip() or DEFAULT_MASTER


def session_config(data_dir: Path, master: str) -> dict[str, str]:
    """What every model relies on, whatever the cluster: Paris time (dates and weeks are local, as
    in the warehouse), timestamps written as Parquet microseconds DuckDB reads with their time zone,
    partition folders read as text (typed by the engine, never guessed). Plus, in local mode,
    scratch space inside the data directory and small shuffles."""
    scratch = Path(data_dir) / EXCHANGE_FOLDER
    config = {
        "spark.sql.session.timeZone": TIMEZONE,
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(scratch / "catalog"),
    }
    if master.startswith("local"):
        config |= {
            # Shuffle spill holds pseudonyms: it stays inside the data directory.
            "spark.local.dir": str(scratch / "scratch"),
            # One shuffle partition per core: the test département's stages are tiny.
            "spark.sql.shuffle.partitions": str(os.cpu_count() or 1),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.host": "127.0.0.1",
            # Listing a few hundred school × day folders is quicker in the driver than as a job.
            "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
        }
    return config


def start_session(
    data_dir: Path, master: str | None = None, extra: dict[str, str] | None = None
) -> SparkSession:
    """A SparkSession for the models (the JVM starts here, never at import).

    On a cluster, settings beyond the ones above (executors, memory, the Kubernetes image)
    come from $SPARK_CONF_DIR/spark-defaults.conf or `extra`, as for any Spark application.
    """
    check_java()
    from pyspark.sql import SparkSession

    master = master or spark_master()
    builder = SparkSession.builder.master(master).appName("reperes")
    for key, value in {**session_config(data_dir, master), **(extra or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


# --- The exchange folder.


@dataclass
class Exchange:
    """The Parquet files one run exchanges between DuckDB and Spark: DATA/spark/runs/<run id>/<layer>/<name>/."""

    data_dir: Path
    run_id: str
    _prepared: bool = field(default=False, repr=False)
    # DataFrames already opened in this run: reusing one skips listing its school × day folders again.
    _frames: dict[str, DataFrame] = field(default_factory=dict, repr=False)

    @property
    def root(self) -> Path:
        return Path(self.data_dir) / EXCHANGE_FOLDER / "runs"

    @property
    def run_path(self) -> Path:
        return self.root / self.run_id

    def path(self, table: str) -> Path:
        layer, name = table.split(".", 1)
        return self.run_path / layer / name

    def prepare(self) -> None:
        """Remove earlier runs' folders: their rows may since have been purged or erased."""
        if self._prepared:
            return
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder.name != self.run_id:
                    shutil.rmtree(folder, ignore_errors=True)
        self.run_path.mkdir(parents=True, exist_ok=True)
        self._prepared = True

    def is_complete(self, table: str) -> bool:
        path = self.path(table)
        return (path / COMPLETE_MARKER).is_file() and any(path.rglob("*.parquet"))

    def export(self, connection: duckdb.DuckDBPyConnection, table: str) -> None:
        """Write a warehouse table as Parquet (partitioned by school and day when event-level), atomically."""
        target = self.path(table)
        staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        partition = PARTITIONS.get(table)
        rows = connection.execute(f"select count(*) from {table}").fetchone()[0]
        if partition and rows:
            # PARTITION_BY writes school_uai=…/delivered_on=…/*.parquet, the columns in folder names.
            connection.execute(
                f"copy (select * from {table}) to '{staging}' "
                f"(format parquet, partition_by ({', '.join(partition)}))"
            )
        else:
            # An empty table is written whole: its one file still carries the schema.
            connection.execute(
                f"copy (select * from {table}) to '{staging / 'part-0.parquet'}' (format parquet)"
            )
        (staging / COMPLETE_MARKER).touch()
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)

    def read(self, session: SparkSession, connection: duckdb.DuckDBPyConnection, table: str) -> DataFrame:
        """The table as a Spark DataFrame, columns in the warehouse's order and partition columns typed."""
        if table in self._frames:
            return self._frames[table]
        if not self.is_complete(table):
            self.export(connection, table)
        columns = connection.execute(f"describe {table}").fetchall()
        path = self.path(table)
        frame = session.read.option("basePath", str(path)).parquet(str(path))
        for name in PARTITIONS.get(table, ()):
            if name in frame.columns:
                duckdb_type = next(column_type for column, column_type, *_ in columns if column == name)
                frame = frame.withColumn(name, frame[name].cast(PARTITION_TYPES[duckdb_type]))
        self._frames[table] = frame.select(*[column for column, *_ in columns])
        return self._frames[table]

    def write(self, frame: DataFrame, table: str) -> None:
        self._frames.pop(table, None)
        path = self.path(table)
        partition = PARTITIONS.get(table)
        writer = (frame.repartition(*partition) if partition else frame).write.mode("overwrite")
        if partition:
            writer = writer.partitionBy(*partition)
        writer.parquet(str(path))

    def parquet_glob(self, table: str) -> str | None:
        """The glob of the table's Parquet files, None when Spark wrote none (an empty result)."""
        if not any(self.path(table).rglob("*.parquet")):
            return None
        return str(self.path(table) / "**" / "*.parquet")


# --- One model.


@dataclass(frozen=True)
class SparkBuild:
    rows: int
    spark_seconds: float  # running the SQL on Spark and writing its Parquet
    load_seconds: float  # loading that Parquet into the warehouse
    spark_sql: str


def session_variables(connection: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The warehouse session's variables (k, the contract's enums), typed, as the models read them."""
    names = [name for (name,) in connection.execute("select name from duckdb_variables()").fetchall()]
    return {name: connection.execute("select getvariable(?)", [name]).fetchone()[0] for name in names}


def build_model(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, session: SparkSession, exchange: Exchange
) -> SparkBuild:
    """Run one model on Spark and replace its warehouse table by the result (see the module docstring)."""
    exchange.prepare()
    query: SparkQuery = to_spark(model.sql, session_variables(connection), model.name)
    started = time.monotonic()
    for table in query.tables:
        exchange.read(session, connection, table).createOrReplaceTempView(view_name(table))
    target = f"{model.layer}.{model.name}"
    exchange.write(session.sql(query.sql), target)
    spark_done = time.monotonic()
    rows = load_into_warehouse(connection, model, exchange, query)
    return SparkBuild(rows, spark_done - started, time.monotonic() - spark_done, query.sql)


def load_into_warehouse(
    connection: duckdb.DuckDBPyConnection, model: SqlModel, exchange: Exchange, query: SparkQuery
) -> int:
    """Replace `layer.name` by Spark's Parquet, typed as DuckDB types the model, in the model's order."""
    target = f"{model.layer}.{model.name}"
    # DuckDB binds the model without running it: the types it would have given each column.
    columns = [
        (name, column_type)
        for name, column_type, *_ in connection.execute(f"describe {model.sql}").fetchall()
    ]
    files = exchange.parquet_glob(target)
    if files is None:  # Spark writes no file for an empty partitioned result
        source = "(select 1) as nothing where false"
        selected = ", ".join(f'cast(null as {column_type}) as "{name}"' for name, column_type in columns)
    else:
        source = f"read_parquet('{files}', hive_partitioning = true, hive_types_autocast = false)"
        selected = ", ".join(f'cast("{name}" as {column_type}) as "{name}"' for name, column_type in columns)
    order = f" order by {query.order_by}" if query.order_by else ""
    connection.execute("begin transaction")
    try:
        connection.execute(f"create or replace table {target} as select {selected} from {source}{order}")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    return connection.execute(f"select count(*) from {target}").fetchone()[0]


# --- A whole rebuild, for the benchmark.


def models_in_build_order(layers: tuple[str, ...] = SPARK_LAYERS) -> list[SqlModel]:
    """The models of `layers`, each after the models it reads."""
    models = {f"{model.layer}.{model.name}": model for model in discover_models(layers)}
    graph = {table: [up for up in model.upstream_tables if up in models] for table, model in models.items()}
    return [models[table] for table in TopologicalSorter(graph).static_order()]


@dataclass(frozen=True)
class Rebuild:
    seconds: float  # wall time of the whole rebuild, session start included
    session_seconds: float  # starting the SparkSession (the JVM)
    models: dict[str, SparkBuild]


def rebuild(
    data_dir: Path, master: str | None = None, config: dict[str, str] | None = None, run_id: str = "rebuild"
) -> Rebuild:
    """Rebuild every model of models/intermediate and models/marts on Spark, from the staging
    tables of DATA/warehouse.duckdb, outside Dagster: what the benchmark times against a DuckDB
    rebuild (pipelines/models.py `run_model` over the same models). The release is not rebuilt
    (it stays in DuckDB, on the marts). The session is started and stopped here: its JVM is
    part of what a Spark rebuild costs."""
    started = time.monotonic()
    data_dir = Path(data_dir)
    session = start_session(data_dir, master, config)
    session_seconds = time.monotonic() - started
    exchange = Exchange(data_dir, run_id)
    builds: dict[str, SparkBuild] = {}
    try:
        with connect_warehouse(data_dir / WAREHOUSE_FILE, K_SCHOOL) as connection:
            for model in models_in_build_order():
                builds[f"{model.layer}.{model.name}"] = build_model(connection, model, session, exchange)
    finally:
        shutil.rmtree(exchange.run_path, ignore_errors=True)
        session.stop()
    return Rebuild(time.monotonic() - started, session_seconds, builds)
