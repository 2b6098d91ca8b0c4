"""`reperes bench`: how fast is a full rebuild, against the fastest any pipeline could read its input?

One run measures, on the same simulated files and the same machine (docs/scale.md says how to
read the table):
- the simulator writing the landing files of a département of about the asked size;
- the floor H: DuckDB reading and decoding every contract column of the landing files once;
- the full rebuild through Dagster (`reperes run`, a separate process, as in production);
- a daily incremental run: `reperes run` again with one new delivery day landed, on top of the
  rebuilt warehouse (whatever the pipeline's daily run does, this measures it);
- a burst of dashboard queries and page interactions on the published file, with the query
  set and interactions of dashboards/benchmark.py;
- at 10 million events or fewer, the naive peer: the skeleton's three marts in plain pandas
  (benchmarks/naive_peer.py), in its own process so that its memory is measured apart;
- at 10 million events or fewer, the Spark engine: the same full rebuild through Dagster with
  REPERES_ENGINE=spark (local mode, a JVM on this machine), on a fresh data directory with the
  same landing files and key, its JVM start and its models timed apart (docs/spark.md).
Ratios are what carry across machines, so the table prints them next to the seconds. Results
are appended to benchmarks/results.json with the date, the commit and the machine; the cost
exponent is fitted across the sizes found there, and `--readme` rewrites README.md's table.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil

from pipelines.settings import REPO_ROOT

RESULTS_FILE = REPO_ROOT / "benchmarks" / "results.json"
README_FILE = REPO_ROOT / "README.md"
NAIVE_PEER_SCRIPT = REPO_ROOT / "benchmarks" / "naive_peer.py"
DEFAULT_WORKDIR = Path("var/bench")
DEFAULT_EVENTS = 1_000_000
README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"

# What the simulator writes for one collège over a 36-week school year (1,007,085 events with
# seed 1): sizes are reached by adding schools, as a bigger département would.
EVENTS_PER_SCHOOL_YEAR = 1_000_000
SCHOOL_YEAR_WEEKS = 36
START = date(2025, 9, 1)  # a Monday: the simulated year starts at the rentrée
SEED = 1
# Above this the pandas peer no longer fits comfortably in memory (issue 8): it is skipped.
NAIVE_PEER_LIMIT = 10_000_000
DASHBOARD_REPEAT = 5
HEARTBEAT_SECONDS = 30
# The stages of one run, in the order they run and are printed (keys of the results' "measures").
STAGES = ("simulator", "floor", "full_rebuild", "daily_run", "dashboard", "naive_peer")
# The other engine (docs/spark.md, pipelines/engines/spark.py): its full rebuild is measured up
# to SPARK_LIMIT events, in local mode on this machine (results' "engines": {"spark": {...}}).
# Above it, Spark's fixed cost per model and its exchange through Parquet make the run hours
# long on 2 cores, and a local JVM says nothing of a cluster's throughput (docs/spark.md).
SPARK_ENGINE = "spark"
SPARK_LIMIT = 10_000_000

# Issue 8's targets, printed beside each ratio: (text, passes(value)).
TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "rebuild_over_floor": ("≥ 0.10 (stretch 0.25)", lambda value: value >= 0.10),
    "dagster_fixed_share": ("< 0.10", lambda value: value < 0.10),
    "daily_compute_over_full": ("< 0.02", lambda value: value < 0.02),
    "daily_wall_seconds": ("< 15 s", lambda value: value < 15),
    "speedup_over_peer": ("≥ 20", lambda value: value >= 20),
    "memory_over_peer": ("< 0.20", lambda value: value < 0.20),
    "dashboard_query_p95_ms": ("< 100 ms", lambda value: value < 100),
    "dashboard_interaction_p95_ms": ("< 300 ms", lambda value: value < 300),
    "simulator_over_pipeline_read": ("> 1", lambda value: value > 1),
    "cost_exponent": ("< 1.1", lambda value: value < 1.1),
}


@dataclass
class Measure:
    """One timed stage: wall seconds, peak resident memory of its process tree, Dagster's steps."""

    name: str
    seconds: float
    peak_mib: float | None = None
    events: int | None = None  # the events this stage processed, for events/s
    step_seconds: float | None = None  # Dagster runs: the sum of their steps' durations
    stages: dict[str, float] = field(default_factory=dict)  # Dagster runs: runner.stage_seconds
    run_id: str | None = None


class TreeMemory:
    """Peak resident memory of a process and all its children, sampled every 250 ms.

    The sum of RSS over the tree counts pages shared between processes twice: an upper bound,
    which is what matters for "does it fit on the machine". Listing a tree reads every process
    of /proc: sampling more often costs the measured run a visible share of a core."""

    INTERVAL_SECONDS = 0.25

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                processes = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                processes = []
            for process in processes:
                # A child may end between the listing and the reading.
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self.INTERVAL_SECONDS)

    @property
    def peak_mib(self) -> float:
        return self.peak / 2**20

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# --- The landing files -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How many schools and weeks make about `target` events, and the day of the daily run."""

    target: int
    schools: int
    weeks: int

    @property
    def last_day(self) -> date:
        return START + timedelta(weeks=self.weeks) - timedelta(days=1)  # a Sunday

    @property
    def new_day(self) -> date:
        return self.last_day + timedelta(days=1)  # the Monday after: a school day


def plan_for(target_events: int) -> Plan:
    """Whole school years of more schools for big sizes; fewer weeks of one school below a year."""
    if target_events >= EVENTS_PER_SCHOOL_YEAR:
        return Plan(target_events, max(1, round(target_events / EVENTS_PER_SCHOOL_YEAR)), SCHOOL_YEAR_WEEKS)
    weeks = max(2, round(SCHOOL_YEAR_WEEKS * target_events / EVENTS_PER_SCHOOL_YEAR))
    return Plan(target_events, 1, weeks)


def simulate_landing(plan: Plan, workdir: Path, say: Callable[[str], None]) -> tuple[Measure, int, int]:
    """Simulate one week more than planned, then keep the planned weeks in landing/ and the
    Monday after them, alone, in incremental/: the next delivery of the same département.

    One simulation rather than two, because the simulated population depends on the period:
    a second, longer simulation would not be the same département. Returns the simulator's
    measure (every event it wrote), and the events of landing/ and of the new day.
    """
    from pipelines.simulator import simulate

    landing, incremental = workdir / "landing", workdir / "incremental"
    started = time.monotonic()
    summary = simulate(
        landing,
        schools=plan.schools,
        start=START,
        weeks=plan.weeks + 1,
        seed=SEED,
        progress=lambda line: say(f"  simulator: {line}") if _worth_showing(line) else None,
    )
    simulator = Measure(
        "simulator (writes the landing files)", time.monotonic() - started, events=summary.events
    )
    (incremental / "events").mkdir(parents=True)
    for path in (landing / "events").iterdir():
        day = date.fromisoformat(path.name.split(".")[0])
        if day == plan.new_day:
            path.rename(incremental / "events" / path.name)
        elif day > plan.last_day:
            path.unlink()
    return simulator, count_events(landing / "events"), count_events(incremental / "events")


def _worth_showing(simulator_line: str) -> bool:
    """Every sixth week of the simulator's progress, and its last line: enough to see it move."""
    if simulator_line.startswith("done"):
        return True
    week = simulator_line.removeprefix("week ").split("/")[0]
    return week.isdigit() and int(week) % 6 == 0


def count_events(events_dir: Path) -> int:
    """Distinct events (a re-delivered event counts once), as the run summary counts them."""
    import duckdb

    with duckdb.connect() as connection:
        query = f"select count(distinct event_id) from read_parquet('{events_dir}/*.parquet')"
        return connection.execute(query).fetchone()[0]


# --- The measures ------------------------------------------------------------------------------


def floor_read(events_dir: Path, events: int) -> Measure:
    """Read and decode every contract column of the landing files once: the speed no correct
    pipeline can beat (it must at least do this). An aggregate over every column, so that
    nothing can be skipped; cheap aggregates (min, max), so that the reading is what is timed."""
    import duckdb

    from pipelines.simulator import EVENT_COLUMNS

    aggregates = ", ".join(f"min({column}), max({column})" for column in EVENT_COLUMNS)
    with duckdb.connect() as connection:
        started = time.monotonic()
        connection.execute(
            f"select count(*), {aggregates} from read_parquet('{events_dir}/*.parquet')"
        ).fetchall()
        seconds = time.monotonic() - started
    # No memory figure: it runs inside the benchmark's own process, whose memory is not its own.
    return Measure("floor H (DuckDB reads every column once)", seconds, None, events)


def run_command(
    name: str, command: Sequence[str], log_file: Path, say: Callable[[str], None], environment: dict[str, str]
) -> tuple[Measure, str]:
    """Run a command in its own process; its output goes to log_file, and its last line is
    shown every HEARTBEAT_SECONDS so that a long stage says where it is. Returns the measure
    and the output."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command, env=environment, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=REPO_ROOT
        )
        with TreeMemory(process.pid) as memory:
            next_heartbeat = started + HEARTBEAT_SECONDS
            while process.poll() is None:
                time.sleep(0.5)
                if time.monotonic() >= next_heartbeat:
                    next_heartbeat += HEARTBEAT_SECONDS
                    say(f"  … {time.monotonic() - started:.0f} s: {_last_line(log_file)}")
    seconds = time.monotonic() - started
    output = log_file.read_text(encoding="utf-8")
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed (exit {process.returncode}); see {log_file}:\n{output[-3000:]}")
    return Measure(name, seconds, memory.peak_mib), output


def _last_line(log_file: Path) -> str:
    lines = [
        line for line in log_file.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()
    ]
    # Dagster's lines, "date - dagster - LEVEL - job - run id - step - message", say where the
    # run is (warnings of libraries do not): the step and its message.
    dagster = [line.split(" - ", 5) for line in lines if " - dagster - " in line]
    if dagster and len(dagster[-1]) == 6:
        return dagster[-1][5][:120]
    return lines[-1].strip()[:120] if lines else "starting"


def pipeline_run(
    name: str,
    landing: Path,
    data_dir: Path,
    key_file: Path,
    log_file: Path,
    say: Callable[[str], None],
    *,
    engine: str | None = None,
    timings: Path | None = None,
) -> Measure:
    """`reperes run` in its own process, as production runs it; then its steps' durations from
    the Dagster instance it recorded the run in (runner.stage_seconds), to split the wall time
    into work and Dagster's fixed cost.

    `engine` sets REPERES_ENGINE for the run (else the default, DuckDB). With `timings`, the run
    goes through `spark_run_child`: the same `reperes run`, with the Spark engine's session
    start and model builds timed into that JSON file."""
    from pipelines.settings import ENGINE_ENV_VAR

    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    environment["DAGSTER_DISABLE_TELEMETRY"] = "true"
    if engine is not None:
        environment[ENGINE_ENV_VAR] = engine
    if timings is None:
        launcher = ["-m", "pipelines.cli"]
    else:
        launcher = [
            "-c",
            "import sys; from pipelines.benchmark import spark_run_child; "
            "spark_run_child(sys.argv[1], sys.argv[2:])",
            str(timings),
        ]
    command = [
        sys.executable,
        *launcher,
        "run",
        "--landing",
        str(landing),
        "--data-dir",
        str(data_dir),
        "--key-file",
        str(key_file),
        "--keep-landing",  # the peer and the floor read the same files afterwards
    ]
    measure, output = run_command(name, command, log_file, say, environment)
    run_id = next(
        line.split()[1] for line in output.splitlines() if line.startswith("Run ") and " done in " in line
    )
    measure.run_id = run_id
    measure.stages = dagster_stage_seconds(data_dir, run_id)
    measure.step_seconds = sum(measure.stages.values())
    return measure


def dagster_stage_seconds(data_dir: Path, run_id: str) -> dict[str, float]:
    """runner.stage_seconds of a run recorded in DATA/dagster (the run's own DAGSTER_HOME)."""
    from pipelines.runner import stage_seconds

    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str((data_dir / "dagster").resolve())
    try:
        return stage_seconds(run_id)
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


def spark_run_child(timings: str, arguments: list[str]) -> None:
    """In the Spark run's own process: `reperes run` (pipelines.cli.main, what `python -m
    pipelines.cli run` calls), with the engine's session start (the JVM) and each model's build
    timed by thin wrappers around pipelines.engines.spark's functions; the run itself is
    untouched. The timings are written to `timings` as JSON when the run ends, however it ends."""
    from pipelines.engines import spark

    recorded: dict[str, list | dict] = {"session_seconds": [], "models": {}}
    original_start, original_build = spark.start_session, spark.build_model

    def timed_start_session(*args, **kwargs):
        started = time.monotonic()
        try:
            return original_start(*args, **kwargs)
        finally:
            recorded["session_seconds"].append(time.monotonic() - started)

    def timed_build_model(connection, model, *args, **kwargs):
        build = original_build(connection, model, *args, **kwargs)
        recorded["models"][f"{model.layer}.{model.name}"] = {
            "rows": build.rows,
            "spark_seconds": build.spark_seconds,
            "load_seconds": build.load_seconds,
        }
        return build

    spark.start_session, spark.build_model = timed_start_session, timed_build_model
    # The Dagster resource imports both names from the engine: rebind them there too, whichever
    # module was imported first.
    with contextlib.suppress(ImportError):
        from pipelines.defs import resources

        for name, original, timed in (
            ("start_session", original_start, timed_start_session),
            ("build_model", original_build, timed_build_model),
        ):
            if getattr(resources, name, None) is original:
                setattr(resources, name, timed)
    from pipelines import cli

    try:
        cli.main(arguments)
    finally:
        Path(timings).write_text(json.dumps(recorded), encoding="utf-8")


def spark_runtime(plan: Plan, asked: bool = True) -> dict:
    """Whether the Spark engine is measured at this size and on this machine: {"java": major,
    "pyspark": version} when it is, else the results' {"skipped": why, "message": …} (not
    asked for, above SPARK_LIMIT, no Java runtime of 17 or later, no pyspark)."""
    if not asked:
        return {"skipped": "not_asked", "message": "not asked for (--no-spark)"}
    if plan.target > SPARK_LIMIT:
        return {
            "skipped": "above_limit",
            "limit": SPARK_LIMIT,
            "message": f"not measured above {SPARK_LIMIT / 1e6:g} M events (SPARK_LIMIT)",
        }
    from pipelines.engines.spark import SparkUnavailable, check_java

    try:
        java = check_java()
    except SparkUnavailable as error:
        return {"skipped": "no_java", "message": f"no Java runtime for Spark: {error}"}
    pyspark = _pyspark_version()
    if pyspark is None:
        return {"skipped": "no_pyspark", "message": "pyspark is not installed (`make setup`)"}
    return {"java": java, "pyspark": pyspark}


def spark_rebuild(
    workdir: Path,
    key_file: Path,
    events: int,
    duckdb_full: Measure,
    runtime: dict,
    say: Callable[[str], None],
) -> dict:
    """The full rebuild with the Spark engine, as production would run it: `REPERES_ENGINE=spark
    reperes run` in its own process, through Dagster, on a fresh data directory with the same
    landing files and key as the DuckDB rebuild (whose data directory, and so the daily run,
    it leaves alone). Spark in local mode (REPERES_SPARK_MASTER is not passed on): the same
    machine as the DuckDB figures, its JVM counted in the process tree's peak memory.

    Returns the results' "engines"/"spark": the run's Measure fields, plus the split of its
    time (the JVM start, the models on Spark, their load back into DuckDB) and each model's
    figures; or {"skipped": "failed", …} when the run failed (the DuckDB figures are kept)."""
    from pipelines.engines.spark import DEFAULT_MASTER

    root = workdir / "spark"
    timings = root / "timings.json"
    log_file = workdir / "logs" / "spark.log"
    load_at_start = os.getloadavg()[0]
    try:
        measure = pipeline_run(
            "full rebuild through Dagster, Spark engine",
            workdir / "landing",
            root / "data",
            key_file,
            log_file,
            say,
            engine=SPARK_ENGINE,
            timings=timings,
        )
    except RuntimeError as error:
        return {"skipped": "failed", "message": str(error).splitlines()[0], "log": str(log_file)}
    recorded = json.loads(timings.read_text(encoding="utf-8"))
    models = recorded["models"]
    on_spark = sum(model["spark_seconds"] for model in models.values())
    loading = sum(model["load_seconds"] for model in models.values())
    measure.events = events
    return {
        **asdict(measure),
        "how": "REPERES_ENGINE=spark reperes run, through Dagster, fresh data directory",
        "master": DEFAULT_MASTER,
        **runtime,
        "load_average_at_start": round(load_at_start, 2),
        "jvm_start_seconds": sum(recorded["session_seconds"]) if recorded["session_seconds"] else None,
        "models_seconds": on_spark + loading,
        "models_spark_seconds": on_spark,
        "models_load_seconds": loading,
        "models": models,
        "over_duckdb_full_rebuild": measure.seconds / duckdb_full.seconds,
    }


def _pyspark_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pyspark")
    except PackageNotFoundError:
        return None


def run_naive_peer(
    landing: Path, log_file: Path, say: Callable[[str], None], out: Path | None = None
) -> Measure:
    """benchmarks/naive_peer.py in its own process (its memory is its own), on the same files."""
    command = [sys.executable, str(NAIVE_PEER_SCRIPT), str(landing)]
    if out is not None:
        command += ["--out", str(out)]
    measure, _ = run_command("naive pandas peer (3 marts)", command, log_file, say, dict(os.environ))
    return measure


def dashboard_burst(published: Path, workdir: Path, repeat: int, say: Callable[[str], None]) -> Measure:
    """The dashboards' queries and interactions (dashboards/benchmark.py) on this run's
    published file, in a process of their own: Streamlit's caches and its connection to the
    file belong to that process, as they belong to the dashboard server's."""
    out = workdir / "dashboard.json"
    command = [
        sys.executable,
        "-c",
        "import sys; from pipelines.benchmark import dashboard_burst_child; "
        "dashboard_burst_child(sys.argv[1], sys.argv[2], int(sys.argv[3]))",
        str(published.resolve()),
        str(out.resolve()),
        str(repeat),
    ]
    measure, _ = run_command(
        "dashboard burst (queries, interactions)",
        command,
        workdir / "logs" / "dashboard.log",
        say,
        dict(os.environ),
    )
    measure.stages = json.loads(out.read_text(encoding="utf-8"))
    return measure


def dashboard_burst_child(published: str, out: str, repeat: int) -> None:
    """In the burst's own process: each page's queries uncached (dashboards.benchmark.page_queries),
    then whole interactions, cold, as AppTest runs them (dashboards.benchmark.measure_pages)."""
    import tempfile

    import duckdb

    from pipelines.settings import PUBLISHED_DB_ENV_VAR

    with duckdb.connect(published, read_only=True) as connection:
        rows = connection.execute("select distinct school_uai from adoption_weekly order by 1").fetchall()
    schools = [school for (school,) in rows]
    with tempfile.TemporaryDirectory(prefix="reperes-bench-") as scratch:
        from dashboards import access
        from dashboards import benchmark as dashboards_benchmark

        os.environ[PUBLISHED_DB_ENV_VAR] = published
        os.environ[access.ACCOUNTS_FILE_ENV] = str(
            dashboards_benchmark.write_accounts(Path(scratch) / "accounts.toml", schools)
        )
        query_ms = _query_samples(schools, repeat)
        _, interaction_ms = dashboards_benchmark.measure_pages(repeat)
    percentile = dashboards_benchmark.percentile
    Path(out).write_text(
        json.dumps(
            {
                "queries": len(query_ms),
                "query_p50_ms": percentile(query_ms, 0.5),
                "query_p95_ms": percentile(query_ms, 0.95),
                "interactions": len(interaction_ms),
                "interaction_p50_ms": percentile(interaction_ms, 0.5),
                "interaction_p95_ms": percentile(interaction_ms, 0.95),
            }
        ),
        encoding="utf-8",
    )


def _query_samples(schools: list[str], repeat: int) -> list[float]:
    """Milliseconds of each page query, the query cache emptied before each page's reads."""
    import streamlit as st

    from dashboards import access, data, filters
    from dashboards import benchmark as dashboards_benchmark

    referent_schools = tuple(schools[: dashboards_benchmark.REFERENT_SCHOOLS])
    entitlement = access.entitlement_for(
        access.Account(dashboards_benchmark.REFERENT_LOGIN, access.REFERENT, referent_schools)
    )
    periods = [filters.period(key) for key in ("2025-2026", "2025-2026-T1", "2025-2026-T2", "2025-2026-T3")]
    data.release_info()  # opens the connection once, as the server does at its first page
    samples = []
    for index in range(repeat * len(referent_schools)):
        school = referent_schools[index % len(referent_schools)]
        classes = data.classes(entitlement, school) or [""]
        queries = dashboards_benchmark.page_queries(
            entitlement, school, classes[index % len(classes)], periods[index % len(periods)]
        )
        for page_queries in queries.values():
            st.cache_data.clear()
            for query in page_queries.values():
                started = time.perf_counter()
                query()
                samples.append((time.perf_counter() - started) * 1000)
    return samples


# --- The whole benchmark -----------------------------------------------------------------------


def run_benchmark(
    target_events: int,
    workdir: Path = DEFAULT_WORKDIR,
    *,
    results_file: Path = RESULTS_FILE,
    dashboard_repeat: int = DASHBOARD_REPEAT,
    spark: bool = True,
    say: Callable[[str], None] = print,
) -> dict:
    """Simulate, measure every stage, append the result to results_file, print the table.

    `spark=False` leaves the Spark rebuild out (the suite's tiny run: tests/test_spark_engine.py
    runs the same `spark_rebuild` on its own département)."""
    from pipelines.pseudonymization import generate_key_hex

    plan = plan_for(target_events)
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    logs = workdir / "logs"
    key_file = workdir / "secrets" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.touch(mode=0o600)
    key_file.write_text(generate_key_hex() + "\n", encoding="ascii")
    load_at_start = os.getloadavg()[0]

    with TreeMemory(os.getpid()) as whole:
        say(
            f"[1/7] Simulating {plan.schools} school(s) × {plan.weeks} weeks from {START}, "
            f"and the delivery of {plan.new_day} for the daily run …"
        )
        simulator, events, new_day_events = simulate_landing(plan, workdir, say)
        say(
            f"      {events:,} events in landing/, {new_day_events:,} on {plan.new_day} ({simulator.seconds:.1f} s)"
        )
        say("[2/7] Floor H: DuckDB reads every contract column of the landing files once …")
        floor = floor_read(workdir / "landing" / "events", events)
        say(f"      {floor.seconds:.2f} s")
        say(f"[3/7] Full rebuild through Dagster (`reperes run`; log: {logs / 'full.log'}) …")
        full = pipeline_run(
            "full rebuild through Dagster",
            workdir / "landing",
            workdir / "data",
            key_file,
            logs / "full.log",
            say,
        )
        full.events = events
        say(f"      {full.seconds:.1f} s, peak {full.peak_mib:,.0f} MiB")
        say(
            f"[4/7] Daily incremental run: {plan.new_day} on top of the warehouse (log: {logs / 'daily.log'}) …"
        )
        daily = pipeline_run(
            f"daily run ({plan.new_day})",
            workdir / "incremental",
            workdir / "data",
            key_file,
            logs / "daily.log",
            say,
        )
        daily.events = new_day_events
        say(f"      {daily.seconds:.1f} s")
        say(f"[5/7] Dashboard burst on the published file ({dashboard_repeat} rounds) …")
        dashboard = dashboard_burst(workdir / "data" / "published.duckdb", workdir, dashboard_repeat, say)
        say(f"      {dashboard.seconds:.1f} s")
        peer = None
        if plan.target <= NAIVE_PEER_LIMIT:
            say("[6/7] Naive peer: the three skeleton marts in plain pandas …")
            peer = run_naive_peer(workdir / "landing", logs / "peer.log", say)
            peer.events = events
            say(f"      {peer.seconds:.1f} s, peak {peer.peak_mib:,.0f} MiB")
        else:
            say(f"[6/7] Naive peer skipped: above {NAIVE_PEER_LIMIT:,} events it does not fit (issue 8).")
        spark = spark_runtime(plan, asked=spark)
        if "skipped" in spark:
            say(f"[7/7] Spark engine skipped: {spark['message']}.")
        else:
            say(
                "[7/7] Spark engine: the full rebuild again, `REPERES_ENGINE=spark reperes run` on a "
                f"fresh data directory (local mode; log: {logs / 'spark.log'}) …"
            )
            spark = spark_rebuild(workdir, key_file, events, full, spark, say)
            if "skipped" in spark:
                say(f"      FAILED, the other figures are kept: {spark['message']}")
            else:
                say(
                    f"      {spark['seconds']:.1f} s, peak {spark['peak_mib']:,.0f} MiB (JVM start "
                    f"{_number(spark['jvm_start_seconds'], 1)} s, models {spark['models_seconds']:.1f} s)"
                )

    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(load_at_start),
        "events": events,
        "schools": plan.schools,
        "weeks": plan.weeks,
        "new_day": plan.new_day.isoformat(),
        "new_day_events": new_day_events,
        "peak_mib_whole_benchmark": round(whole.peak_mib),
        "measures": {
            "simulator": asdict(simulator),
            "floor": asdict(floor),
            "full_rebuild": asdict(full),
            "daily_run": asdict(daily),
            "dashboard": asdict(dashboard),
            "naive_peer": asdict(peer) if peer else None,
        },
        "engines": {"duckdb": "measured", SPARK_ENGINE: spark},
    }
    result["ratios"] = ratios(result)
    history = read_results(results_file)
    history.append(result)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    results_file.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    exponent = cost_exponent(history, result["machine"])
    for line in format_table(result, exponent):
        say(line)
    if exponent is not None:
        # The exponent compares runs made at different times: on a shared machine, their loads.
        sizes = latest_by_size(history, result["machine"])
        say(
            "sizes fitted: "
            + ", ".join(f"{size['events']:,} (load {_load(size['machine'])})" for size in sizes)
        )
    say(f"Appended to {results_file}.")
    return result


def ratios(result: dict) -> dict[str, float | None]:
    """The figures of issue 8 that carry across machines, from one result's measures."""
    measures = result["measures"]
    floor, full, daily = measures["floor"], measures["full_rebuild"], measures["daily_run"]
    peer, dashboard, simulator = measures["naive_peer"], measures["dashboard"], measures["simulator"]
    ingestion = full["stages"].get("ingestion")
    simulator_rate = simulator["events"] / simulator["seconds"]
    return {
        # (events / full) / (events / floor)
        "rebuild_over_floor": floor["seconds"] / full["seconds"],
        "dagster_fixed_share": 1 - full["step_seconds"] / full["seconds"],
        "daily_compute_over_full": daily["step_seconds"] / full["step_seconds"],
        "daily_wall_seconds": daily["seconds"],
        "speedup_over_peer": peer["seconds"] / full["seconds"] if peer else None,
        "memory_over_peer": full["peak_mib"] / peer["peak_mib"] if peer else None,
        "dashboard_query_p95_ms": dashboard["stages"]["query_p95_ms"],
        "dashboard_interaction_p95_ms": dashboard["stages"]["interaction_p95_ms"],
        "simulator_over_pipeline_read": (
            simulator_rate / (full["events"] / ingestion) if ingestion else None
        ),
    }


def read_results(results_file: Path) -> list[dict]:
    return json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else []


def fit_exponent(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of log(seconds) on log(events): cost ∝ events^slope (1 = linear)."""
    if len({events for events, _ in points}) < 2:
        raise ValueError("an exponent needs at least two different sizes")
    xs = [math.log(events) for events, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return covariance / sum((x - mean_x) ** 2 for x in xs)


def latest_by_size(history: Sequence[dict], machine_now: dict | None = None) -> list[dict]:
    """The latest result of each size (on the same kind of machine, when given), smallest first."""
    latest: dict[int, dict] = {}
    for result in history:
        same_machine = machine_now is None or (
            result["machine"]["cpus"] == machine_now["cpus"]
            and result["machine"]["memory_gib"] == machine_now["memory_gib"]
        )
        if same_machine:
            latest[result["events"]] = result
    return [latest[events] for events in sorted(latest)]


def cost_exponent(history: Sequence[dict], machine_now: dict | None = None) -> tuple[float, int] | None:
    """The full rebuild's exponent across the sizes of the results file, and how many sizes."""
    points = [
        (result["events"], result["measures"]["full_rebuild"]["seconds"])
        for result in latest_by_size(history, machine_now)
    ]
    if len(points) < 2:
        return None
    return fit_exponent(points), len(points)


def commit() -> str:
    """HEAD's short hash, with "+changes" when tracked files differ from it (read-only: git's
    optional index refresh is off, so a commit being made meanwhile is not disturbed)."""
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    head = result.stdout.strip() or "unknown"
    return f"{head}+changes" if dirty.stdout.strip() else head


def machine(load_at_start: float) -> dict:
    import duckdb

    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "processor": platform.processor() or platform.machine(),
        "system": platform.platform(terse=True),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "load_average_at_start": round(load_at_start, 2),
        # A shared machine: how busy it was at the end too (1-minute load average).
        "load_average_at_end": round(os.getloadavg()[0], 2),
    }


# --- The table ---------------------------------------------------------------------------------


def _number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def spark_figures(result: dict) -> dict | None:
    """The Spark engine's full rebuild in a result, None when it was not measured."""
    spark = result.get("engines", {}).get(SPARK_ENGINE)
    return spark if spark and "skipped" not in spark else None


def spark_not_measured(result: dict) -> str:
    """Why a result has no Spark figures, in a few words (a table cell)."""
    spark = result.get("engines", {}).get(SPARK_ENGINE)
    if not spark:  # results from before the benchmark measured Spark
        return "not measured"
    reason = spark["skipped"]
    if reason == "above_limit":
        return f"not measured above {spark['limit'] / 1e6:g} M"
    return {
        "not_asked": "not measured (--no-spark)",
        "failed": "failed",
        "no_java": "not measured (no Java)",
        "no_pyspark": "not measured (no pyspark)",
    }.get(reason, f"not measured ({reason})")


def _spark_lines(result: dict) -> list[str]:
    """Under the full rebuild: the Spark engine's split (JVM start, models), or why it is missing."""
    spark = spark_figures(result)
    if spark is None:
        recorded = result.get("engines", {}).get(SPARK_ENGINE)
        return [f"  Spark engine: {recorded['message'] if recorded else 'not measured'}"]
    stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in spark["stages"].items())
    return [
        f"  Spark engine ({spark['master']}, Java {spark['java']}, pyspark {spark['pyspark']}): "
        f"{spark['over_duckdb_full_rebuild']:.2f} × the DuckDB rebuild's wall; JVM start "
        f"{_number(spark['jvm_start_seconds'], 1)} s; {len(spark['models'])} models "
        f"{spark['models_seconds']:.1f} s (on Spark {spark['models_spark_seconds']:.1f}, "
        f"loading into DuckDB {spark['models_load_seconds']:.1f})",
        f"  Spark's Dagster steps {spark['step_seconds']:.1f} s: {stages}",
    ]


def format_table(result: dict, exponent: tuple[float, int] | None = None) -> list[str]:
    """The one table of `reperes bench`: stages (wall, events/s, peak memory, and the Spark
    engine's wall and peak beside the full rebuild), then ratios."""
    measures, machine_info = result["measures"], result["machine"]
    width = 44
    lines = [
        "",
        f"Repères benchmark: {result['events']:,} events ({result['schools']} school(s) × {result['weeks']} weeks), "
        f"{result['date']}, commit {result['commit']}",
        f"machine: {machine_info['cpus']} CPU, {machine_info['memory_gib']} GiB, DuckDB {machine_info['duckdb']}, "
        f"load {machine_info['load_average_at_start']} at start, {machine_info.get('load_average_at_end', '?')} at end; peak of the whole benchmark's process tree "
        f"{result['peak_mib_whole_benchmark']:,} MiB",
        f"{'stage':<{width}}{'wall s':>9}{'events/s':>12}{'peak MiB':>10}"
        f"  {SPARK_ENGINE + ' wall s':>13}{SPARK_ENGINE + ' MiB':>10}",
    ]
    spark = spark_figures(result)
    for key, measure in measures.items():
        if measure is None:
            continue
        rate = measure["events"] / measure["seconds"] if measure["events"] else None
        spark_cells = ""
        if key == "full_rebuild":
            if spark:
                spark_cells = f"{spark['seconds']:>13.2f}{_number(spark['peak_mib']):>10}"
            else:
                missing = "failed" if spark_not_measured(result) == "failed" else "not measured"
                spark_cells = f"{missing:>13}"
        elif key == "daily_run":
            spark_cells = f"{'—':>13}"
        lines.append(
            f"{measure['name']:<{width}}{measure['seconds']:>9.2f}{_number(rate):>12}"
            f"{_number(measure['peak_mib']):>10}  {spark_cells}".rstrip()
        )
        if measure["stages"] and key in ("full_rebuild", "daily_run"):
            stages = ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in measure["stages"].items())
            lines.append(f"  Dagster steps {measure['step_seconds']:.1f} s: {stages}")
        if key == "full_rebuild":
            lines.extend(_spark_lines(result))
    ratio_values = dict(result["ratios"])
    if exponent is not None:
        ratio_values["cost_exponent"] = exponent[0]
    labels = {
        "rebuild_over_floor": "full rebuild throughput / H",
        "dagster_fixed_share": "Dagster fixed cost / full rebuild wall",
        "daily_compute_over_full": "daily run compute / full rebuild compute",
        "daily_wall_seconds": "daily run end to end (s)",
        "speedup_over_peer": "speed-up vs naive pandas peer (×)",
        "memory_over_peer": "peak memory / naive peer's",
        "dashboard_query_p95_ms": "dashboard p95, one query in DuckDB (ms)",
        "dashboard_interaction_p95_ms": "dashboard p95, one whole interaction (ms)",
        "simulator_over_pipeline_read": "simulator / pipeline read throughput",
        "cost_exponent": f"cost exponent ({exponent[1] if exponent else 0} sizes)",
    }
    lines.append(f"{'ratio':<{width}}{'value':>9}{'target':>24}{'':>8}")
    for key, label in labels.items():
        value = ratio_values.get(key)
        target, passes = TARGETS[key]
        verdict = "" if value is None else ("ok" if passes(value) else "MISSED")
        shown = "—" if value is None else (f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}")
        lines.append(f"{label:<{width}}{shown:>9}{target:>24}{verdict:>8}")
    if exponent is None:
        lines.append("cost exponent: needs results at two sizes or more (run another --events).")
    return lines


def readme_table(history: Sequence[dict]) -> str:
    """The README's table: the latest result of each size, with its date and commit."""
    rows = [
        "| events | full rebuild | events/s | peak memory | × H | Dagster fixed cost | daily run | "
        "daily / full compute | vs pandas peer | memory vs peer | Spark full rebuild, peak (JVM start) | "
        "dashboard p95 query / interaction | load average | date, commit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for result in latest_by_size(history):
        full = result["measures"]["full_rebuild"]
        ratio = result["ratios"]
        speedup, memory = ratio["speedup_over_peer"], ratio["memory_over_peer"]
        spark = spark_figures(result)
        spark_cell = (
            f"{spark['seconds']:.1f} s, {spark['peak_mib']:,.0f} MiB ({_number(spark['jvm_start_seconds'])} s)"
            if spark
            else spark_not_measured(result)
        )
        rows.append(
            f"| {result['events']:,} | {full['seconds']:.1f} s | {result['events'] / full['seconds']:,.0f} | "
            f"{full['peak_mib']:,.0f} MiB | {ratio['rebuild_over_floor']:.3g} | "
            f"{ratio['dagster_fixed_share']:.0%} | {ratio['daily_wall_seconds']:.1f} s | "
            f"{ratio['daily_compute_over_full']:.3f} | "
            f"{'—' if speedup is None else f'{speedup:.2f}×'} | {'—' if memory is None else f'{memory:.2f}'} | "
            f"{spark_cell} | {ratio['dashboard_query_p95_ms']:.0f} / {ratio['dashboard_interaction_p95_ms']:.0f} ms | "
            f"{_load(result['machine'])} | {result['date'][:10]}, {result['commit']} |"
        )
    exponent = cost_exponent(history)
    machine_info = history[-1]["machine"] if history else {}
    footer = (
        f"Machine: {machine_info.get('cpus', '?')} CPU, {machine_info.get('memory_gib', '?')} GiB, shared "
        "(the load average at the start says how busy it was). "
        + (
            f"Cost exponent of the full rebuild over {exponent[1]} sizes: {exponent[0]:.2f}."
            if exponent
            else "Cost exponent: needs two sizes."
        )
        + " Spark: the same full rebuild with REPERES_ENGINE=spark, in local mode on the same machine"
        f" and files, up to {SPARK_LIMIT / 1e6:g} M events (docs/spark.md)."
    )
    return "\n".join(rows) + "\n\n" + footer


def _load(machine_info: dict) -> str:
    """The 1-minute load average at the start of the run, and at its end when recorded."""
    start, end = machine_info.get("load_average_at_start", "?"), machine_info.get("load_average_at_end")
    return f"{start}" if end is None else f"{start} → {end}"


def replace_marked(text: str, table: str) -> str:
    """`text` with what lies between the bench markers replaced by `table` (markers kept)."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"no {README_START} … {README_END} section")
    return text[: start + len(README_START)] + "\n" + table + "\n" + text[end:]


def update_readme(results_file: Path = RESULTS_FILE, readme: Path = README_FILE) -> None:
    history = read_results(results_file)
    if not history:
        raise ValueError(f"no results in {results_file}: run `reperes bench --events N` first")
    readme.write_text(
        replace_marked(readme.read_text(encoding="utf-8"), readme_table(history)), encoding="utf-8"
    )
