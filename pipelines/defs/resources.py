"""Resources shared by every asset: where the data lives, the pseudonymization key, and the
SparkSession of the models when REPERES_ENGINE=spark."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipelines.engines.spark import Exchange, SparkBuild, build_model, start_session
from pipelines.models import SqlModel
from pipelines.pseudonymization import install_pseudonym_macro, load_key
from pipelines.settings import (
    DATA_DIR_ENV_VAR,
    K_MINIMUM,
    K_SCHOOL,
    LANDING_DIR_ENV_VAR,
    PUBLISHED_FILE,
    WAREHOUSE_FILE,
)
from pipelines.warehouse import connect_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The landing folder, the internal warehouse file and the published file of one installation."""

    data_dir: str
    landing_dir: str
    k_school: int = K_SCHOOL

    @property
    def landing_path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.data_dir) / WAREHOUSE_FILE

    @property
    def published_path(self) -> Path:
        return Path(self.data_dir) / PUBLISHED_FILE

    @contextmanager
    def connect(self, pseudonymize: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse; with pseudonymize, the keyed `pseudonym()` macro is available.

        The key is read from the environment at the moment it is needed, so that it is never
        part of the run configuration that Dagster stores.
        """
        if self.k_school < K_MINIMUM:
            raise ValueError(f"k_school={self.k_school} is below the floor of {K_MINIMUM}.")
        with connect_warehouse(self.warehouse_path, self.k_school) as connection:
            if pseudonymize:
                install_pseudonym_macro(connection, load_key())
            yield connection


class SparkResource(dg.ConfigurableResource):
    """The SparkSession that builds the models when REPERES_ENGINE=spark (docs/spark.md).

    The session (and its JVM) starts at the first model that needs it, so that a DuckDB run
    never starts Java nor needs it installed, and stops when the run's execution ends.
    dagster-pyspark's PySparkResource starts its session as soon as a step uses the resource,
    that is in DuckDB runs too: that is why this small resource stands in for it.
    """

    # Empty: $REPERES_SPARK_MASTER, else local[*]; e.g. spark://host:7077 or k8s://https://…
    master: str = ""
    # Spark settings on top of the engine's own (pipelines/engines/spark.py: session_config)
    # and of $SPARK_CONF_DIR/spark-defaults.conf, e.g. {"spark.executor.instances": "20"}.
    spark_config: dict[str, str] = {}

    _session = PrivateAttr(default=None)
    _exchange = PrivateAttr(default=None)

    def session(self, data_dir: str):
        if self._session is None:
            self._session = start_session(Path(data_dir), self.master or None, self.spark_config)
        return self._session

    def build_model(
        self, connection: duckdb.DuckDBPyConnection, model: SqlModel, data_dir: str, run_id: str
    ) -> SparkBuild:
        """Build one model on Spark into the warehouse table of the same name (pipelines/engines/spark.py)."""
        if self._exchange is None or self._exchange.run_id != run_id:
            self._exchange = Exchange(Path(data_dir), run_id)
        return build_model(connection, model, self.session(data_dir), self._exchange)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None
            self._exchange = None


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(
                data_dir=dg.EnvVar(DATA_DIR_ENV_VAR),
                landing_dir=dg.EnvVar(LANDING_DIR_ENV_VAR),
            ),
            "spark": SparkResource(),
        }
    )
