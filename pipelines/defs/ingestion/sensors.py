"""Start a run when files land, for the delivery days they bring."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.adapters import adapter_landing_files
from pipelines.defs.jobs import refresh_all
from pipelines.defs.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from pipelines.defs.resources import WarehouseResource
from pipelines.ingestion import delivery_day, is_landing_file


def landing_state(landing: Path) -> dict[str, list[int]]:
    """Every landing file with its size and modification time: what the sensor compares."""
    state = {}
    for folder in ("events", "roster", "workshops"):
        for path in sorted((landing / folder).glob("*")):
            if is_landing_file(path):
                status = path.stat()
                state[path.relative_to(landing).as_posix()] = [status.st_size, status.st_mtime_ns]
    for _adapter, path in adapter_landing_files(landing):  # landing/ode/, landing/xapi/, …
        status = path.stat()
        state[path.relative_to(landing).as_posix()] = [status.st_size, status.st_mtime_ns]
    return state


def days_to_refresh(changed: list[str], state: dict[str, list[int]]) -> tuple[str, str] | None:
    """The delivery days of the changed event files; a roster or workshop log alone refreshes the last day."""
    days = sorted(day.isoformat() for name in changed if (day := delivery_day(Path(name))) is not None)
    if not days:
        days = sorted(day.isoformat() for name in state if (day := delivery_day(Path(name))) is not None)
        days = days[-1:]
    return (days[0], days[-1]) if days else None


@dg.sensor(
    job=refresh_all,
    minimum_interval_seconds=60,
    description="New or changed files in the landing folder start one run over their delivery days.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    landing = warehouse.landing_path
    if not landing.is_dir():
        return dg.SkipReason(f"The landing folder {landing} does not exist.")
    state = landing_state(landing)
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(name for name, stamp in state.items() if previous.get(name) != stamp)
    if not changed:
        return dg.SkipReason("No new or changed landing file.")
    day_range = days_to_refresh(changed, state)
    context.update_cursor(json.dumps(state, sort_keys=True))
    if day_range is None:
        return dg.SkipReason("Changed files carry no delivery day yet (no event file).")
    run_key = hashlib.sha256(json.dumps({name: state[name] for name in changed}).encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=run_key,
        tags={PARTITION_RANGE_START_TAG: day_range[0], PARTITION_RANGE_END_TAG: day_range[1]},
    )
