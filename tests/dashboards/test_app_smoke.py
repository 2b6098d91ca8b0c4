"""Each page runs without error on the hand-made release, through the real entry point.

The reader signs in first, as the referent of both schools, so that the school picker has two
schools to move between; what each kind of account may see is tested in test_scoped_access.py.
"""

import json
import os
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data, labels
from tests.dashboards.conftest import (
    DIRECTION_A,
    REFERENT_AB,
    SCHOOL_A,
    SCHOOL_B,
    sign_in,
    write_published_db,
)

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = {
    "app_pages/direction.py": "Direction — Adoption après un mois",
    "app_pages/conseil_de_classe.py": "Conseil de classe",
    "app_pages/referent.py": "Référent ENT — Plan de formation",
}
# How many charts each page draws on the hand-made release (school A, the whole year).
CHARTS = {"app_pages/direction.py": 4, "app_pages/conseil_de_classe.py": 4, "app_pages/referent.py": 4}
PERIODS = [
    "Année 2024-2025 (depuis la rentrée)",
    "T3 2024-2025 (avril à l'été)",
    "T2 2024-2025 (janvier à mars)",
]
NBSP_PERCENT = "\u00a0%"
TIMEOUT_SECONDS = 30


def open_app(query_params: dict | None = None, login: str = REFERENT_AB) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)
    app.query_params.update(query_params or {})
    return sign_in(app.run(), login)


def open_page(page_file: str, query_params: dict | None = None, login: str = REFERENT_AB) -> AppTest:
    app = open_app(query_params, login).switch_page(page_file).run()
    assert not app.exception, app.exception
    return app


def figure_titles(app: AppTest) -> list[str]:
    return [
        json.loads(chart.proto.spec)["layout"]["title"]["text"].replace("<br>", " ")
        for chart in app.get("plotly_chart")
    ]


def captions(app: AppTest) -> list[str]:
    return [caption.value for caption in app.caption]


def tables(app: AppTest) -> list:
    return [frame.value for frame in app.dataframe]


@pytest.mark.parametrize("page_file", PAGES)
def test_page_shows_its_title_filters_charts_tables_and_privacy_footer(published_db, page_file):
    app = open_page(page_file)
    assert [title.value for title in app.title] == [PAGES[page_file]]
    school_picker = app.sidebar.selectbox(key="ecole")
    assert school_picker.options == [SCHOOL_A, SCHOOL_B]
    assert school_picker.value == SCHOOL_A
    assert app.sidebar.selectbox(key="periode").options == PERIODS
    assert len(figure_titles(app)) == CHARTS[page_file]
    # Every chart has the same numbers as a table, each with its CSV and Excel downloads.
    assert app.expander and all(expander.label.startswith("Voir les données") for expander in app.expander)
    downloads = [button.label for button in app.get("download_button")]
    assert downloads.count("Télécharger (CSV)") == downloads.count("Télécharger (Excel)") >= len(app.expander)
    # Each section's heading explains its indicator (the metrics dictionary's definition).
    assert all(heading.proto.help for heading in app.subheader)
    assert labels.PRIVACY_FOOTER in captions(app)


def test_the_root_address_opens_the_direction_page(published_db):
    app = open_app()
    assert not app.exception
    assert [title.value for title in app.title] == ["Direction — Adoption après un mois"]
    assert figure_titles(app)[0] == (
        f"Semaine du 26 mai 2025 : 62{NBSP_PERCENT} des élèves se sont connectés à l'ENT (+4 points en une semaine)"
    )


def test_the_direction_page_says_what_changed_the_first_month_the_services_and_the_position(published_db):
    app = open_page("app_pages/direction.py")
    assert [info.value for info in app.info] == [
        "Semaine du 26 mai 2025, par rapport à la semaine de classe précédente, part des inscrits actifs : "
        f"élèves 62{NBSP_PERCENT} (+4 points), parents 30{NBSP_PERCENT} (+5 points), "
        f"enseignants 88{NBSP_PERCENT} (\u22123 points), personnels 50{NBSP_PERCENT} (\u221225 points)."
    ]
    adoption, first_month, services, position = figure_titles(app)
    assert first_month == (
        "Premier mois (4 semaines de classe à partir du 2 septembre 2024) : "
        f"85{NBSP_PERCENT} des élèves actifs au moins une fois, 60{NBSP_PERCENT} réguliers"
    )
    assert services.startswith("Semaine du 26 mai 2025 : ")
    assert position == (
        f"Semaine du 26 mai 2025 : 62{NBSP_PERCENT} des élèves actifs, dans le quart des établissements du "
        f"département où ce taux est le plus haut (médiane 50{NBSP_PERCENT}, 42 établissements comparés)"
    )
    first_month_table = tables(app)[1]
    # A small group's extreme share is a band, a masked row says so: never a 0.
    teachers = first_month_table[first_month_table["Profil"] == "Enseignants"]
    assert teachers["Part d'actifs le premier mois"].tolist() == ["≥ 95\u00a0%"]
    staff = first_month_table[first_month_table["Profil"] == "Personnels"]
    assert staff["Part d'actifs le premier mois"].tolist() == [labels.SUPPRESSED_TEXT]


def test_masked_cells_are_spelled_out_in_the_table(published_db):
    app = open_app()
    table = tables(app)[0]
    personnel_week_2 = table[(table["Profil"] == "Personnels") & (table["Semaine du"] == "12 mai 2025")]
    assert personnel_week_2["Taux d'adoption"].tolist() == [labels.SUPPRESSED_TEXT]
    banded = table[(table["Profil"] == "Personnels") & (table["Semaine du"] == "10 mars 2025")]
    assert banded["Taux d'adoption"].tolist() == ["≥ 90\u00a0%"]


def test_a_change_of_period_redraws_the_page_and_follows_the_reader(published_db):
    app = open_page("app_pages/direction.py")
    app.sidebar.selectbox(key="periode").select("2024-2025-T2").run()
    assert not app.exception
    assert app.query_params["periode"] == "2024-2025-T2"
    assert figure_titles(app)[0] == (
        f"Semaine du 24 mars 2025 : 44{NBSP_PERCENT} des élèves se sont connectés à l'ENT (+3 points en une semaine)"
    )
    # No service usage is published in March: the page says so rather than draw an empty chart.
    assert "Aucun usage des services publié pour la semaine du 24 mars 2025." in [
        info.value for info in app.info
    ]

    app.switch_page("app_pages/conseil_de_classe.py").run()
    assert not app.exception
    assert app.sidebar.selectbox(key="periode").value == "2024-2025-T2"
    assert (
        f"T2 2024-2025 (janvier à mars) : cahier de textes rempli 4 semaines de classe sur 4 (100{NBSP_PERCENT})"
        in (figure_titles(app))
    )


def test_a_shared_link_carries_school_period_and_role(published_db):
    app = open_page(
        "app_pages/direction.py", {"ecole": SCHOOL_B, "periode": "2024-2025-T3", "profil": "parent"}
    )
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_B
    assert app.sidebar.selectbox(key="periode").value == "2024-2025-T3"
    assert app.sidebar.selectbox(key="profil").value == "parent"
    assert figure_titles(app)[3].startswith(f"Semaine du 26 mai 2025 : 15{NBSP_PERCENT} des parents actifs")


def test_the_role_picker_drives_the_sections_for_one_role_and_follows_the_reader(published_db):
    app = open_page("app_pages/direction.py")
    assert app.sidebar.selectbox(key="profil").options == ["Élèves", "Parents", "Enseignants", "Personnels"]
    app.sidebar.selectbox(key="profil").select("parent").run()
    assert not app.exception
    assert "des parents" in figure_titles(app)[2] and "des parents" in figure_titles(app)[3]
    app.switch_page("app_pages/referent.py").run()
    assert app.query_params["profil"] == "parent"
    assert app.sidebar.selectbox(key="profil").options == ["Élèves", "Parents"]
    assert "des parents" in figure_titles(app)[-1]


def test_the_conseil_de_classe_page_for_one_class(published_db):
    app = open_page("app_pages/conseil_de_classe.py", login=DIRECTION_A)
    assert app.main.selectbox(key="classe").options == ["3A", "3B"]
    homework, cdt, load, parents = figure_titles(app)
    assert homework == (
        f"Semaine du 26 mai 2025 : 72{NBSP_PERCENT} des devoirs attendus ont été rendus à l'heure, "
        f"12{NBSP_PERCENT} en retard"
    )
    assert cdt == (
        "Année 2024-2025 (depuis la rentrée) : cahier de textes rempli 11 semaines de classe sur 12 "
        f"(92{NBSP_PERCENT})"
    )
    assert load == (
        "Le mardi est le jour le plus chargé : 3 devoirs à rendre en ligne sur la période, toutes disciplines "
        "confondues"
    )
    assert parents == (
        f"Juin 2025 : 60{NBSP_PERCENT} des élèves de la classe ont un parent qui a utilisé l'ENT "
        "(+4 points par rapport à mai)"
    )
    assert "Synthèse (PDF)" in [button.label for button in app.get("download_button")]
    # By discipline: not available, and why, in the help of the homework heading.
    assert "Par discipline : non disponible" in app.subheader[0].proto.help
    assert "Par discipline : non disponible" in " ".join(captions(app))


def test_a_small_class_is_masked_and_its_parents_given_as_a_band(published_db):
    app = open_page("app_pages/conseil_de_classe.py", login=DIRECTION_A)
    app.main.selectbox(key="classe").select("3B").run()
    assert not app.exception
    assert app.query_params["classe"] == "3B"
    titles = figure_titles(app)
    assert "régularité du cahier de textes masquée (moins de 5 enseignants)" in titles[1]
    assert titles[3] == "Juin 2025 : ≥ 95\u00a0% des élèves de la classe ont un parent qui a utilisé l'ENT"


def test_the_referent_page_sorts_needs_shows_effects_and_suggests_workshops(published_db):
    app = open_page("app_pages/referent.py")
    needs, teams, effects, usage = figure_titles(app)[:4]
    assert needs == (
        "À former en premier : les devoirs au 0920001B, 8 enseignants de plus pour atteindre la part du département"
    )
    assert teams.startswith("Dans le département, les enseignants de histoire-geographie utilisent moins")
    assert effects == (
        "2 ateliers mesurés : 2 ont fait progresser l'usage plus que dans les établissements sans atelier "
        "(effet médian +12 points)"
    )
    workshops = next(table for table in tables(app) if "Public" in table.columns)
    assert workshops.iloc[0].tolist() == ["Devoirs", "enseignants", "0920001B (8), 0921234S (8)", 2, 16]
    effects_table = next(table for table in tables(app) if "Effet estimé de l'atelier" in table.columns)
    assert "pas encore mesurable (4 semaines de classe avant et après l'atelier)" in (
        effects_table["Effet estimé de l'atelier"].tolist()
    )
    assert "Ateliers proposés" in [heading.value for heading in app.subheader]


def test_the_school_in_the_url_is_preselected(published_db):
    app = open_page("app_pages/conseil_de_classe.py", {"ecole": SCHOOL_B})
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_B
    assert app.main.selectbox(key="classe").options == ["6C"]
    assert "inconnu" in figure_titles(app)[3]  # 6C: the roster links no pupil to a parent


def test_an_unknown_school_in_the_url_falls_back_to_the_first_one(published_db):
    app = open_app({"ecole": "0000000A"})
    assert not app.exception
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_A
    assert app.query_params["ecole"] == SCHOOL_A


def test_the_chosen_school_follows_the_reader_to_another_page(published_db):
    app = open_app()
    app.sidebar.selectbox(key="ecole").select(SCHOOL_B).run()
    assert app.query_params["ecole"] == SCHOOL_B
    app.switch_page("app_pages/referent.py").run()
    assert not app.exception
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_B


@pytest.mark.parametrize("location", ["missing", "unset"])
def test_without_a_publication_the_reader_is_told_to_run_the_pipeline(tmp_path, monkeypatch, location):
    if location == "missing":
        monkeypatch.setenv(data.PUBLISHED_DB_ENV, str(tmp_path / "published.duckdb"))
    else:
        monkeypatch.delenv(data.PUBLISHED_DB_ENV, raising=False)
    app = open_app()
    assert not app.exception
    assert [error.value for error in app.error] == [labels.MISSING_PUBLICATION_MESSAGE]
    assert app.error[0].value.startswith("Aucune publication trouvée : lancez `reperes run`")


def test_an_unreadable_publication_is_reported_without_a_traceback(tmp_path, monkeypatch):
    not_a_database = tmp_path / "published.duckdb"
    not_a_database.write_text("not a DuckDB file")
    monkeypatch.setenv(data.PUBLISHED_DB_ENV, str(not_a_database))
    app = open_app()
    assert not app.exception
    assert [error.value for error in app.error] == [labels.UNREADABLE_PUBLICATION_MESSAGE]


def test_a_new_release_is_read_without_restarting(tmp_path, monkeypatch):
    published = write_published_db(tmp_path / "published.duckdb")
    monkeypatch.setenv(data.PUBLISHED_DB_ENV, str(published))
    app = open_app()
    assert app.sidebar.selectbox(key="ecole").options == [SCHOOL_A, SCHOOL_B]

    # The pipeline writes the next release beside the current one, then renames it over it.
    next_release = write_published_db(tmp_path / "published.next.duckdb")
    with duckdb.connect(str(next_release)) as connection:
        connection.execute("delete from adoption_weekly where school_uai = ?", [SCHOOL_B])
    os.replace(next_release, published)

    app.run()
    assert not app.exception
    assert app.sidebar.selectbox(key="ecole").options == [SCHOOL_A]
