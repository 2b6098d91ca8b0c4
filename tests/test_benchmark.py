"""`reperes bench`: its arithmetic on hand-made figures, the pandas peer on hand-made events, and
one tiny run of the whole benchmark (a smoke test: no timing is asserted anywhere here).

The tiny run is also where the peer earns its place in the table: on the same files, its three
marts must hold exactly the pipeline's exact (unsuppressed) figures, or comparing their speeds
would compare different work.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import benchmark
from pipelines.benchmark import (
    SPARK_LIMIT,
    Plan,
    cost_exponent,
    fit_exponent,
    format_table,
    plan_for,
    readme_table,
    replace_marked,
    run_naive_peer,
    spark_runtime,
)
from pipelines.engines import spark as spark_engine

# --- Arithmetic --------------------------------------------------------------------------------


def test_the_exponent_of_a_linear_cost_is_one():
    # Ten times the events, ten times the seconds.
    assert fit_exponent([(1e6, 10.0), (1e7, 100.0), (1e8, 1000.0)]) == pytest.approx(1.0)


def test_the_exponent_is_the_least_squares_slope_in_log_log():
    # log10 points (0, 0), (1, 1), (2, 3): mean (1, 4/3); slope = ((-1)(-4/3) + 0 + (1)(5/3)) / 2 = 1.5.
    # Natural or decimal logarithms give the same slope.
    assert fit_exponent([(1, 1), (10, 10), (100, 1000)]) == pytest.approx(1.5)
    # Quadratic: 1 → 1 s, 2 → 4 s, 4 → 16 s.
    assert fit_exponent([(1, 1), (2, 4), (4, 16)]) == pytest.approx(2.0)


def test_an_exponent_needs_two_sizes():
    with pytest.raises(ValueError, match="two different sizes"):
        fit_exponent([(1e6, 10.0), (1e6, 12.0)])


def _result(events: int, seconds: float, date: str, cpus: int = 2, spark: dict | None = None) -> dict:
    return {
        "events": events,
        "date": date,
        "commit": "abc1234",
        "machine": {"cpus": cpus, "memory_gib": 23.5, "load_average_at_start": 0.5},
        "measures": {"full_rebuild": {"seconds": seconds, "peak_mib": 1024.0}},
        "ratios": {
            "rebuild_over_floor": 0.01,
            "dagster_fixed_share": 0.25,
            "daily_wall_seconds": 20.0,
            "daily_compute_over_full": 0.1,
            "speedup_over_peer": 0.5,
            "memory_over_peer": 2.0,
            "dashboard_query_p95_ms": 12.3,
            "dashboard_interaction_p95_ms": 250.4,
        },
        "engines": {"duckdb": "measured", "spark": spark},
    }


def _spark(seconds: float = 312.46, jvm: float | None = 11.6) -> dict:
    """The results' "engines"/"spark" of a measured run, as spark_rebuild records it."""
    return {
        "name": "full rebuild through Dagster, Spark engine",
        "seconds": seconds,
        "peak_mib": 2345.4,
        "events": 1_000_000,
        "step_seconds": 290.0,
        "stages": {"ingestion": 40.0, "intermediate": 150.0, "marts": 80.0, "release": 20.0},
        "run_id": "r1",
        "master": "local[*]",
        "java": 17,
        "pyspark": "4.3.0",
        "jvm_start_seconds": jvm,
        "models_seconds": 200.0,
        "models_spark_seconds": 170.0,
        "models_load_seconds": 30.0,
        "models": {"marts.adoption_weekly": {"rows": 10, "spark_seconds": 5.0, "load_seconds": 1.0}},
        "over_duckdb_full_rebuild": 3.12,
    }


def test_the_cost_exponent_uses_the_latest_result_of_each_size_on_this_kind_of_machine():
    history = [
        _result(1_000_000, 50.0, "2026-12-01"),  # replaced by the later run at the same size
        _result(10_000_000, 900.0, "2026-12-01", cpus=8),  # another machine: left out
        _result(1_000_000, 10.0, "2026-12-02"),
        _result(10_000_000, 100.0, "2026-12-02"),
    ]
    exponent, sizes = cost_exponent(history, {"cpus": 2, "memory_gib": 23.5})
    assert (exponent, sizes) == (pytest.approx(1.0), 2)
    assert cost_exponent(history[:1], {"cpus": 2, "memory_gib": 23.5}) is None


def test_sizes_are_reached_by_adding_schools_or_below_a_year_by_shortening_it():
    assert plan_for(1_000_000) == Plan(1_000_000, schools=1, weeks=36)
    assert plan_for(10_000_000) == Plan(10_000_000, schools=10, weeks=36)
    assert plan_for(300_000_000) == Plan(300_000_000, schools=300, weeks=36)
    assert plan_for(50_000) == Plan(50_000, schools=1, weeks=2)  # 36 × 0.05 = 1.8 → 2
    # 2025-09-01 is a Monday: two weeks end on Sunday the 14th; the daily run's day is Monday the 15th.
    assert (plan_for(50_000).last_day.isoformat(), plan_for(50_000).new_day.isoformat()) == (
        "2025-09-14",
        "2025-09-15",
    )


def test_the_readme_table_shows_the_latest_result_of_each_size():
    history = [_result(1_000_000, 100.0, "2026-12-03T19:00:00+00:00")]
    rows = readme_table(history).splitlines()
    assert rows[2] == (
        "| 1,000,000 | 100.0 s | 10,000 | 1,024 MiB | 0.01 | 25% | 20.0 s | 0.100 | 0.50× | 2.00 | "
        "not measured | 12 / 250 ms | 0.5 | 2026-12-03, abc1234 |"
    )
    assert "Cost exponent: needs two sizes." in rows[-1]


def test_the_readme_table_has_a_spark_column_measured_up_to_the_limit():
    above = {"skipped": "above_limit", "limit": SPARK_LIMIT, "message": "not measured above 10 M events"}
    history = [
        _result(1_000_000, 100.0, "2026-12-03T19:00:00+00:00", spark=_spark()),
        _result(30_000_000, 900.0, "2026-12-03T20:00:00+00:00", spark=above),
        _result(5_000_000, 400.0, "2026-12-03T21:00:00+00:00", spark={"skipped": "no_java", "message": "…"}),
        _result(
            2_000_000, 200.0, "2026-12-03T22:00:00+00:00", spark={"skipped": "not_asked", "message": "…"}
        ),
    ]
    rows = readme_table(history).splitlines()
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert len(rows[1].strip("|").split("|")) == len(header)
    column = header.index("Spark full rebuild, peak (JVM start)")
    cells = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:6]]
    assert [row[column] for row in cells] == [
        "312.5 s, 2,345 MiB (12 s)",
        "not measured (--no-spark)",
        "not measured (no Java)",
        "not measured above 10 M",
    ]
    assert all(len(row) == len(header) for row in cells)


def test_the_printed_table_puts_spark_beside_the_full_rebuild_with_its_split():
    measures = {
        "full_rebuild": {
            "name": "full rebuild through Dagster",
            "seconds": 100.0,
            "peak_mib": 1024.0,
            "events": 1_000_000,
            "step_seconds": 80.0,
            "stages": {"ingestion": 30.0, "marts": 50.0},
        },
        "daily_run": {
            "name": "daily run (2025-09-15)",
            "seconds": 20.0,
            "peak_mib": 512.0,
            "events": 30_000,
            "step_seconds": 8.0,
            "stages": {"ingestion": 8.0},
        },
    }
    result = _result(1_000_000, 100.0, "2026-12-03T19:00:00+00:00", spark=_spark()) | {
        "schools": 1,
        "weeks": 36,
        "peak_mib_whole_benchmark": 3000,
        "measures": measures,
        "ratios": {},
    }
    result["machine"] |= {"duckdb": "1.4", "load_average_at_end": 0.7}
    lines = format_table(result)
    header = next(line for line in lines if line.startswith("stage"))
    assert header.endswith("spark wall s spark MiB")
    full = next(line for line in lines if line.startswith("full rebuild"))
    assert full.endswith("312.46     2,345")
    daily = next(line for line in lines if line.startswith("daily run"))
    assert daily.endswith("—")
    split = next(line for line in lines if line.startswith("  Spark engine"))
    assert "3.12 × the DuckDB rebuild's wall" in split
    assert "JVM start 11.6 s; 1 models 200.0 s (on Spark 170.0, loading into DuckDB 30.0)" in split
    assert (
        "  Spark's Dagster steps 290.0 s: ingestion 40.0, intermediate 150.0, marts 80.0, release 20.0"
        in lines
    )

    result["engines"]["spark"] = {
        "skipped": "above_limit",
        "limit": SPARK_LIMIT,
        "message": "not measured above 10 M events (SPARK_LIMIT)",
    }
    lines = format_table(result)
    assert next(line for line in lines if line.startswith("full rebuild")).endswith("not measured")
    assert "  Spark engine: not measured above 10 M events (SPARK_LIMIT)" in lines
    result["engines"]["spark"] = None  # a result from before the Spark column
    assert "  Spark engine: not measured" in format_table(result)


def test_spark_is_measured_up_to_its_limit_and_skipped_without_java(monkeypatch: pytest.MonkeyPatch):
    assert spark_runtime(plan_for(50_000), asked=False)["skipped"] == "not_asked"
    above = spark_runtime(Plan(SPARK_LIMIT + 1, schools=11, weeks=36))
    assert above["skipped"] == "above_limit"
    assert above["message"] == "not measured above 10 M events (SPARK_LIMIT)"

    def no_java() -> int:
        raise spark_engine.SparkUnavailable("REPERES_ENGINE=spark needs a Java runtime, 17 or later")

    monkeypatch.setattr(spark_engine, "check_java", no_java)
    skipped = spark_runtime(plan_for(SPARK_LIMIT))
    assert skipped["skipped"] == "no_java"
    assert "needs a Java runtime" in skipped["message"]


def test_only_the_marked_section_of_the_readme_is_rewritten():
    text = "intro\n<!-- bench:start -->\nold table\n<!-- bench:end -->\noutro\n"
    assert replace_marked(text, "new table") == (
        "intro\n<!-- bench:start -->\nnew table\n<!-- bench:end -->\noutro\n"
    )
    with pytest.raises(ValueError, match="no <!-- bench:start -->"):
        replace_marked("no markers here", "new table")


# --- The pandas peer on hand-made events ---------------------------------------------------------

ROSTER = """user_id,role,school_uai,class_id,discipline,start_date,end_date,child_id
P1,eleve,0920001B,6A,,,,
P2,eleve,0920001B,6A,,,,
T1,enseignant,0920001B,6A,MATHEMATIQUES,,,
"""

# (file day, event_id, occurred_at UTC, user, role, service, action, class, object, due_at UTC)
EVENTS = [
    ("2025-09-01", "e1", "2025-09-01 08:10:00", "P1", "eleve", "portail", "login", None, None, None),
    ("2025-09-01", "e2", "2025-09-01 12:00:00", "T1", "enseignant", "devoirs", "create", "6A", "H1", "2025-09-03 06:00:00"),
    ("2025-09-01", "e3", "2025-09-01 13:00:00", "P2", "ELEVE?", "portail", "login", None, None, None),
    ("2025-09-01", "e4", "2025-09-01 14:00:00", "X9", "eleve", "messagerie", "read", None, None, None),
    ("2025-09-02", "e1", "2025-09-01 08:10:00", "P1", "eleve", "portail", "login", None, None, None),
    ("2025-09-02", "e5", "2025-09-02 07:30:00", "P1", "eleve", "devoirs", "submit", None, "H1", None),
    ("2025-09-04", "e6", "2025-09-04 09:00:00", "T1", "enseignant", "portail", "login", None, None, None),
]  # fmt: skip


def _write_hand_made_landing(root: Path) -> Path:
    landing = root / "landing"
    (landing / "events").mkdir(parents=True)
    (landing / "roster").mkdir()
    (landing / "roster" / "roster.csv").write_text(ROSTER, encoding="utf-8")
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        for day in sorted({row[0] for row in EVENTS}):
            values = ", ".join(
                "(" + ", ".join("null" if value is None else f"'{value}'" for value in row[1:]) + ")"
                for row in EVENTS
                if row[0] == day
            )
            connection.execute(
                f"""
                copy (
                    select event_id, cast(occurred_at as timestamptz) as occurred_at, user_id, role,
                        '0920001B' as school_uai, service, action, class_id,
                        case when class_id is not null then 'MATHEMATIQUES' end as discipline,
                        object_id, cast(due_at as timestamptz) as due_at,
                    from (values {values}) as t(event_id, occurred_at, user_id, role, service, action,
                        class_id, object_id, due_at)
                ) to '{landing / "events" / f"{day}.parquet"}' (format parquet)
                """
            )
    return landing


def _read(out: Path, table: str, columns: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.execute(
            f"select {columns} from read_parquet('{out / table}.parquet') order by all"
        ).fetchall()


def test_the_peer_counts_hand_made_events_as_the_marts_define_them(tmp_path: Path):
    landing = _write_hand_made_landing(tmp_path)
    run_naive_peer(landing, tmp_path / "peer.log", lambda _line: None, out=tmp_path / "peer")
    week = "2025-09-01"
    # P1 active (e1, delivered twice, counts once); P2's only event has a role the pipeline
    # quarantines; X9 is not in the roster; T1 is active on Monday and Thursday.
    assert _read(
        tmp_path / "peer", "adoption_weekly", "role, strftime(week_start, '%Y-%m-%d'), enrolled, active_users"
    ) == [
        ("eleve", week, 2, 1),
        ("enseignant", week, 1, 1),
    ]
    used = _read(tmp_path / "peer", "service_usage_weekly", "role, service, users, enrolled")
    assert len(used) == 2 * 9  # every service of the contract, used or not, for each role
    assert [row for row in used if row[2] > 0] == [
        ("eleve", "devoirs", 1, 2),
        ("eleve", "portail", 1, 2),
        ("enseignant", "devoirs", 1, 1),
        ("enseignant", "portail", 1, 1),
    ]
    # H1 is due Wednesday 3 at 08:00 Paris; P1 handed it in on Tuesday (on time); P2 never did,
    # and the data reach Thursday, past the deadline: missing.
    assert _read(
        tmp_path / "peer",
        "homework_class_weekly",
        "class_id, strftime(week_start, '%Y-%m-%d'), homework_count, pupils, expected, on_time, late, missing, pending",
    ) == [("6A", week, 1, 2, 2, 1, 0, 1, 0)]


# --- One tiny run of the whole benchmark ---------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    workdir = tmp_path_factory.mktemp("bench")
    results = workdir.parent / f"{workdir.name}-results.json"
    lines: list[str] = []
    result = benchmark.run_benchmark(
        50_000, workdir / "run", results_file=results, dashboard_repeat=1, spark=False, say=lines.append
    )
    return workdir / "run", results, {"result": result, "lines": lines}


@pytest.mark.slow
def test_a_tiny_benchmark_runs_every_stage_and_appends_its_result(tiny_run):
    workdir, results, outcome = tiny_run
    result, lines = outcome["result"], outcome["lines"]
    assert json.loads(results.read_text(encoding="utf-8")) == [result]
    assert result["schools"] == 1 and result["weeks"] == 2
    assert [path.name for path in (workdir / "incremental" / "events").iterdir()] == ["2025-09-15.parquet"]
    assert max(path.name for path in (workdir / "landing" / "events").iterdir()) == "2025-09-14.parquet"
    assert all(result["measures"][stage] for stage in benchmark.STAGES)
    assert result["engines"] == {
        "duckdb": "measured",
        "spark": {"skipped": "not_asked", "message": "not asked for (--no-spark)"},
    }
    assert "  Spark engine: not asked for (--no-spark)" in lines
    # Every ratio has a value (no timing asserted: only that it was measured).
    assert all(isinstance(value, float) and math.isfinite(value) for value in result["ratios"].values())
    # The stages announce themselves, then the one table.
    assert [line[:5] for line in lines if line.startswith("[")] == [f"[{n}/7]" for n in range(1, 8)]
    table = "\n".join(lines)
    for label in ("full rebuild through Dagster", "daily run (2025-09-15)", "naive pandas peer", "floor H"):
        assert label in table


@pytest.mark.slow
def test_the_pandas_peer_finds_the_pipelines_exact_figures(tiny_run, tmp_path: Path):
    """On the same files (the landing folder and the new day), the peer's three marts equal the
    warehouse's exact marts, cell by cell, after the full rebuild and the daily run."""
    workdir, _, _ = tiny_run
    both = tmp_path / "landing"
    shutil.copytree(workdir / "landing", both)
    for path in (workdir / "incremental" / "events").iterdir():
        shutil.copy(path, both / "events" / path.name)
    run_naive_peer(both, tmp_path / "peer.log", lambda _line: None, out=tmp_path / "peer")

    compared = {
        "adoption_weekly": ("school_uai, role, week_start", "enrolled, active_users"),
        "service_usage_weekly": ("school_uai, role, service, week_start", "enrolled, users"),
        "homework_class_weekly": (
            "school_uai, class_id, week_start",
            "homework_count, pupils, expected, on_time, late, missing, pending",
        ),
    }
    with duckdb.connect(str(workdir / "data" / "warehouse.duckdb"), read_only=True) as warehouse:
        for table, (keys, counts) in compared.items():
            pipeline = warehouse.execute(
                f"select {keys}, {counts} from marts.{table} order by all"
            ).fetchall()
            peer = warehouse.execute(
                f"select {keys.replace('week_start', 'cast(week_start as date)')}, {counts} "
                f"from read_parquet('{tmp_path / 'peer' / table}.parquet') order by all"
            ).fetchall()
            assert len(pipeline) > 0, table
            assert peer == pipeline, table
