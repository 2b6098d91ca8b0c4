"""Late-arriving days rebuild the weeks they touch, and give the same tables as a full rebuild."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.incremental import whole_weeks_and_months
from pipelines.models import discover_models

pytestmark = pytest.mark.slow

KEY = "5e" * 32
LATE_DAY = "2025-09-17"  # a Wednesday of the third week, delivered after the rest
NEW_DAYS = ("2025-10-10", "2025-10-11", "2025-10-12")  # the last Friday to Sunday


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # One Wednesday in September: its ISO week (Mon 15 – Sun 21) and its month.
        (date(2025, 9, 17), date(2025, 9, 18), (date(2025, 9, 1), date(2025, 10, 1))),
        # A week across two months (Mon 29 Sep – Sun 5 Oct): both months, whole.
        (date(2025, 10, 1), date(2025, 10, 2), (date(2025, 9, 29), date(2025, 11, 1))),
        # The last day of a month that is a Sunday: the window ends on the next Monday.
        (date(2025, 8, 31), date(2025, 9, 1), (date(2025, 8, 1), date(2025, 9, 1))),
        # New Year's week, Monday 29 December 2025 to Sunday 4 January 2026.
        (date(2026, 1, 2), date(2026, 1, 3), (date(2025, 12, 29), date(2026, 2, 1))),
    ],
)
def test_a_window_covers_whole_weeks_and_whole_months(start, end, expected):
    assert whole_weeks_and_months(start, end) == expected


def test_the_time_partitioned_models_are_the_ones_declared():
    incremental = {
        model.name: model.incremental_column for model in discover_models() if model.incremental_column
    }
    assert incremental == {
        "int_events": "occurred_on",
        "int_user_service_days": "occurred_on",
        "int_enrolled_user_weeks": "week_start",
        "int_enrolled_active_user_weeks": "week_start",
        "int_class_weeks": "week_start",
        "int_class_teacher_weeks": "week_start",
        "adoption_weekly": "week_start",
        "adoption_school_weekly": "week_start",
        "adoption_department_weekly": "week_start",
        "service_usage_weekly": "week_start",
        "data_quality_weekly": "week_start",
        "cdt_class_weekly": "week_start",
        "parent_reach_monthly": "month_start",
    }
    for model in discover_models():
        if model.incremental_column:
            assert "getvariable('recompute_start')" in model.sql, model.name


def reperes(*arguments: str) -> subprocess.CompletedProcess:
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def run(landing: Path, data_dir: Path, key_file: Path) -> str:
    return reperes(
        "run", "--landing", str(landing), "--data-dir", str(data_dir), "--key-file", str(key_file)
    ).stdout


def tables(path: Path, schemas: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every table of `schemas`, its rows sorted: row order is not part of a table."""
    with duckdb.connect(str(path), read_only=True) as connection:
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {schemas!r} and table_name not like 'build_%' "
            "and table_name <> 'recompute_window' order by 1"
        ).fetchall()
        return {
            name: sorted(connection.execute(f"select * from {name}").fetchall(), key=repr)
            for (name,) in names
        }


def window_of(data_dir: Path) -> tuple:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(
            "select mode, start_day, end_day from intermediate.recompute_window"
        ).fetchone()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("incremental")
    key_file = root / "pseudonym.key"
    key_file.write_text(KEY)
    simulated = root / "simulated"
    reperes(
        "simulate",
        "--out",
        str(simulated),
        "--schools",
        "2",
        "--weeks",
        "6",
        "--seed",
        "3",
        "--start",
        "2025-09-01",
    )

    # In one go: every file, a full build.
    everything = root / "everything"
    shutil.copytree(simulated, everything)
    run(everything, root / "full", key_file)

    # Day by day: the first run misses a day in the middle and the last three days...
    daily = root / "daily"
    shutil.copytree(simulated, daily)
    held_back = root / "held_back"
    held_back.mkdir()
    for day in (LATE_DAY, *NEW_DAYS):
        shutil.move(daily / "events" / f"{day}.parquet", held_back)
    run(daily, root / "incremental", key_file)
    first_window = window_of(root / "incremental")
    # ...which arrive together the next day (the first run archived what it loaded).
    for path in held_back.iterdir():
        shutil.move(path, daily / "events")
    run(daily, root / "incremental", key_file)
    second_window = window_of(root / "incremental")
    # The last day delivered again, unchanged: only its week and month are rebuilt.
    shutil.copy(simulated / "events" / "2025-10-12.parquet", daily / "events")
    run(daily, root / "incremental", key_file)
    third_window = window_of(root / "incremental")
    return {
        "root": root,
        "windows": (first_window, second_window, third_window),
    }


def test_the_first_run_is_a_full_build_and_the_late_days_rebuild_only_their_weeks_and_months(runs):
    first, second, third = runs["windows"]
    assert first[0] == "full"
    # 17 September (week of 15 September, month of September) and 10–12 October (week of
    # 6 October, month of October): one window from 1 September to 31 October.
    assert second == ("incremental", date(2025, 9, 1), date(2025, 11, 1))
    # 12 October again: the week of 6 October and the month of October.
    assert third == ("incremental", date(2025, 10, 1), date(2025, 11, 1))


def test_late_days_give_the_same_warehouse_and_release_as_a_full_build(runs):
    root = runs["root"]
    full = tables(root / "full" / "warehouse.duckdb", ("intermediate", "marts"))
    incremental = tables(root / "incremental" / "warehouse.duckdb", ("intermediate", "marts"))
    assert full.keys() == incremental.keys()
    for name in full:
        assert incremental[name] == full[name], name
    full_release = tables(root / "full" / "published.duckdb", ("main",))
    incremental_release = tables(root / "incremental" / "published.duckdb", ("main",))
    differing = [
        name
        for name in full_release
        if name != "main.release_info" and incremental_release[name] != full_release[name]
    ]
    assert not differing
