"""The "Qualité des données" page on the hand-made release, through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data, labels
from pipelines import run_history
from tests.dashboards.conftest import DIRECTION_A, REFERENT_AB, SCHOOL_A, SCHOOL_B, sign_in

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGE = "app_pages/qualite.py"
TIMEOUT_SECONDS = 30


@pytest.fixture
def no_run_history(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "run_history.jsonl"
    monkeypatch.setenv(data.RUN_HISTORY_ENV, str(path))
    return path


def open_quality_page(login: str = REFERENT_AB) -> AppTest:
    app = sign_in(AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS).run(), login)
    return app.switch_page(PAGE).run()


def dataframes(app: AppTest) -> list:
    return [frame.value for frame in app.dataframe]


def test_the_page_shows_sources_files_quarantine_and_roster_coverage(published_db, no_run_history):
    app = open_quality_page()
    assert not app.exception
    assert [title.value for title in app.title] == ["Qualité des données"]
    assert [header.value for header in app.header] == [
        "Derniers runs",
        "Fraîcheur des sources",
        "Fichiers chargés",
        "Lignes mises en quarantaine",
        "Couverture de l'annuaire",
    ]
    assert any("Aucun run enregistré" in info.value for info in app.info)
    # The hand-made release stops in June 2025: the event deliveries are stale.
    assert any(
        warning.value.startswith("Événements (journal de l'ENT) : dernière livraison")
        for warning in app.warning
    )
    assert any("nom du fichier ne porte pas de date" in caption.value for caption in app.caption)
    assert any("1 fichier(s) n'ont pas pu être lus" in error.value for error in app.error)
    tables = dataframes(app)
    rules = next(table for table in tables if "Règle enfreinte" in table.columns)
    assert rules["Règle enfreinte"].tolist() == [
        "Valeur hors de la liste permise (eleve, parent, enseignant, personnel).",
        "Ligne que le lecteur n'a pas pu découper : plus de colonnes que l'en-tête.",
        "Valeur obligatoire manquante.",
    ]
    assert rules["Colonne"].tolist() == ["role", labels.WHOLE_RECORD_TITLE, "role"]
    assert rules["Première occurrence"].tolist()[:2] == [
        "events/2025-06-03.csv, enregistrement 12",
        "events/2025-06-04.csv, ligne 57",
    ]
    coverage = next(table for table in tables if "Part hors annuaire" in table.columns)
    # Weeks of 12 May to 26 May (the week of 2 June is in progress): 3 × 42 of 3 × 5,000 events.
    assert coverage["Établissement (UAI)"].tolist() == [SCHOOL_A, SCHOOL_B]
    assert coverage["Part hors annuaire"].tolist() == ["0,8\u00a0%", "1,6\u00a0%"]
    assert labels.PRIVACY_FOOTER in [caption.value for caption in app.caption]


def test_every_chart_exports_a_png_named_in_french_and_every_table_downloads(published_db, no_run_history):
    app = open_quality_page()
    charts = app.get("plotly_chart")
    assert len(charts) == 3
    for chart in charts:
        config = json.loads(chart.proto.config)
        assert config["displaylogo"] is False and config["displayModeBar"] is True
        assert config["toImageButtonOptions"]["filename"].startswith("qualite-des-donnees-")
    buttons = [button.proto.label for button in app.get("download_button")]
    assert buttons.count("Télécharger (CSV)") == buttons.count("Télécharger (Excel)") == 3


def test_a_failed_run_is_shown_with_what_to_do_next(published_db, no_run_history):
    started = run_history.now()
    run_history.append_record(
        no_run_history,
        run_history.success_record(started, "run-ok", "2025-06-03", "2025-06-03", 0),
    )
    failure = run_history.failure_record(
        started,
        run_history.PRIVACY_AUDIT,
        run_id="run-refused",
        next_action=run_history.check_next_action("release_candidate", "no_recovery_by_subtraction"),
        failed_checks=[run_history.FailedCheck("release_candidate", "no_recovery_by_subtraction")],
        first_day="2025-06-04",
        last_day="2025-06-04",
    )
    run_history.append_record(no_run_history, failure)
    app = open_quality_page()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("Le dernier run (")
    assert "Publication refusée (confidentialité) : « no_recovery_by_subtraction »" in message
    assert "**Que faire** : Publication refusée par le contrôle de confidentialité" in message
    runs = next(table for table in dataframes(app) if "Que faire" in table.columns)
    assert runs["Statut"].tolist() == ["Échec", "Réussi"]
    assert runs["Run Dagster"].tolist() == ["run-refused", "run-ok"]


def test_a_direction_sees_the_roster_coverage_of_its_school_only(published_db, no_run_history):
    app = open_quality_page(DIRECTION_A)
    assert not app.exception
    coverage = next(table for table in dataframes(app) if "Part hors annuaire" in table.columns)
    assert coverage["Établissement (UAI)"].tolist() == [SCHOOL_A]
    shown = " ".join(str(table.to_dict()) for table in dataframes(app))
    assert SCHOOL_B not in shown and "6\u202f131" not in shown
