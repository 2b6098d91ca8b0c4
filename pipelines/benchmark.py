"""`reperes bench`: how fast is a full rebuild, against the fastest any pipeline could read its input?

One run measures, on the same simulated files and the same machine:
- the floor H: DuckDB reading and decoding every contract column of the landing files once;
- the full rebuild through Dagster (`reperes run`, a separate process, as in production);
- a daily incremental run: one new delivery day on top of the rebuilt warehouse;
- a burst of dashboard queries on the published file;
- at 10 million events or fewer, the naive peer: the skeleton's marts in plain pandas.
Ratios are what carry across machines, so the table prints them next to the seconds.
Results are appended to benchmarks/results.json with the date and the commit.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from pipelines.pseudonymization import generate_key_hex
from pipelines.settings import REPO_ROOT

RESULTS_FILE = REPO_ROOT / "benchmarks" / "results.json"
EVENTS_PER_SCHOOL_YEAR = 830_000  # what the simulator writes for one collège over 36 weeks
NAIVE_PEER_LIMIT = 10_000_000


@dataclass
class Measure:
    name: str
    seconds: float
    peak_mib: float | None = None


class TreeMemory:
    """Peak resident memory of a process and all its children, sampled every 100 ms."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in processes if p.is_running()))
            except psutil.Error:
                pass
            self._stop.wait(0.1)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def timed_process(command: list[str], environment: dict[str, str]) -> Measure:
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with TreeMemory(process.pid) as memory:
        output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed:\n{output[-3000:]}")
    return Measure(command[3], time.monotonic() - started, memory.peak / 2**20)


def floor_read(events_dir: Path) -> Measure:
    """Read and decode every contract column once: the speed no correct pipeline can beat."""
    started = time.monotonic()
    with duckdb.connect() as connection:
        connection.execute(
            f"""
            select count(event_id), max(occurred_at), count(distinct user_id), max(role), max(school_uai),
                max(service), max(action), max(class_id), max(discipline), max(object_id), max(due_at)
            from read_parquet('{events_dir}/*.parquet')
            """
        ).fetchall()
    return Measure("floor H", time.monotonic() - started)


def dashboard_burst(published: Path, queries: int = 200) -> tuple[float, float]:
    """p50 and p95 milliseconds of the dashboard's typical per-school queries."""
    with duckdb.connect(str(published), read_only=True) as connection:
        schools = [
            row[0] for row in connection.execute("select distinct school_uai from adoption_weekly").fetchall()
        ]
        timings = []
        for index in range(queries):
            school = schools[index % len(schools)]
            started = time.perf_counter()
            connection.execute("select * from adoption_weekly where school_uai = ?", [school]).fetchall()
            connection.execute(
                "select * from service_usage_weekly where school_uai = ? and role = 'eleve'", [school]
            ).fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return timings[len(timings) // 2], timings[int(len(timings) * 0.95)]


def naive_peer(events_dir: Path, roster: Path) -> Measure:
    """adoption_weekly and service_usage_weekly as an analyst would write them in pandas."""
    script = f"""
import pandas as pd
events = pd.read_parquet({str(events_dir)!r})
roster = pd.read_csv({str(roster)!r}, dtype=str)
events = events.drop_duplicates("event_id")
events["week_start"] = (events["occurred_at"].dt.tz_convert("Europe/Paris").dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time)
active = events[["user_id", "school_uai", "service", "week_start"]].drop_duplicates()
weeks = pd.DataFrame({{"week_start": sorted(events["week_start"].unique())}})
members = roster[["user_id", "role", "school_uai"]].drop_duplicates().merge(weeks, how="cross")
enrolled = members.groupby(["school_uai", "role", "week_start"]).size().rename("enrolled")
users = active[["user_id", "school_uai", "week_start"]].drop_duplicates().merge(members, on=["user_id", "school_uai", "week_start"])
adoption = users.groupby(["school_uai", "role", "week_start"]).size().rename("active").to_frame().join(enrolled, how="right")
per_service = active.merge(members, on=["user_id", "school_uai", "week_start"]).groupby(["school_uai", "role", "service", "week_start"]).size()
print(len(adoption), len(per_service))
"""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with TreeMemory(process.pid) as memory:
        output, _ = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the pandas peer failed:\n{output[-2000:]}")
    return Measure("naive pandas peer", time.monotonic() - started, memory.peak / 2**20)


def count_events(events_dir: Path) -> int:
    with duckdb.connect() as connection:
        return connection.execute(f"select count(*) from read_parquet('{events_dir}/*.parquet')").fetchone()[
            0
        ]


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def run_benchmark(target_events: int, workdir: Path, say=print) -> dict:
    from pipelines.simulator import simulate

    schools = max(1, round(target_events / EVENTS_PER_SCHOOL_YEAR))
    weeks = (
        36
        if target_events >= EVENTS_PER_SCHOOL_YEAR
        else max(2, round(36 * target_events / EVENTS_PER_SCHOOL_YEAR))
    )
    start = date(2025, 9, 1)
    shutil.rmtree(workdir, ignore_errors=True)
    landing, data_dir, incremental = workdir / "landing", workdir / "data", workdir / "incremental"
    say(f"Simulating {schools} schools × {weeks} weeks (+1 day for the incremental run) …")
    simulate(landing, schools=schools, start=start, weeks=weeks, seed=1)
    events = count_events(landing / "events")
    # The incremental day: the day after the simulated period, from a one-week-longer simulation.
    simulate(workdir / "longer", schools=schools, start=start, weeks=weeks + 1, seed=1)
    next_day = (start + timedelta(weeks=weeks)).isoformat()
    (incremental / "events").mkdir(parents=True)
    shutil.copytree(landing / "roster", incremental / "roster")
    for path in (workdir / "longer" / "events").glob(f"{next_day}.*"):
        shutil.copy(path, incremental / "events" / path.name)
    shutil.rmtree(workdir / "longer")

    key_file = workdir / "pseudonym.key"
    key_file.write_text(generate_key_hex())
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("REPERES_") and k != "DAGSTER_HOME"
    }
    reperes = [sys.executable, "-m", "pipelines.cli"]
    keep = ["--keep-landing"]  # the benchmark re-reads its simulated files

    say(f"{events:,} events. Floor H: reading every contract column once …")
    floor = floor_read(landing / "events")
    say("Full rebuild through Dagster …")
    full = timed_process(
        [
            *reperes,
            "run",
            "--landing",
            str(landing),
            "--data-dir",
            str(data_dir),
            "--key-file",
            str(key_file),
            *keep,
        ],
        environment,
    )
    full.name = "full rebuild"
    say("Daily incremental run …")
    daily = timed_process(
        [
            *reperes,
            "run",
            "--landing",
            str(incremental),
            "--data-dir",
            str(data_dir),
            "--key-file",
            str(key_file),
            *keep,
        ],
        environment,
    )
    daily.name = "daily incremental"
    p50, p95 = dashboard_burst(data_dir / "published.duckdb")
    measures = [floor, full, daily]
    if events <= NAIVE_PEER_LIMIT:
        say("Naive pandas peer …")
        measures.append(naive_peer(landing / "events", landing / "roster" / "roster.csv"))

    result = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
        },
        "events": events,
        "schools": schools,
        "weeks": weeks,
        "measures": [asdict(measure) for measure in measures],
        "full_over_floor": floor.seconds / full.seconds,
        "daily_over_full": daily.seconds / full.seconds,
        "dashboard_query_ms": {"p50": round(p50, 2), "p95": round(p95, 2)},
    }
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    history = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else []
    RESULTS_FILE.write_text(json.dumps([*history, result], indent=2) + "\n")
    for line in format_table(result):
        say(line)
    return result


def format_table(result: dict) -> list[str]:
    events = result["events"]
    lines = [
        f"Repères benchmark — {events:,} events, {result['schools']} schools × {result['weeks']} weeks, "
        f"commit {result['commit']}, {result['machine']['cpus']} cores",
        f"{'measure':<20}{'wall s':>10}{'events/s':>14}{'peak MiB':>10}",
    ]
    for measure in result["measures"]:
        peak = f"{measure['peak_mib']:,.0f}" if measure["peak_mib"] else "—"
        lines.append(
            f"{measure['name']:<20}{measure['seconds']:>10.1f}{events / measure['seconds']:>14,.0f}{peak:>10}"
        )
    lines.append(f"full rebuild throughput / floor H: {result['full_over_floor']:.3f} (target ≥ 0.10)")
    lines.append(f"daily incremental / full rebuild: {result['daily_over_full']:.3f} (target < 0.02)")
    lines.append(
        f"dashboard queries: p50 {result['dashboard_query_ms']['p50']} ms, p95 {result['dashboard_query_ms']['p95']} ms"
    )
    return lines
