"""Each page runs without error on the hand-made release, through the real entry point.

The reader signs in first, as the referent of both schools, so that the school picker has two
schools to move between; what each kind of account may see is tested in test_login.py.
"""

import json
import os
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import data, labels
from tests.dashboards.conftest import REFERENT_AB, SCHOOL_A, SCHOOL_B, sign_in, write_published_db

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
PAGES = {
    "app_pages/direction.py": "Direction — Adoption",
    "app_pages/conseil_de_classe.py": "Conseil de classe — Devoirs",
    "app_pages/referent.py": "Référent ENT — Usage des services",
}
TIMEOUT_SECONDS = 30


def open_app(query_params: dict | None = None, login: str = REFERENT_AB) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=TIMEOUT_SECONDS)
    app.query_params.update(query_params or {})
    return sign_in(app.run(), login)


def figure_titles(app: AppTest) -> list[str]:
    return [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in app.get("plotly_chart")]


def captions(app: AppTest) -> list[str]:
    return [caption.value for caption in app.caption]


@pytest.mark.parametrize("page_file", PAGES)
def test_page_shows_its_title_school_picker_chart_and_privacy_footer(published_db, page_file):
    app = open_app().switch_page(page_file).run()
    assert not app.exception
    assert [title.value for title in app.title] == [PAGES[page_file]]
    school_picker = app.sidebar.selectbox(key="ecole")
    assert school_picker.options == [SCHOOL_A, SCHOOL_B]
    assert school_picker.value == SCHOOL_A
    assert len(figure_titles(app)) == 1
    assert app.expander[0].label == "Voir les données"
    assert labels.PRIVACY_FOOTER in captions(app)


def test_the_root_address_opens_the_direction_page(published_db):
    app = open_app()
    assert not app.exception
    assert [title.value for title in app.title] == ["Direction — Adoption"]
    assert figure_titles(app) == [
        "Semaine du 26 mai 2025 : 62\u00a0% des élèves se sont connectés à l'ENT (+4 points en une semaine)"
    ]


def test_masked_cells_are_spelled_out_in_the_table(published_db):
    app = open_app()
    table = app.dataframe[0].value
    personnel_week_2 = table[(table["Profil"] == "Personnels") & (table["Semaine du"] == "12 mai 2025")]
    assert personnel_week_2["Taux d'adoption"].tolist() == [labels.SUPPRESSED_TEXT]


def test_the_school_in_the_url_is_preselected(published_db):
    app = open_app({"ecole": SCHOOL_B}).switch_page("app_pages/conseil_de_classe.py").run()
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_B
    assert app.main.selectbox[0].options == ["6C"]


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


def test_class_and_role_pickers(published_db):
    app = open_app().switch_page("app_pages/conseil_de_classe.py").run()
    assert app.main.selectbox[0].options == ["3A", "3B"]
    app.switch_page("app_pages/referent.py").run()
    role_picker = app.radio[0]
    assert role_picker.options == ["Élèves", "Parents"]
    role_picker.set_value("parent").run()
    assert not app.exception
    assert "des parents" in figure_titles(app)[0]


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
