"""Run the whole pipeline through Dagster, recorded in a persistent Dagster instance.

`reperes run` and the end-to-end tests both come through here: the job of the Dagster
definitions is executed for the range of delivery days found in the landing folder, as one
ranged run (not one run per day), and the run shows in the Dagster UI of the same DAGSTER_HOME.
`reperes purge` and `reperes erase` come through here too: they delete rows in staging (plain
Python, so that no pseudonym reaches Dagster's storage), rebuild the models and the release
with the `rebuild_release` job, and compact the warehouse file.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import dagster as dg
import duckdb
import psutil

from pipelines import run_history
from pipelines.defs.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from pipelines.ingestion import delivery_day, is_landing_file
from pipelines.models import discover_models
from pipelines.pseudonymization import KEY_FILE_ENV_VAR, PseudonymKeyError, load_key, pseudonym
from pipelines.retention import (
    LANDING_ARCHIVE_ENV_VAR,
    Compaction,
    ErasureCounts,
    PurgeCounts,
    compact_database,
    erase_person,
    mark_retention_completed,
    purge_expired,
    retention_pending,
)
from pipelines.run_summary import RunSummary, read_run_summary
from pipelines.settings import (
    DATA_DIR_ENV_VAR,
    K_SCHOOL,
    LANDING_DIR_ENV_VAR,
    NATIVE_SOURCE,
    PUBLISHED_FILE,
    WAREHOUSE_FILE,
)
from pipelines.warehouse import connect_warehouse

T = TypeVar("T")

PROCESS_TAG = "reperes/pid"
HOST_TAG = "reperes/host"

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


class NothingToLoad(PipelineError):
    """No landing folder, or no event file in it that this installation can load."""


class RunFailed(PipelineError):
    """The Dagster run failed: which steps and blocking checks, for the run history."""

    def __init__(
        self,
        message: str,
        run_id: str,
        failed_steps: list[run_history.FailedStep],
        failed_checks: list[run_history.FailedCheck],
        delivery_days: tuple[str, str],
    ) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.failed_steps = failed_steps
        self.failed_checks = failed_checks
        self.delivery_days = delivery_days


@dataclass(frozen=True)
class LandingOutcome:
    """What became of the landing files after the run: counts only."""

    disposition: str  # "deleted", "archived" or "kept"
    files: int
    files_left: int  # still in the landing folder: kept, not loaded (undated, unreadable) or new
    archive: Path | None


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    first_day: str
    last_day: str
    summary: RunSummary
    landing: LandingOutcome | None = None
    stage_seconds: dict[str, float] | None = None


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
    from pipelines.adapters import adapter_landing_files
    from pipelines.defs.partitions import delivery_days

    # Native event files, and the exports of other platforms in landing/<source>/ (adapters).
    paths = [path for path in (landing / "events").glob("*") if is_landing_file(path)]
    paths += [path for _adapter, path in adapter_landing_files(landing)]
    days = sorted(day for path in paths if (day := delivery_day(path)) is not None)
    if not days:
        raise NothingToLoad(
            f"No event file in {landing / 'events'}: expected files named YYYY-MM-DD.parquet|csv|jsonl "
            "(files loaded by earlier runs are archived or deleted: nothing new to load)."
        )
    first, last = days[0].isoformat(), days[-1].isoformat()
    first_partition = delivery_days.get_first_partition_key()
    last_partition = delivery_days.get_last_partition_key()
    if first < first_partition or last > last_partition:
        raise NothingToLoad(
            f"Event files span {first} to {last}, outside the days this installation partitions "
            f"({first_partition} to {last_partition}). Files cannot be dated in the future."
        )
    return first, last


def release_stale_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the runs of this machine whose process is gone, and free their warehouse pool slot.

    A run killed outright (SIGKILL, power cut) stays STARTED and keeps its slot of the
    one-writer pool for ever: every later run would wait on it. Runs started by the CLI carry
    their host and process id; runs launched from the Dagster UI are watched by its daemon.
    """
    released = []
    stale_statuses = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING]
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=stale_statuses)):
        pid, host = run.tags.get(PROCESS_TAG), run.tags.get(HOST_TAG)
        if pid is None or host != socket.gethostname() or psutil.pid_exists(int(pid)):
            continue
        instance.report_run_failed(run, message="The process running it stopped (killed or crashed).")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def execute_job(
    job_name: str,
    tags: dict[str, str],
    run_config: dict,
    asset_selection: list[dg.AssetKey] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute a job of the definitions in this process, recorded in the persistent instance;
    `asset_selection`, a subset of the job's assets (their checks come with them)."""
    from pipelines.definitions import defs

    instance = dg.DagsterInstance.get()
    release_stale_runs(instance)
    return defs.resolve_job_def(job_name).execute_in_process(
        instance=instance,
        tags={**tags, PROCESS_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()},
        raise_on_error=False,
        run_config=run_config,
        asset_selection=asset_selection,
    )


def refresh_selection(landing: Path) -> list[dg.AssetKey]:
    """Every asset of refresh_all but the source adapters with no file in landing/<source>/.

    Why: an adapter asset is partitioned by day like stg_events, so a run over a year records
    a planned and a done materialization for each of its 365 days even when its folder is empty:
    about 4 s of Dagster's bookkeeping per adapter, 20 s of a full rebuild for nothing loaded.
    Leaving it out changes no row: an adapter loads only the days that have its files, and
    what it loaded earlier stays in staging."""
    from pipelines.adapters import ADAPTER_ASSET_NAMES, adapter_landing_files, asset_name
    from pipelines.definitions import defs

    delivering = {asset_name(adapter) for adapter, _ in adapter_landing_files(landing)}
    idle = {dg.AssetKey(name) for name in ADAPTER_ASSET_NAMES if name not in delivering}
    keys = defs.resolve_job_def("refresh_all").asset_layer.selected_asset_keys
    return sorted(keys - idle, key=lambda key: key.to_user_string())


def _root_cause(error: dg.SerializableErrorInfo) -> str:
    while error.cause is not None:
        error = error.cause
    return error.message.strip()


def _step_failures(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    return [
        (event.step_key or "", _root_cause(event.event_specific_data.error))
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data is not None
    ]


def _failed_steps(result: dg.ExecuteInProcessResult) -> list[run_history.FailedStep]:
    """Failed steps with their root cause on one line, cut before anything quoted (run history)."""
    failed = []
    for event in result.all_events:
        if event.is_step_failure and event.event_specific_data is not None:
            error = event.event_specific_data.error
            # The first error raised: an error raised while handling it (a failed rollback,
            # say) hides it as its context.
            while error.cause is not None or error.context is not None:
                error = error.cause or error.context
            reason = run_history.one_line_reason(error.message, error.cls_name)
            failed.append(run_history.FailedStep(event.step_key or "", reason))
    return failed


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[run_history.FailedCheck]:
    return [
        run_history.FailedCheck(evaluation.asset_key.to_user_string(), evaluation.check_name)
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.blocking
    ]


def _landing_outcome(
    data_dir: Path, landing: Path, run_id: str, keep_landing: bool, archive_dir: Path | None
) -> LandingOutcome:
    from pipelines.adapters import adapter_landing_files

    left = sum(
        1
        for folder in ("events", "roster", "workshops")
        for path in (landing / folder).glob("*")
        if is_landing_file(path)
    )
    left += sum(1 for _adapter, _path in adapter_landing_files(landing))  # landing/ode/, landing/aaf/, …
    if keep_landing:
        return LandingOutcome("kept", 0, left, None)
    with duckdb.connect(str(data_dir / WAREHOUSE_FILE), read_only=True) as connection:
        disposed = connection.execute(
            "select count(*) from raw.landing_disposals where run_id = ?", [run_id]
        ).fetchone()[0]
    if archive_dir is not None:
        return LandingOutcome("archived", disposed, left, archive_dir / run_id)
    return LandingOutcome("deleted", disposed, left, None)


def run_pipeline(
    landing: Path,
    data_dir: Path,
    key_file: Path | None = None,
    *,
    keep_landing: bool = False,
    archive_dir: Path | None = None,
) -> RunOutcome:
    """Load, check and publish; then the loaded landing files are deleted, or moved to
    archive_dir (default $REPERES_LANDING_ARCHIVE), unless keep_landing (demos, tests).

    Whatever its end, the run leaves one line in DATA/run_history.jsonl (pipelines/run_history.py):
    a failure publishes nothing, and this is where the dashboard learns of it."""
    started_at = run_history.now()
    history = run_history.history_path(data_dir.resolve())
    try:
        outcome = _run_pipeline(
            landing, data_dir, key_file, keep_landing=keep_landing, archive_dir=archive_dir
        )
    except BaseException as error:
        run_history.record_quietly(history, _failure_record(started_at, error))
        raise
    files_unreadable = _files_unreadable(data_dir.resolve())
    run_history.record_quietly(
        history,
        run_history.success_record(
            started_at, outcome.run_id, outcome.first_day, outcome.last_day, files_unreadable
        ),
    )
    return outcome


def _failure_record(started_at: str, error: BaseException) -> run_history.RunRecord:
    """What the history says of a run that raised `error`: its kind and what to do next."""
    if isinstance(error, RunFailed):
        kind, next_action = run_history.classify_failure(error.failed_steps, error.failed_checks)
        return run_history.failure_record(
            started_at,
            kind,
            run_id=error.run_id,
            next_action=next_action,
            failed_steps=error.failed_steps,
            failed_checks=error.failed_checks,
            first_day=error.delivery_days[0],
            last_day=error.delivery_days[1],
        )
    if isinstance(error, PseudonymKeyError):
        kind = run_history.MISSING_KEY
    elif isinstance(error, NothingToLoad):
        kind = run_history.NO_INPUT
    else:
        kind = run_history.OTHER
    reason = run_history.one_line_reason(str(error), type(error).__name__)
    return run_history.failure_record(started_at, kind, reason=reason)


def _files_unreadable(data_dir: Path) -> int | None:
    """Files quarantined whole that no new delivery has replaced yet (every contract)."""
    try:
        with duckdb.connect(str(data_dir / WAREHOUSE_FILE), read_only=True) as connection:
            return connection.execute(
                "select count(*) from staging.file_loads where error is not null and error <> 'empty file'"
            ).fetchone()[0]
    except duckdb.Error:
        return None


def _run_pipeline(
    landing: Path,
    data_dir: Path,
    key_file: Path | None,
    *,
    keep_landing: bool,
    archive_dir: Path | None,
) -> RunOutcome:
    landing, data_dir = landing.resolve(), data_dir.resolve()
    if not landing.is_dir():
        raise NothingToLoad(f"The landing folder {landing} does not exist.")
    if archive_dir is None and os.environ.get(LANDING_ARCHIVE_ENV_VAR):
        archive_dir = Path(os.environ[LANDING_ARCHIVE_ENV_VAR])
    if archive_dir is not None:
        archive_dir = archive_dir.resolve()
        if archive_dir.is_relative_to(landing):
            raise PipelineError(f"The archive {archive_dir} must be outside the landing folder {landing}.")
    if key_file is not None:
        os.environ[KEY_FILE_ENV_VAR] = str(key_file.resolve())
    load_key()  # fail before Dagster starts, with the key's own message
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ[DATA_DIR_ENV_VAR] = str(data_dir)
    os.environ[LANDING_DIR_ENV_VAR] = str(landing)
    prepare_dagster_home(data_dir)
    first_day, last_day = delivery_day_range(landing)

    result = execute_job(
        "refresh_all",
        tags={PARTITION_RANGE_START_TAG: first_day, PARTITION_RANGE_END_TAG: last_day},
        run_config={
            "loggers": {"console": {"config": {"log_level": "INFO"}}},
            "ops": {
                "landing_disposals": {
                    "config": {"keep_landing": keep_landing, "archive_dir": str(archive_dir or "")}
                }
            },
        },
        asset_selection=refresh_selection(landing),
    )
    if not result.success:
        failures = _step_failures(result)
        details = (result.run_id, _failed_steps(result), _failed_checks(result), (first_day, last_day))
        if failures and all(step == "landing_disposals" for step, _ in failures):
            raise RunFailed(
                f"Run {result.run_id} published its release, but the loaded landing files could not "
                "all be removed; remove or archive them by hand before the next run.\n"
                + "\n".join(f"{step}: {cause}" for step, cause in failures),
                *details,
            )
        raise RunFailed(
            f"Run {result.run_id} failed; the previous release is unchanged and the landing files stay.\n"
            + "\n".join(f"{step}: {cause}" for step, cause in failures),
            *details,
        )
    summary = read_run_summary(data_dir / WAREHOUSE_FILE, data_dir / PUBLISHED_FILE)
    landing_outcome = _landing_outcome(data_dir, landing, result.run_id, keep_landing, archive_dir)
    return RunOutcome(
        result.run_id, first_day, last_day, summary, landing_outcome, stage_seconds(result.run_id)
    )


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to, as the technical team reads a run: where the time goes."""
    layers = {model.name: model.layer for model in discover_models(("intermediate", "marts"))}
    name = step_key.split("[")[0]
    if name in layers:
        return layers[name]
    if name.startswith(("stg_", "landing_")):
        return "ingestion"
    if name in ("release_candidate", "published_release"):
        return "release"
    return "checks and housekeeping"


def stage_seconds(run_id: str) -> dict[str, float]:
    """Wall time per stage of a run, from Dagster's step statistics (steps run one at a time)."""
    totals: dict[str, float] = {}
    for step in dg.DagsterInstance.get().get_run_step_stats(run_id):
        if step.start_time is not None and step.end_time is not None:
            stage = stage_of(step.step_key)
            totals[stage] = totals.get(stage, 0.0) + step.end_time - step.start_time
    return totals


# --- Purge and erasure (privacy rule 4): delete in staging, rebuild through Dagster, compact.


@dataclass(frozen=True)
class PurgeOutcome:
    counts: PurgeCounts
    run_id: str | None  # None for a dry run
    compaction: Compaction | None


@dataclass(frozen=True)
class ErasureOutcome:
    counts: ErasureCounts
    run_id: str
    compaction: Compaction


def _open_existing_warehouse(data_dir: Path) -> Path:
    warehouse = data_dir / WAREHOUSE_FILE
    if not warehouse.is_file():
        raise PipelineError(f"There is no warehouse at {warehouse}: nothing to purge or erase.")
    os.environ[DATA_DIR_ENV_VAR] = str(data_dir)
    # The rebuild reads no landing file, but the warehouse resource names a landing folder.
    os.environ.setdefault(LANDING_DIR_ENV_VAR, str(data_dir))
    prepare_dagster_home(data_dir)
    return warehouse


def _in_warehouse(warehouse: Path, action: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    try:
        with connect_warehouse(warehouse, K_SCHOOL) as connection:
            return action(connection)
    except duckdb.IOException as error:
        raise PipelineError(
            f"The warehouse {warehouse} is in use by another process (a run, the Dagster UI?): "
            f"try again when it is done. ({str(error).splitlines()[0]})"
        ) from None


def _rebuild_and_compact(warehouse: Path, tags: dict[str, str]) -> tuple[str, Compaction]:
    """Rebuild models and release from staging as it is, then rewrite the warehouse file.

    Both logs' rows of this operation stay `completed = false` until the compaction is done,
    so that a purge after a failed rebuild does both again even if it deletes nothing new.
    """
    result = execute_job(
        "rebuild_release", tags=tags, run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    )
    if not result.success:
        raise PipelineError(
            f"The rows are deleted from staging, but the rebuild (run {result.run_id}) failed: the "
            "previous release still counts them. Run `reperes purge` again once the cause is fixed.\n"
            + "\n".join(f"{step}: {cause}" for step, cause in _step_failures(result))
        )
    compaction = compact_database(warehouse)
    _in_warehouse(warehouse, mark_retention_completed)
    return result.run_id, compaction


def purge_warehouse(data_dir: Path, today: date | None = None, dry_run: bool = False) -> PurgeOutcome:
    """Purge expired events and leavers (as of `today`, a frozen clock in tests), rebuild, compact."""
    data_dir = data_dir.resolve()
    today = today or date.today()
    warehouse = _open_existing_warehouse(data_dir)
    counts, pending = _in_warehouse(
        warehouse,
        lambda connection: (purge_expired(connection, today, dry_run=dry_run), retention_pending(connection)),
    )
    if dry_run:
        return PurgeOutcome(counts, None, None)
    tags = {
        "reperes/operation": "purge",
        "reperes/today": today.isoformat(),
        "reperes/events_removed": str(counts.events_removed),
        "reperes/memberships_removed": str(counts.memberships_removed),
    }
    run_id, compaction = _rebuild_and_compact(warehouse, tags) if pending else (None, None)
    return PurgeOutcome(counts, run_id, compaction)


def erase_account(
    data_dir: Path, account_id: str, key_file: Path | None = None, today: date | None = None
) -> ErasureOutcome:
    """Erase one ENT account (right to erasure or to object): delete, deny-list, rebuild, compact.

    The account id only lives in this function's memory: its pseudonym under the current key
    is what is deleted and deny-listed; neither reaches Dagster, a log or the output.
    """
    data_dir = data_dir.resolve()
    account_id = account_id.strip()  # ingestion trims every value the same way
    if not account_id:
        raise PipelineError("The account id is empty.")
    if key_file is not None:
        os.environ[KEY_FILE_ENV_VAR] = str(key_file.resolve())
    user_key = pseudonym(load_key(), NATIVE_SOURCE, account_id)
    warehouse = _open_existing_warehouse(data_dir)
    counts = _in_warehouse(
        warehouse, lambda connection: erase_person(connection, user_key, today or date.today())
    )
    run_id, compaction = _rebuild_and_compact(warehouse, {"reperes/operation": "erasure"})
    return ErasureOutcome(counts, run_id, compaction)
