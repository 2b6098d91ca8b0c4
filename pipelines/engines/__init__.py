"""Engines that build the SQL models: DuckDB (embedded, the default) and Apache Spark.

The models are written once, in DuckDB's dialect (models/); `dialect.py` carries a model to
Spark's dialect with sqlglot, `spark.py` runs it on a SparkSession and loads the result back
into the DuckDB warehouse table of the same name. Ingestion (staging), the release and the
published file stay in DuckDB whatever the engine: see docs/spark.md for why.
"""

from pipelines.settings import selected_engine

# The layers a distributed engine builds; models/release runs at publication, on the small
# protected tables, in DuckDB.
SPARK_LAYERS = ("intermediate", "marts")


def engine_for(layer: str) -> str:
    """The engine that builds a model of `layer` in this run: REPERES_ENGINE for the heavy layers."""
    engine = selected_engine()
    return engine if layer in SPARK_LAYERS else "duckdb"
