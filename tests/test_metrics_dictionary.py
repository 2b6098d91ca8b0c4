"""The metrics dictionary (models/marts/_metrics.yml) and the marts describe each other exactly.

Every column a mart computes, and every column the release adds to it, has a French label and a
definition; every entry of the dictionary describes a column that exists. The readers of the
dictionary (published file comments, dashboard titles, docs/indicators.md) are checked here too.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dashboards import labels
from pipelines import metrics
from pipelines.privacy.catalog import IS_SUPPRESSED, Thresholds, load_catalog
from pipelines.publication import prepare_release, publish
from pipelines.settings import REPO_ROOT
from tests.model_harness import mart_columns
from tests.test_suppression import MARTS, WEEKS, Department, _hour, warehouse_with_marts

DOCS_PAGE = REPO_ROOT / "docs" / "indicators.md"


@pytest.fixture(scope="module")
def columns_by_mart() -> dict[str, list[str]]:
    """Each mart's columns as its SQL computes them (all models built on empty inputs)."""
    return mart_columns()


def test_every_mart_and_column_is_described(columns_by_mart):
    dictionary = metrics.load_dictionary()
    undescribed_marts = sorted(set(columns_by_mart) - set(dictionary.marts))
    undescribed = [
        f"{mart}.{column}"
        for mart, columns in columns_by_mart.items()
        for column in columns
        if metrics.find_indicator(mart, column) is None
    ]
    assert not undescribed_marts and not undescribed, (
        f"Describe these in models/marts/_metrics.yml: marts {undescribed_marts}, columns {undescribed}"
    )


def test_every_dictionary_entry_describes_a_column(columns_by_mart):
    dictionary = metrics.load_dictionary()
    computed = {column for columns in columns_by_mart.values() for column in columns}
    unused = sorted(set(dictionary.columns) - computed)
    no_such_mart = sorted(set(dictionary.marts) - set(columns_by_mart))
    stray_overrides = sorted(
        f"{mart}.{column}"
        for mart, entry in dictionary.marts.items()
        for column in entry.overrides
        if column not in columns_by_mart.get(mart, ())
    )
    assert not unused and not no_such_mart and not stray_overrides, (
        f"models/marts/_metrics.yml describes what no mart has: columns {unused}, "
        f"marts {no_such_mart}, overrides {stray_overrides}"
    )


def test_every_published_column_has_a_label(columns_by_mart):
    """Mart columns, a band per rate declared in _privacy.yml, and is_suppressed."""
    catalog = load_catalog()
    unlabelled, mismatched = [], []
    for mart, columns in columns_by_mart.items():
        if mart not in catalog.tables:
            continue  # the release refuses it anyway (tests/test_staff_grain.py, publication)
        bands = [rate.band_column for rate in catalog.tables[mart].rates]
        published = [*columns, *bands, IS_SUPPRESSED]
        # The dictionary lists a mart's columns from _privacy.yml: the same set as the SQL's.
        if set(metrics.published_columns(mart)) != set(published):
            mismatched.append(mart)
        for column in published:
            item = metrics.find_indicator(mart, column)
            if item is None or not (item.label and item.definition and item.unit in metrics.UNITS):
                unlabelled.append(f"{mart}.{column}")
    assert not unlabelled and not mismatched, (
        f"published columns without a label: {unlabelled}; "
        f"marts whose _privacy.yml columns differ from their SQL's: {mismatched}"
    )


def test_band_and_suppression_columns_are_described_from_the_rate():
    band = metrics.indicator("homework_class_weekly", "on_time_rate_band")
    assert band.label == "Tranche de taux de rendu à l'heure"
    assert "« Taux de rendu à l'heure »" in band.definition
    assert band.grain == ("school_uai", "class_id", "week_start") and band.audience == "school"
    assert metrics.indicator("data_quality_weekly", IS_SUPPRESSED).unit == "oui/non"


def test_an_override_replaces_the_shared_definition_in_its_mart_only():
    shared = metrics.indicator("adoption_weekly", "enrolled")
    across_schools = metrics.indicator("adoption_department_weekly", "enrolled")
    assert across_schools.label == shared.label == "Inscrits"
    assert across_schools.definition != shared.definition
    assert "département" in across_schools.definition
    assert across_schools.audience == "department"


def test_a_missing_entry_is_a_clear_error():
    with pytest.raises(ValueError, match="adoption_weekly.no_such_column"):
        metrics.indicator("adoption_weekly", "no_such_column")
    with pytest.raises(ValueError, match="no_such_mart"):
        metrics.indicator("no_such_mart", "enrolled")
    assert metrics.find_indicator("adoption_weekly", "no_such_column") is None


def test_a_bad_unit_or_an_unknown_mart_is_refused_when_the_dictionary_loads():
    entry = {"label": "Inscrits", "definition": "Des personnes.", "unit": "personne"}
    with pytest.raises(ValueError, match="unit 'personne'"):
        metrics.parse_dictionary({"columns": {"enrolled": entry}, "marts": {}}, load_catalog())
    title = {"label": "Titre", "definition": "Une phrase."}
    with pytest.raises(ValueError, match="not declared in _privacy.yml"):
        metrics.parse_dictionary({"columns": {}, "marts": {"no_such_mart": title}}, load_catalog())


def test_docs_page_is_up_to_date():
    assert DOCS_PAGE.read_text(encoding="utf-8") == metrics.render_markdown(), (
        f"docs/indicators.md is out of date: run `{metrics.REGENERATE_COMMAND}`"
    )


def test_dashboard_titles_and_rates_come_from_the_dictionary():
    assert labels.COLUMN_TITLES["adoption_rate"] == "Taux d'adoption"
    assert (
        labels.COLUMN_TITLES["adoption_rate"] == metrics.indicator("adoption_weekly", "adoption_rate").label
    )
    assert {"adoption_rate", "reach", "submission_rate", "on_time_rate"} <= labels.RATE_COLUMNS
    assert labels.help_text("service_usage_weekly", "reach") == (
        metrics.indicator("service_usage_weekly", "reach").definition
    )


def test_export_headers_and_table_tooltips_are_the_french_labels():
    frame = pd.DataFrame(
        {
            "week_start": [pd.Timestamp("2025-09-01")],
            "enrolled": [12],
            "adoption_rate": [0.5],
            "adoption_rate_band": [None],
            "is_suppressed": [False],
        }
    )
    exported = labels.export_frame(frame, "adoption_weekly")
    assert list(exported.columns) == [
        "Semaine du",
        "Inscrits",
        "Taux d'adoption",
        "Tranche de taux d'adoption",
        "Masqué (secret statistique)",
    ]
    assert exported.iloc[0, 1] == 12  # values are left as they are, for a spreadsheet
    tooltips = labels.column_help(frame, "adoption_weekly")
    assert list(tooltips) == list(labels.french_table(frame, "adoption_weekly").columns)
    assert tooltips["Inscrits"]["help"] == metrics.indicator("adoption_weekly", "enrolled").definition


def test_sql_string_quotes_apostrophes_and_nothing_escapes():
    connection = duckdb.connect()
    for text in ("l'établissement", "d''un", "a' ; drop table t; --", "« ≥ 95\u00a0% » — ok"):
        assert connection.execute(f"select {metrics.sql_string(text)}").fetchone()[0] == text


def test_comment_statements_label_the_table_and_its_columns():
    connection = duckdb.connect()
    connection.execute('create table adoption_weekly (school_uai varchar, adoption_rate double, "extra" int)')
    for statement in metrics.comment_statements("adoption_weekly", ["school_uai", "adoption_rate", "extra"]):
        connection.execute(statement)
    table_comment = connection.execute(
        "select comment from duckdb_tables() where table_name = 'adoption_weekly'"
    ).fetchone()[0]
    comments = dict(
        connection.execute(
            "select column_name, comment from duckdb_columns() where table_name = 'adoption_weekly'"
        ).fetchall()
    )
    school = metrics.indicator("adoption_weekly", "school_uai")
    assert "l'établissement" in school.definition  # the apostrophe made it through the quoting
    assert comments["school_uai"] == f"{school.label} — {school.definition}"
    assert comments["adoption_rate"].startswith("Taux d'adoption — Part des inscrits")
    assert comments["extra"] is None  # undescribed: no comment, and the test above fails instead
    assert table_comment.startswith(metrics.mart_entry("adoption_weekly").label + " — ")


def test_published_file_carries_the_comments(tmp_path):
    department = Department()
    school = "0920001B"
    for n in range(12):
        department.enrol(f"p{n}", "eleve", school, "6A")
        department.event(f"p{n}", _hour(WEEKS[0], n % 5, 10), "eleve", school, "portail", "login")
    published_path = tmp_path / "published.duckdb"
    with warehouse_with_marts(tmp_path / "warehouse.duckdb", department) as connection:
        prepare_release(connection, MARTS, published_path, Thresholds())
        publish(connection, MARTS, published_path)
    with duckdb.connect(str(published_path), read_only=True) as published:
        comments = dict(
            published.execute(
                "select column_name, comment from duckdb_columns() where table_name = 'adoption_weekly'"
            ).fetchall()
        )
    assert comments["enrolled"] == "Inscrits — " + metrics.indicator("adoption_weekly", "enrolled").definition
    assert comments["adoption_rate_band"].startswith("Tranche de taux d'adoption — ")
    assert comments[IS_SUPPRESSED].startswith("Masqué (secret statistique) — ")
