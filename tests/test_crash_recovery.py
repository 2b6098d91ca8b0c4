"""A run killed at any moment leaves the published release as it was; the next run completes it.

The pipeline is killed with SIGKILL (no chance to clean up) at several points of a real
run, from ingestion to publication; which step was running is read back from the Dagster
run storage. After each kill the published file must be byte-identical to the release
before, and a new run must succeed and publish the same tables as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TEST_KEY_HEX

pytestmark = pytest.mark.slow

TABLES = ("adoption_weekly", "service_usage_weekly", "homework_class_weekly", "data_quality_weekly")


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


def running_step(dagster_home: Path) -> str:
    """The last step that started in the newest run, from the Dagster run storage."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        starts = [
            record.event_log_entry.dagster_event.step_key
            for record in instance.get_records_for_run(run.run_id).records
            if record.event_log_entry.dagster_event is not None
            and record.event_log_entry.dagster_event.event_type_value == "STEP_START"
        ]
    return starts[-1] if starts else "(before the first step)"


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

    killed_during = set()
    for delay in (2.0, 6.0, 9.0, 12.0, 15.0):
        process = subprocess.Popen(
            run_command(landing, data_dir),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so the kill reaches the run's children (Dagster's log tailers)
        )
        time.sleep(delay)
        if process.poll() is not None:
            continue  # the run finished before the kill: nothing to observe at this delay
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        killed_during.add(running_step(data_dir / "dagster"))
        assert digest(published) == release_digest, f"killed after {delay}s, the release changed"

    assert len(killed_during) >= 2, f"the kills should land in different steps: {killed_during}"
    final = subprocess.run(run_command(landing, data_dir), env=environment(), capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    assert published_tables(published) == release_tables
    print("killed during:", sorted(killed_during))
