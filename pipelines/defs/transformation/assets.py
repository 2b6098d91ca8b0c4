"""One Dagster asset per SQL model in models/intermediate and models/marts, between two
bookkeeping assets: `recompute_window` (which days this run rebuilds) and `build_state`
(what the build read, for the next run's comparison). See pipelines/incremental.py."""

import hashlib

import dagster as dg

from pipelines import incremental
from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import SparkResource, WarehouseResource
from pipelines.engines import engine_for
from pipelines.models import SqlModel, discover_models, run_model

# What the window depends on: every staging table the models read.
STAGING_ASSETS = ("stg_events", "stg_roster", "stg_school_calendar")


@dg.asset(group_name="intermediate", kinds={"duckdb"}, deps=list(STAGING_ASSETS), pool=WAREHOUSE_POOL)
def recompute_window(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The days the time-partitioned models rebuild in this run: the whole history (first run,
    new roster or calendar, changed models), only the weeks and months of the event files that
    changed since the last build, or nothing."""
    with warehouse.connect() as connection:
        window = incremental.decide_window(connection)
        connection.execute(
            """
            create or replace table intermediate.recompute_window as
            select ? as mode, ? as reason, cast(? as date) as start_day, cast(? as date) as end_day
            """,
            [window.mode, window.reason, window.start, window.end],
        )
    context.log.info(f"Recompute window: {window.describe()}")
    return dg.MaterializeResult(
        metadata={
            "mode": window.mode,
            "reason": window.reason,
            "window": window.describe(),
            "changed_event_files": window.changed_files,
            "touched_days": window.touched_days,
        }
    )


def _current_window(connection) -> incremental.RecomputeWindow:
    row = connection.execute(
        "select mode, reason, start_day, end_day from intermediate.recompute_window"
    ).fetchone()
    return incremental.RecomputeWindow(*row)


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    upstream = [table.split(".", 1)[1] for table in model.upstream_tables]
    if model.incremental_column:
        upstream.append(recompute_window.key.path[-1])

    @dg.asset(
        name=model.name,
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        description=model.description,
        deps=upstream,
        code_version=hashlib.sha256(model.sql.encode()).hexdigest()[:12],
        pool=WAREHOUSE_POOL,
    )
    def _model_asset(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, spark: SparkResource
    ) -> dg.MaterializeResult:
        engine = engine_for(model.layer)
        with warehouse.connect() as connection:
            window = _current_window(connection) if model.incremental_column else None
            if window is not None and window.mode == incremental.NOTHING:
                rows = connection.execute(f"select count(*) from {model.layer}.{model.name}").fetchone()[0]
                rebuilt = "nothing (no event changed)"
            elif engine == "spark":
                # Spark rebuilds the whole table (docs/spark.md): no window.
                rows = spark.build_model(connection, model, warehouse.data_dir, context.run_id).rows
                rebuilt = "in full, on Spark"
            else:
                rows = run_model(connection, model, window.days if window else None)
                rebuilt = window.describe() if window and window.days else "in full"
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "table": f"{model.layer}.{model.name}",
                "rebuilt": rebuilt,
                "engine": engine,
            }
        )

    return _model_asset


MODELS = discover_models()


@dg.asset(
    group_name="marts",
    kinds={"duckdb"},
    deps=[model.name for model in MODELS],
    pool=WAREHOUSE_POOL,
)
def build_state(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """What this build read (event files, roster and calendar fingerprints, models' code), so
    that the next run rebuilds only what changed since. Written after every model."""
    with warehouse.connect() as connection:
        incremental.save_build_state(connection)
        files = connection.execute("select count(*) from intermediate.build_event_files").fetchone()[0]
    return dg.MaterializeResult(metadata={"event_files": files})


@dg.definitions
def sql_models() -> dg.Definitions:
    return dg.Definitions(
        assets=[recompute_window, *[build_model_asset(model) for model in MODELS], build_state]
    )
