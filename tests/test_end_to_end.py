"""simulate → run → published tables → dashboard in Chromium, as `make demo` does it, through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.dashboards.serving import CHROMIUM_ARGS, chromium_executable, serve_dashboard

pytestmark = pytest.mark.slow

PUBLISHED_TABLES = {
    "adoption_weekly",
    "adoption_school_weekly",
    "adoption_department_weekly",
    "service_usage_weekly",
    "homework_class_weekly",
    "data_quality_weekly",
    "release_info",
}


def reperes(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("e2e")
    simulated = reperes(
        "simulate", "--out", str(root / "landing"), "--schools", "2", "--weeks", "3", "--seed", "7"
    )
    assert simulated.returncode == 0, simulated.stderr
    key_file = root / "secrets" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text("9c" * 32)
    import os

    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPERES_") and name != "DAGSTER_HOME"
    }
    ran = reperes(
        "run",
        "--landing",
        str(root / "landing"),
        "--data-dir",
        str(root / "data"),
        "--key-file",
        str(key_file),
        "--keep-landing",  # the tests below read the simulated roster
        env=environment,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (root / "run_output.txt").write_text(ran.stdout)
    return root


def test_run_prints_a_balanced_summary(demo: Path):
    output = (demo / "run_output.txt").read_text()
    figures = {}
    for label in ("rows read", "loaded (distinct)", "quarantined", "duplicates", "cells published"):
        line = next(line for line in output.splitlines() if line.strip().startswith(label))
        figures[label] = int(line.split()[-1].replace(",", ""))
    assert figures["rows read"] > 10_000
    assert (
        figures["rows read"] == figures["loaded (distinct)"] + figures["quarantined"] + figures["duplicates"]
    )
    assert figures["duplicates"] > 0  # the simulator re-delivers a few events
    assert figures["cells published"] > 0


def test_published_tables_hold_plausible_indicators(demo: Path):
    with duckdb.connect(str(demo / "data" / "published.duckdb"), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("show tables").fetchall()}
        assert tables == PUBLISHED_TABLES
        schools = connection.execute("select count(distinct school_uai) from adoption_weekly").fetchone()[0]
        assert schools == 2
        roles = {row[0] for row in connection.execute("select distinct role from adoption_weekly").fetchall()}
        assert {"eleve", "parent", "enseignant"} <= roles
        low, high = connection.execute(
            "select min(adoption_rate), max(adoption_rate) from adoption_weekly where not is_suppressed"
        ).fetchone()
        assert 0 <= low <= high <= 1
        statuses = connection.execute(
            "select sum(on_time), sum(late), sum(missing) from homework_class_weekly where not is_suppressed"
        ).fetchone()
        assert all(count > 0 for count in statuses)
        balance = connection.execute(
            "select count(*) from homework_class_weekly "
            "where not is_suppressed and on_time + late + missing + pending <> expected"
        ).fetchone()[0]
        assert balance == 0


def test_warehouse_and_dagster_storage_hold_no_raw_user_id(demo: Path):
    roster = (demo / "landing" / "roster" / "roster.csv").read_text().splitlines()[1:]
    some_user_ids = {line.split(",")[0] for line in roster[:50]}
    for path in (demo / "data").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            leaked = [user_id for user_id in some_user_ids if user_id.encode() in content]
            assert not leaked, f"{path} contains raw user ids {leaked[:3]}"


def test_runs_are_recorded_in_the_dagster_instance(demo: Path):
    import dagster as dg

    with dg.DagsterInstance.from_config(str(demo / "data" / "dagster")) as instance:
        runs = instance.get_runs()
    assert len(runs) == 1 and runs[0].job_name == "refresh_all"
    assert runs[0].status == dg.DagsterRunStatus.SUCCESS


@pytest.mark.browser
def test_dashboard_pages_draw_charts_from_the_pipeline_output(demo: Path):
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with serve_dashboard(demo / "data" / "published.duckdb") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        for path, heading in (
            ("direction", "Direction"),
            ("conseil-de-classe", "Conseil de classe"),
            ("referent", "Référent ENT"),
        ):
            page.goto(f"{base_url}/{path}")
            page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
            page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
            assert (
                page.locator(
                    ".js-plotly-plot .scatterlayer, .js-plotly-plot .barlayer, .js-plotly-plot .heatmaplayer"
                ).count()
                > 0
            )
        browser.close()


def test_run_without_key_stops_with_a_clear_message(tmp_path: Path):
    import os

    environment = {name: value for name, value in os.environ.items() if not name.startswith("REPERES_")}
    result = reperes("run", "--landing", str(tmp_path), "--data-dir", str(tmp_path / "data"), env=environment)
    assert result.returncode == 2
    assert "No pseudonymization key" in result.stderr
    assert "Traceback" not in result.stderr
