"""Resources shared by every asset: where the data lives, and the pseudonymization key."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

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


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(
                data_dir=dg.EnvVar(DATA_DIR_ENV_VAR),
                landing_dir=dg.EnvVar(LANDING_DIR_ENV_VAR),
            )
        }
    )
