"""Rule 9, scoped access: signing in, and what each kind of account can and cannot see.

Enforced twice, and tested at both levels: `dashboards.data` refuses a table or a school the
entitlement does not cover and filters school rows in SQL; the app, through its real entry
point, never shows another school, whether it is asked for by the URL or the session.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import access, data, session
from tests.dashboards.conftest import (
    B_MARKERS,
    DEPARTEMENT,
    DIRECTION_A,
    ENROLLED_B,
    PASSWORD,
    REFERENT_AB,
    SCHOOL_A,
    SCHOOL_B,
    reader_accounts,
    sign_in,
)

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
SCHOOL_PAGES = ("app_pages/direction.py", "app_pages/conseil_de_classe.py", "app_pages/referent.py")
ALL_PAGES = (*SCHOOL_PAGES, "app_pages/departement.py", "app_pages/confidentialite.py")
NOT_ENTITLED = "Vous n'avez pas accès à cet établissement."
# B's enrolled counts, as cells of the data tables under "Voir les données".
B_TABLE_CELLS = {str(count) for count in ENROLLED_B.values()}


def entitlement(login: str) -> access.Entitlement:
    accounts = {account.login: account for account in reader_accounts()}
    return access.entitlement_for(accounts[login])


def open_app(query_params: dict | None = None) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=30)
    app.query_params.update(query_params or {})
    return app.run()


def shown(app: AppTest) -> str:
    """Everything the app put on screen, charts' data and tables' cells included."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "error", "info"):
        parts += [str(element.value) for element in app.get(kind)]
    for picker in [*app.selectbox, *app.radio]:
        parts += [picker.label, *map(str, picker.options)]
    parts += [frame.value.to_csv() for frame in app.dataframe]
    parts += [
        json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in app.get("plotly_chart")
    ]
    return "\n".join(parts)


def table_cells(app: AppTest) -> set[str]:
    return {str(cell) for frame in app.dataframe for cell in frame.value.to_numpy().ravel()}


def assert_nothing_of_b(app: AppTest) -> None:
    text = shown(app)
    for marker in B_MARKERS:
        assert marker not in text, marker
    assert not B_TABLE_CELLS & table_cells(app)


# The data layer ----------------------------------------------------------------------------


def test_the_data_layer_refuses_another_school(published_db):
    direction = entitlement(DIRECTION_A)
    assert data.schools(direction) == [SCHOOL_A]
    assert not data.adoption_weekly(direction, SCHOOL_A).empty
    period = (dt.date(2024, 9, 1), dt.date(2025, 8, 31))
    for read in (
        lambda: data.adoption_weekly(direction, SCHOOL_B),
        lambda: data.classes(direction, SCHOOL_B),
        lambda: data.homework_class_weekly(direction, SCHOOL_B, "6C"),
        lambda: data.service_usage_weekly(direction, SCHOOL_B, "eleve"),
        lambda: data.roles_with_service_usage(direction, SCHOOL_B),
        lambda: data.data_quality_weekly(direction, SCHOOL_B),
        lambda: data.school_terms(direction, SCHOOL_B),
        lambda: data.adoption_weekly_between(direction, SCHOOL_B, *period),
        lambda: data.adoption_first_month(direction, SCHOOL_B),
        lambda: data.adoption_trends(direction, SCHOOL_B, *period),
        lambda: data.adoption_position(direction, SCHOOL_B, "eleve", *period),
        lambda: data.service_usage_in_week(direction, SCHOOL_B, dt.date(2025, 5, 26)),
        lambda: data.homework_class_between(direction, SCHOOL_B, "6C", *period),
        lambda: data.homework_load_class(direction, SCHOOL_B, "6C", *period),
        lambda: data.cdt_class_weekly(direction, SCHOOL_B, "6C", *period),
        lambda: data.cdt_class_term(direction, SCHOOL_B, "6C", "2024-2025"),
        lambda: data.parent_reach_monthly(direction, SCHOOL_B, "6C", *period),
    ):
        with pytest.raises(data.AccessDenied):
            read()


def test_the_tables_of_every_entitled_school_hold_only_those_schools(published_db):
    direction = entitlement(DIRECTION_A)
    for rows in (data.training_needs(direction), data.workshop_effects(direction)):
        assert set(rows["school_uai"]) == {SCHOOL_A}
    assert set(data.training_needs(entitlement(REFERENT_AB))["school_uai"]) == {SCHOOL_A, SCHOOL_B}
    # The département's teams (k = 10) name no school; the département reads no school table.
    assert "school_uai" not in data.training_needs_discipline(direction).columns
    departement = entitlement(DEPARTEMENT)
    assert set(data.workshop_effects(departement)["school_uai"]) == {SCHOOL_A, SCHOOL_B}
    for read in (
        lambda: data.training_needs(departement),
        lambda: data.adoption_first_month(departement, SCHOOL_A),
        lambda: data.adoption_position(departement, SCHOOL_A, "eleve", *period_of_the_release()),
    ):
        with pytest.raises(data.AccessDenied):
            read()


def period_of_the_release() -> tuple[dt.date, dt.date]:
    return dt.date(2024, 9, 1), dt.date(2025, 8, 31)


def test_the_departement_reads_no_school_table(published_db):
    departement = entitlement(DEPARTEMENT)
    with pytest.raises(data.AccessDenied):
        data.schools(departement)
    with pytest.raises(data.AccessDenied):
        data.adoption_weekly(departement, SCHOOL_A)
    assert set(data.adoption_department_weekly(departement)["role"]) == {
        "eleve",
        "parent",
        "enseignant",
        "personnel",
    }


def test_cached_rows_of_one_account_are_never_served_to_another(published_db):
    assert data.schools(entitlement(REFERENT_AB)) == [SCHOOL_A, SCHOOL_B]
    assert data.schools(entitlement(DIRECTION_A)) == [SCHOOL_A]
    assert data.schools(entitlement(REFERENT_AB)) == [SCHOOL_A, SCHOOL_B]


def test_entitled_schools_are_sql_parameters_not_sql_text(published_db):
    forged = access.Entitlement(access.REFERENT, ("0920001B' or '1'='1",), frozenset({"adoption_weekly"}))
    assert data.schools(forged) == []


# Signing in --------------------------------------------------------------------------------


def test_signed_out_the_login_form_is_all_there_is(published_db):
    app = open_app({"ecole": SCHOOL_A})
    assert not app.exception
    assert [title.value for title in app.title] == ["Repères"]
    assert [field.label for field in app.text_input] == ["Identifiant", "Mot de passe"]
    assert [button.label for button in app.button] == ["Se connecter"]
    assert not app.selectbox and not app.dataframe
    # One chart: the empty, hidden one that has the browser load Plotly while the reader types.
    assert [json.loads(chart.proto.spec)["data"] for chart in app.get("plotly_chart")] == [[]]
    assert SCHOOL_A not in shown(app)


@pytest.mark.parametrize(("login", "password"), [(DIRECTION_A, "not the password"), ("nobody", PASSWORD)])
def test_a_wrong_password_and_an_unknown_login_get_the_same_refusal(published_db, login, password):
    app = sign_in(open_app(), login, password)
    assert not app.exception
    assert [error.value for error in app.error] == [session.WRONG_CREDENTIALS_MESSAGE]
    assert [field.label for field in app.text_input] == ["Identifiant", "Mot de passe"]
    assert not app.selectbox


def test_without_an_accounts_file_nobody_gets_in(published_db, tmp_path, monkeypatch):
    monkeypatch.setenv(access.ACCOUNTS_FILE_ENV, str(tmp_path / "missing.toml"))
    app = open_app()
    assert not app.exception
    assert [error.value for error in app.error] == [session.NO_ACCOUNTS_MESSAGE]
    assert not app.text_input


def test_signing_out_returns_to_the_login_form(published_db):
    app = sign_in(open_app(), DIRECTION_A)
    app.sidebar.button[0].click().run()
    assert [field.label for field in app.text_input] == ["Identifiant", "Mot de passe"]
    assert not app.selectbox


# What each account sees --------------------------------------------------------------------


@pytest.mark.parametrize("page_file", SCHOOL_PAGES)
def test_a_direction_sees_its_school_and_nothing_of_another(published_db, page_file):
    app = sign_in(open_app(), DIRECTION_A).switch_page(page_file).run()
    assert not app.exception
    assert app.sidebar.selectbox(key="ecole").options == [SCHOOL_A]
    assert app.get("plotly_chart")
    assert_nothing_of_b(app)


@pytest.mark.parametrize("page_file", ALL_PAGES)
def test_another_school_in_the_url_shows_nothing_of_it(published_db, page_file):
    app = sign_in(open_app({"ecole": SCHOOL_B}), DIRECTION_A)
    assert [warning.value for warning in app.warning] == [NOT_ENTITLED]
    app.query_params["ecole"] = SCHOOL_B
    app.switch_page(page_file).run()
    assert not app.exception
    assert [warning.value for warning in app.warning] == [NOT_ENTITLED]
    assert_nothing_of_b(app)
    assert app.query_params["ecole"] == SCHOOL_A


def test_another_school_left_in_the_session_shows_nothing_of_it(published_db):
    app = AppTest.from_file(APP, default_timeout=30)
    app.session_state["ecole"] = SCHOOL_B
    app = sign_in(app.run(), DIRECTION_A).switch_page("app_pages/conseil_de_classe.py").run()
    assert not app.exception
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_A
    assert app.main.selectbox[0].options == ["3A", "3B"]
    assert_nothing_of_b(app)


def test_the_departement_sees_the_departement_view_and_no_school_page(published_db):
    app = sign_in(open_app({"ecole": SCHOOL_A}), DEPARTEMENT)
    assert not app.exception
    assert [title.value for title in app.title] == ["Département — Adoption"]
    assert not app.sidebar.selectbox
    assert "ecole" not in app.query_params
    assert "51\u00a0% des élèves" in shown(app)
    # No school page is in its navigation (the browser test opens their addresses).
    for page_file in SCHOOL_PAGES:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page_file)


def test_a_referent_moves_between_its_schools(published_db):
    app = sign_in(open_app({"ecole": SCHOOL_B}), REFERENT_AB)
    assert not app.warning
    assert app.sidebar.selectbox(key="ecole").options == [SCHOOL_A, SCHOOL_B]
    assert app.sidebar.selectbox(key="ecole").value == SCHOOL_B


def test_an_account_removed_from_the_file_is_signed_out(published_db, tmp_path, monkeypatch):
    path = tmp_path / "accounts.toml"
    access.write_accounts(path, reader_accounts())
    monkeypatch.setenv(access.ACCOUNTS_FILE_ENV, str(path))
    app = sign_in(open_app(), DIRECTION_A)
    assert app.sidebar.selectbox(key="ecole").options == [SCHOOL_A]
    access.write_accounts(path, [account for account in reader_accounts() if account.login != DIRECTION_A])
    app.run()
    assert [field.label for field in app.text_input] == ["Identifiant", "Mot de passe"]
    assert not app.selectbox


@pytest.mark.parametrize(
    ("page_file", "marker"),
    [
        ("app_pages/direction.py", "45\u00a0% des élèves"),
        ("app_pages/conseil_de_classe.py", "6C"),
        ("app_pages/referent.py", f"{SCHOOL_B} (8)"),
    ],
)
def test_the_markers_of_b_do_show_where_b_is_entitled(published_db, page_file, marker):
    """The tests above would see B if it were shown: its markers appear for its referent."""
    assert marker in B_MARKERS or SCHOOL_B in marker
    app = sign_in(open_app({"ecole": SCHOOL_B}), REFERENT_AB).switch_page(page_file).run()
    assert marker in shown(app) and SCHOOL_B in shown(app)
