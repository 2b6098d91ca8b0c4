"""A run killed at any moment leaves the published release as it was; the next run completes it.

The pipeline is killed with SIGKILL (no chance to clean up) as soon as a chosen step of each
stage has started, from ingestion to the swap of the published file; which step was running
is read back from the Dagster run storage. After each kill the published file must be byte-identical to the release
before, and a new run must succeed and publish the same tables as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from pipelines.runner import stage_of
from tests.conftest import TEST_KEY_HEX

pytestmark = pytest.mark.slow

TABLES = ("adoption_weekly", "service_usage_weekly", "homework_class_weekly", "data_quality_weekly")
# One step of each stage; published_release is the swap of the published file itself.
TARGET_STEPS = ("stg_events", "int_events", "adoption_weekly", "release_candidate", "published_release")


def environment() -> dict[str, str]:
    variables = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    variables["REPERES_PSEUDONYM_KEY"] = TEST_KEY_HEX
    return variables


def run_command(landing: Path, data_dir: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--landing",
        str(landing),
        "--data-dir",
        str(data_dir),
    ]
    return [*command, "--keep-landing"]


def published_tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {
            table: connection.execute(f"select * from {table} order by all").fetchall() for table in TABLES
        }


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def running_step(dagster_home: Path, run_id: str | None = None) -> tuple[str | None, str]:
    """(run id, the last step that started in it) of the newest run other than `run_id`.

    Read straight from Dagster's SQLite run storage (read-only, a few milliseconds), so that
    polling it does not slow the run it watches."""
    runs_db = dagster_home / "history" / "runs.db"
    if not runs_db.exists():
        return None, "(no run yet)"
    with closing(sqlite3.connect(f"file:{runs_db}?mode=ro", uri=True)) as runs:
        newest = runs.execute("select run_id from runs order by create_timestamp desc limit 1").fetchone()
    if newest is None or newest[0] == run_id:
        return None, "(no new run yet)"
    events_db = dagster_home / "history" / "runs" / f"{newest[0]}.db"
    if not events_db.exists():
        return newest[0], "(before the first step)"
    try:
        with closing(sqlite3.connect(f"file:{events_db}?mode=ro", uri=True)) as events:
            started = events.execute(
                "select step_key from event_logs where dagster_event_type = 'STEP_START' order by id desc limit 1"
            ).fetchone()
    except sqlite3.OperationalError:  # the run's storage is being created
        started = None
    return newest[0], started[0] if started else "(before the first step)"


def kill_when_step_starts(process: subprocess.Popen, dagster_home: Path, previous_run: str, step: str) -> str:
    """SIGKILL the run's whole process group as soon as `step` has started; returns the step
    that was running then (read again after the kill, from what Dagster had recorded)."""
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        run_id, started = running_step(dagster_home, previous_run)
        if run_id is not None and started.split("[")[0] == step:
            break
        time.sleep(0.05)
    if process.poll() is not None:
        return "(finished before the kill)"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return running_step(dagster_home, previous_run)[1]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.simulator import simulate

    root = tmp_path_factory.mktemp("crash")
    simulate(root / "landing", schools=2, weeks=4, seed=11)
    return root / "landing"


def test_killed_runs_leave_the_release_intact_and_the_next_run_completes(landing, tmp_path):
    data_dir = tmp_path / "data"
    first = subprocess.run(run_command(landing, data_dir), env=environment(), capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    published = data_dir / "published.duckdb"
    release_digest, release_tables = digest(published), published_tables(published)

    killed_during = {}
    dagster_home = data_dir / "dagster"
    for step in TARGET_STEPS:
        previous_run = running_step(dagster_home)[0]
        process = subprocess.Popen(
            run_command(landing, data_dir),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so the kill reaches the run's children (Dagster's log tailers)
        )
        killed_during[step] = kill_when_step_starts(process, dagster_home, previous_run, step)
        assert digest(published) == release_digest, (
            f"killed during {killed_during[step]}, the release changed"
        )

    # Every stage was hit: ingestion, intermediate models, marts, the release candidate, publication.
    assert {stage_of(step) for step in killed_during.values()} >= {
        "ingestion",
        "intermediate",
        "marts",
        "release",
    }, killed_during
    final = subprocess.run(run_command(landing, data_dir), env=environment(), capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert published_tables(published) == release_tables
    print("killed during:", killed_during)
