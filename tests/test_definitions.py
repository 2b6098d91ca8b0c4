"""The Dagster definitions load, and the asset graph is the one the SQL files describe."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from pipelines.models import discover_models


def test_definitions_load_with_every_model_as_an_asset(isolated_environment):
    from pipelines.definitions import defs

    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    models = {model.name for model in discover_models()}
    assert models <= keys
    assert {"landing_files", "stg_events", "stg_roster", "published_release"} <= keys
    assert defs.resolve_job_def("refresh_all") is not None


def test_model_dependencies_come_from_the_sql():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    parents = {key.to_user_string() for key in graph.get(dg.AssetKey("homework_class_weekly")).parent_keys}
    assert parents == {"int_homework_assignments", "int_homework_submissions"}
    # A time-partitioned model also waits for the run's recompute window.
    parents = {key.to_user_string() for key in graph.get(dg.AssetKey("int_events")).parent_keys}
    assert parents == {"stg_events", "recompute_window"}


def test_publication_is_guarded_by_blocking_checks():
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    for mart in ("adoption_weekly", "service_usage_weekly", "homework_class_weekly"):
        assert checks[(mart, "cells_respect_minimum_group_size")].blocking
    assert checks[("stg_events", "staged_events_meet_contract")].blocking
    # The roster feeds every rate: blocking. The optional workshop log: a warning only.
    assert checks[("stg_roster", "staged_snapshot_meets_contract")].blocking
    assert not checks[("stg_workshops", "staged_snapshot_meets_contract")].blocking


def test_dagster_cli_validates_the_definitions(isolated_environment):
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_run_leaves_out_only_the_source_adapters_without_files(tmp_path):
    """An idle adapter costs a year of per-day materializations and loads nothing; a source that
    delivers keeps its asset, and every other asset of refresh_all stays in the run."""
    from pipelines.adapters import ADAPTER_ASSET_NAMES
    from pipelines.definitions import defs
    from pipelines.runner import refresh_selection

    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "2025-09-01.parquet").write_bytes(b"")
    (tmp_path / "xapi").mkdir()
    (tmp_path / "xapi" / "2025-09-01.jsonl").write_text("{}\n", encoding="utf-8")

    selected = {key.to_user_string() for key in refresh_selection(tmp_path)}

    every = {
        key.to_user_string() for key in defs.resolve_job_def("refresh_all").asset_layer.selected_asset_keys
    }
    assert every - selected == set(ADAPTER_ASSET_NAMES) - {"stg_events_xapi"}
    assert {"stg_events_xapi", "stg_events", "published_release"} <= selected
