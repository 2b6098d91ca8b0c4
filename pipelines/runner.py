"""Run the whole pipeline through Dagster, recorded in a persistent Dagster instance.

`reperes run` and the end-to-end tests both come through here: the job of the Dagster
definitions is executed for the range of delivery days found in the landing folder, as one
ranged run (not one run per day), and the run shows in the Dagster UI of the same DAGSTER_HOME.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from pipelines.ingestion import delivery_day, is_landing_file
from pipelines.pseudonymization import KEY_FILE_ENV_VAR, load_key
from pipelines.run_summary import RunSummary, read_run_summary
from pipelines.settings import (
    DATA_DIR_ENV_VAR,
    LANDING_DIR_ENV_VAR,
    PUBLISHED_FILE,
    WAREHOUSE_FILE,
)

PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# Telemetry off: school data, and no network here. Pools: one writer on the warehouse.
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1
"""


class PipelineError(RuntimeError):
    """A run that cannot start or did not finish; the message says what to do."""


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    first_day: str
    last_day: str
    summary: RunSummary


def prepare_dagster_home(data_dir: Path) -> Path:
    """DAGSTER_HOME defaults to DATA/dagster, so runs and their logs stay with the data they made."""
    home = Path(os.environ.get("DAGSTER_HOME") or data_dir / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def delivery_day_range(landing: Path) -> tuple[str, str]:
    from pipelines.defs.partitions import delivery_days

    days = sorted(
        day
        for path in (landing / "events").glob("*")
        if is_landing_file(path) and (day := delivery_day(path)) is not None
    )
    if not days:
        raise PipelineError(
            f"No event file in {landing / 'events'}: expected files named YYYY-MM-DD.parquet|csv|jsonl."
        )
    first, last = days[0].isoformat(), days[-1].isoformat()
    first_partition = delivery_days.get_first_partition_key()
    last_partition = delivery_days.get_last_partition_key()
    if first < first_partition or last > last_partition:
        raise PipelineError(
            f"Event files span {first} to {last}, outside the days this installation partitions "
            f"({first_partition} to {last_partition}). Files cannot be dated in the future."
        )
    return first, last


def _root_cause(error: dg.SerializableErrorInfo) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def run_pipeline(landing: Path, data_dir: Path, key_file: Path | None = None) -> RunOutcome:
    landing, data_dir = landing.resolve(), data_dir.resolve()
    if not landing.is_dir():
        raise PipelineError(f"The landing folder {landing} does not exist.")
    if key_file is not None:
        os.environ[KEY_FILE_ENV_VAR] = str(key_file.resolve())
    load_key()  # fail before Dagster starts, with the key's own message
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ[DATA_DIR_ENV_VAR] = str(data_dir)
    os.environ[LANDING_DIR_ENV_VAR] = str(landing)
    prepare_dagster_home(data_dir)
    first_day, last_day = delivery_day_range(landing)

    from pipelines.definitions import defs

    instance = dg.DagsterInstance.get()
    result = defs.resolve_job_def("refresh_all").execute_in_process(
        instance=instance,
        tags={PARTITION_RANGE_START_TAG: first_day, PARTITION_RANGE_END_TAG: last_day},
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
    )
    if not result.success:
        failures = [
            f"{event.step_key}: {_root_cause(event.event_specific_data.error)}"
            for event in result.all_events
            if event.is_step_failure and event.event_specific_data is not None
        ]
        raise PipelineError(
            f"Run {result.run_id} failed; the previous release is unchanged.\n" + "\n".join(failures)
        )
    summary = read_run_summary(data_dir / WAREHOUSE_FILE, data_dir / PUBLISHED_FILE)
    return RunOutcome(result.run_id, first_day, last_day, summary)
