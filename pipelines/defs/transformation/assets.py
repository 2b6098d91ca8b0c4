"""One Dagster asset per SQL model in models/intermediate and models/marts."""

import hashlib

import dagster as dg

from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.models import SqlModel, discover_models, run_model


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    @dg.asset(
        name=model.name,
        group_name=model.layer,
        kinds={"duckdb", "sql"},
        description=model.description,
        deps=[table.split(".", 1)[1] for table in model.upstream_tables],
        code_version=hashlib.sha256(model.sql.encode()).hexdigest()[:12],
        pool=WAREHOUSE_POOL,
    )
    def _model_asset(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as connection:
            rows = run_model(connection, model)
        return dg.MaterializeResult(
            metadata={"dagster/row_count": rows, "table": f"{model.layer}.{model.name}"}
        )

    return _model_asset


@dg.definitions
def sql_models() -> dg.Definitions:
    return dg.Definitions(assets=[build_model_asset(model) for model in discover_models()])
