"""simulate → run → published tables → dashboard in Chromium, as `make demo` does it, through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.privacy.catalog import load_catalog
from tests.dashboards.serving import CHROMIUM_ARGS, chromium_executable, log_in, serve_dashboard

pytestmark = pytest.mark.slow

# Every declared mart and derived table, and the release's own description.
CATALOG = load_catalog()
PUBLISHED_TABLES = {*CATALOG.tables, *CATALOG.derived_tables, "release_info"}


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
        "simulate", "--out", str(root / "landing"), "--schools", "5", "--weeks", "5", "--seed", "7"
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
        assert schools == 5
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


# Pairs of published tables that measure the same thing, as (what is compared, mismatches):
# both queries join published rows where both figures are shown (hidden cells are NULL).
CONSISTENCY_CHECKS = {
    "a service's population is its role's": (
        "select count(*) from service_usage_weekly as s join adoption_weekly as a "
        "using (school_uai, role, week_start) where s.enrolled is not null and a.enrolled is not null",
        "select count(*) from service_usage_weekly as s join adoption_weekly as a "
        "using (school_uai, role, week_start) where s.enrolled <> a.enrolled or s.users > a.active_users",
    ),
    "roles make the school (a person may hold two roles)": (
        "select count(*) from adoption_school_weekly where active_users is not null",
        """
        select count(*) from adoption_school_weekly as school
        join (
            select school_uai, week_start, max(active_users) as most, sum(active_users) as total,
                count(*) filter (where active_users is null) as hidden
            from adoption_weekly group by all
        ) as roles using (school_uai, week_start)
        where roles.hidden = 0 and school.active_users not between roles.most and roles.total
        """,
    ),
    "homework due per day adds up to the week": (
        "select count(*) from homework_class_weekly where homework_count is not null",
        """
        select count(*) from homework_class_weekly as weekly
        join (
            select school_uai, class_id, week_start, sum(homework_due) as due,
                count(*) filter (where homework_due is null) as hidden
            from homework_load_class_daily group by all
        ) as daily using (school_uai, class_id, week_start)
        where daily.hidden = 0 and weekly.homework_count is not null and weekly.homework_count <> daily.due
        """,
    ),
    "trends and positions repeat the published rate": (
        "select count(*) from adoption_trends where adoption_rate is not null",
        """
        select count(*) from adoption_weekly as a
        left join adoption_trends as t using (school_uai, role, week_start)
        left join adoption_position as p using (school_uai, role, week_start)
        where t.adoption_rate is distinct from a.adoption_rate and t.week_start is not null
            or p.adoption_rate is distinct from a.adoption_rate and p.week_start is not null
        """,
    ),
    "the first month holds its first week": (
        "select count(*) from adoption_first_month where enrolled is not null",
        """
        select count(*) from adoption_first_month as f
        join adoption_weekly as a on f.school_uai = a.school_uai and f.role = a.role and f.start_week = a.week_start
        where f.enrolled < a.enrolled or f.active_once < a.active_users
        """,
    ),
    "a term's regular weeks are its weeks with entries": (
        "select count(*) from cdt_class_term where weeks_with_entries is not null",
        """
        select count(*) from cdt_class_term as term
        join (
            select school_uai, class_id,
                case when month(week_start + 3) >= 9 then 'T1' when month(week_start + 3) <= 3 then 'T2' else 'T3' end
                    as term,
                count(*) filter (where is_school_week and entries > 0) as with_entries,
                count(*) filter (where is_school_week) as school_weeks,
                count(*) filter (where entries is null) as hidden
            from cdt_class_weekly group by all
        ) as weekly using (school_uai, class_id, term)
        where weekly.hidden = 0 and term.weeks_with_entries is not null
            and (term.weeks_with_entries <> weekly.with_entries or term.school_weeks <> weekly.school_weeks)
        """,
    ),
    "training needs count the teachers adoption counts": (
        "select count(*) from training_needs where teachers is not null",
        """
        select count(*) from training_needs as t
        join adoption_weekly as a using (school_uai, role, week_start)
        where a.enrolled is not null and (t.teachers <> a.enrolled or t.teachers_using > t.teachers)
        """,
    ),
    "parents reached are pupils' parents": (
        "select count(*) from parent_reach_monthly where pupils_with_parent_active is not null",
        "select count(*) from parent_reach_monthly where pupils_with_parent_active > pupils_with_parent "
        "or pupils_with_parent > pupils",
    ),
}


@pytest.mark.parametrize("check", CONSISTENCY_CHECKS)
def test_published_tables_agree_with_each_other(demo: Path, check: str):
    compared_sql, mismatches_sql = CONSISTENCY_CHECKS[check]
    with duckdb.connect(str(demo / "data" / "published.duckdb"), read_only=True) as connection:
        compared = connection.execute(compared_sql).fetchone()[0]
        mismatches = connection.execute(mismatches_sql).fetchone()[0]
    assert compared > 0, f"{check}: nothing published to compare"
    assert mismatches == 0, f"{check}: {mismatches} rows disagree"


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
def test_dashboard_pages_draw_charts_from_the_pipeline_output(demo: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    from dashboards import access

    published = demo / "data" / "published.duckdb"
    with duckdb.connect(str(published), read_only=True) as connection:
        (first_school,) = connection.execute("select min(school_uai) from adoption_weekly").fetchone()
    password = access.generate_password()
    accounts_file = tmp_path / "accounts.toml"
    access.write_accounts(
        accounts_file, [access.new_account("direction", access.DIRECTION, [first_school], password=password)]
    )
    executable = chromium_executable()
    with serve_dashboard(published, accounts_file) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        for path, heading in (
            ("direction", "Direction"),
            ("conseil-de-classe", "Conseil de classe"),
            ("referent", "Référent ENT"),
        ):
            page.goto(f"{base_url}/{path}")
            log_in(page, "direction", password)  # each address opens a new, signed-out session
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
