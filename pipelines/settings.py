"""Settings shared by the pipeline, the CLI and the dashboard, in one place."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "models"

DATA_DIR_ENV_VAR = "REPERES_DATA_DIR"
LANDING_DIR_ENV_VAR = "REPERES_LANDING_DIR"
PUBLISHED_DB_ENV_VAR = "REPERES_PUBLISHED_DB"
# DuckDB's memory limit for the warehouse (e.g. "2GB"); by default from the machine (see
# pipelines/warehouse.py). Above it DuckDB spills to a temp folder beside the warehouse.
MEMORY_LIMIT_ENV_VAR = "REPERES_MEMORY_LIMIT"

WAREHOUSE_FILE = "warehouse.duckdb"
PUBLISHED_FILE = "published.duckdb"

# The ENT's own log export in the native contract; adapters for other sources get their own
# name, so that the same account id in two sources gives two unrelated pseudonyms.
NATIVE_SOURCE = "ent"
TIMEZONE = "Europe/Paris"

# DESIGN.md §4 rule 5: views inside one school need at least 5 persons behind a cell.
K_SCHOOL = 5
K_MINIMUM = 5
# Views across schools and open-data exports need at least 10 (DESIGN.md §4 rule 5).
K_DEPARTMENT = 10
# A school's position among the département's schools (quartiles) needs at least this many
# schools with a published rate (models/release/adoption_position.sql).
BENCHMARK_MIN_SCHOOLS = 5
# Rates on populations below this are published as bands, never as an exact 0 % or 100 % (rule 7).
BAND_POPULATION = 40

# Retention (rule 4): pseudonymized events older than this are purged; leavers' data this
# long after their roster end date.
RETENTION_DAYS = 365
LEAVER_GRACE_DAYS = 90

# School holidays zone of the installation (Hauts-de-Seine: zone C), read from the
# vacances-scolaires-france package; a setting, since départements differ.
SCHOOL_ZONE = "C"
# First school year the calendar table covers; the package's data sets the last one.
CALENDAR_FIRST_DAY = "2022-08-01"

# The engine that builds the models of models/intermediate and models/marts (docs/spark.md):
# "duckdb" (the default, embedded) or "spark" (the same SQL files transpiled by sqlglot and
# run by PySpark). Ingestion, the release and the published file stay in DuckDB either way.
ENGINE_ENV_VAR = "REPERES_ENGINE"
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
# Spark's master URL: local[*] by default; spark://host:7077 or k8s://https://… for a cluster.
SPARK_MASTER_ENV_VAR = "REPERES_SPARK_MASTER"


def selected_engine() -> str:
    """REPERES_ENGINE, read when a model is built (not at import), so that a run sees its own setting."""
    engine = os.environ.get(ENGINE_ENV_VAR, "").strip().lower() or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_ENV_VAR}={engine!r} is not an engine: choose one of {', '.join(ENGINES)}.")
    return engine
