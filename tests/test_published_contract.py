"""The output contract: generated from the catalogs, and its suite catches impossible figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data_contracts.published_contract import (
    CONTRACT_PATH,
    REGENERATE_COMMAND,
    render_contract,
    validate_published,
)
from pipelines.privacy.catalog import load_catalog


def test_contract_file_is_up_to_date():
    assert CONTRACT_PATH.read_text(encoding="utf-8") == render_contract(), f"run `{REGENERATE_COMMAND}`"


def test_contract_lists_every_published_table_with_its_k():
    text = render_contract()
    catalog = load_catalog()
    for table in (*catalog.tables, *catalog.derived_tables):
        assert f"- name: {table}\n" in text
    assert "au moins k = 5 personnes" in text and "au moins k = 10 personnes" in text


def adoption_rows(**changes) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "school_uai": ["0920001B", "0920001B"],
            "role": ["eleve", "parent"],
            "week_start": [dt.date(2025, 9, 1)] * 2,
            "school_year": ["2025-2026"] * 2,
            "school_week_number": [1, 1],
            "enrolled": [40, None],
            "active_users": [30, None],
            "adoption_rate": [0.75, None],
            "adoption_rate_band": [None, None],
            "is_suppressed": [False, True],
        }
    )
    for column, (row, value) in changes.items():
        rows.loc[row, column] = value
    return rows


def test_a_valid_table_passes_and_a_suppressed_row_may_be_empty():
    outcome = validate_published({"adoption_weekly": adoption_rows()})["adoption_weekly"]
    assert outcome.success, outcome.failures


def test_impossible_figures_fail_with_the_column_named():
    bad = adoption_rows(adoption_rate=(0, 1.5), school_uai=(1, "0920001"), active_users=(0, -3))
    bad = pd.concat([bad, bad.iloc[[0]]])  # the same key twice
    failures = validate_published({"adoption_weekly": bad})["adoption_weekly"].failures
    assert any("adoption_rate" in failure for failure in failures)
    assert any("school_uai" in failure and "regex" in failure for failure in failures)
    assert any("active_users" in failure for failure in failures)
    assert any("compound_columns_to_be_unique" in failure for failure in failures)
