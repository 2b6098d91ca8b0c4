"""Filters carried from page to page in the URL (dashboards/filters.py), with a stand-in page."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from dashboards import filters


def page_with_an_optional_role_picker():
    import streamlit as st

    from dashboards import filters

    # A page with the picker, or another one without it, as after a change of page.
    if st.session_state.get("with_picker", True):
        filters.picker(filters.ROLE, "Profil", ["eleve", "parent"])
    filters.keep_in_url()


def test_a_filter_chosen_on_one_page_stays_in_the_url_and_comes_back():
    app = AppTest.from_function(page_with_an_optional_role_picker).run()
    app.sidebar.selectbox(key="profil").select("parent").run()
    assert app.query_params["profil"] == "parent"

    # Streamlit drops the query string on a change of page, and the widget is not drawn there.
    app.session_state["with_picker"] = False
    del app.query_params["profil"]
    app.run()
    assert app.query_params["profil"] == "parent"

    app.session_state["with_picker"] = True
    del app.query_params["profil"]
    app.run()
    assert app.sidebar.selectbox(key="profil").value == "parent"


def test_a_shared_link_wins_and_an_unknown_value_is_ignored():
    app = AppTest.from_function(page_with_an_optional_role_picker)
    app.query_params["profil"] = "parent"
    app.run()
    assert app.sidebar.selectbox(key="profil").value == "parent"

    app = AppTest.from_function(page_with_an_optional_role_picker)
    app.query_params["profil"] = "inconnu"
    app.run()
    assert app.sidebar.selectbox(key="profil").value == "eleve"
    assert app.query_params["profil"] == "eleve"


# The period: a school year ("since the rentrée") or one of its terms ------------------------


def test_a_period_is_a_school_year_or_one_of_its_terms_as_the_marts_count_them():
    year = filters.period("2025-2026")
    assert (year.term, year.first_day, year.last_day) == (None, dt.date(2025, 9, 1), dt.date(2026, 8, 31))
    assert year.label == "Année 2025-2026 (depuis la rentrée)"
    first, second, third = (filters.period(f"2025-2026-T{term}") for term in (1, 2, 3))
    assert (first.first_day, first.last_day) == (dt.date(2025, 9, 1), dt.date(2025, 12, 31))
    assert (second.first_day, second.last_day) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert (third.first_day, third.last_day) == (dt.date(2026, 4, 1), dt.date(2026, 8, 31))
    assert second.label == "T2 2025-2026 (janvier à mars)"
    # A week belongs to the term of its Thursday: the week of Monday 29 December is in T2.
    assert second.holds_week(dt.date(2025, 12, 29)) and not first.holds_week(dt.date(2025, 12, 29))
    assert filters.term_of(dt.date(2025, 12, 29)) == "T2"
    assert filters.school_year_of(dt.date(2025, 9, 1)) == "2025-2026"
    assert filters.school_year_of(dt.date(2025, 8, 25)) == "2024-2025"
    assert third.holds_month(dt.date(2026, 6, 1)) and not third.holds_month(dt.date(2026, 3, 1))


@pytest.mark.parametrize("key", ["2025", "2025-2027", "2025-2026-T4", "tout", "2025-2026-T"])
def test_anything_else_is_not_a_period(key):
    with pytest.raises(ValueError):
        filters.period(key)


def test_periods_are_offered_latest_first_each_year_before_its_terms():
    covered = [("2024-2025", "T3"), ("2025-2026", "T1"), ("2024-2025", "T1"), ("2025-2026", "T2")]
    assert filters.period_options(covered) == [
        "2025-2026",
        "2025-2026-T2",
        "2025-2026-T1",
        "2024-2025",
        "2024-2025-T3",
        "2024-2025-T1",
    ]
    assert filters.period_options([]) == []


def page_with_period_and_role_pickers():
    import streamlit as st

    from dashboards import filters

    period = filters.period_picker([("2024-2025", "T2"), ("2024-2025", "T3")])
    role = filters.role_picker(["eleve", "parent"], {"eleve": "Élèves", "parent": "Parents"})
    st.write(f"{period.key} {role}")


def test_period_and_role_pickers_live_in_the_url():
    app = AppTest.from_function(page_with_period_and_role_pickers)
    app.query_params["periode"] = "2024-2025-T2"
    app.run()
    period_picker = app.sidebar.selectbox(key="periode")
    assert period_picker.value == "2024-2025-T2"
    assert period_picker.options == [
        "Année 2024-2025 (depuis la rentrée)",
        "T3 2024-2025 (avril à l'été)",
        "T2 2024-2025 (janvier à mars)",
    ]
    app.sidebar.selectbox(key="profil").select("parent").run()
    assert (app.query_params["periode"], app.query_params["profil"]) == ("2024-2025-T2", "parent")
    assert app.markdown[0].value == "2024-2025-T2 parent"


def test_a_filter_in_a_shared_link_to_a_page_without_its_picker_is_kept_for_the_next_page():
    app = AppTest.from_function(page_with_an_optional_role_picker)
    app.session_state["with_picker"] = False
    app.query_params["profil"] = "parent"
    app.run()

    # The next page, with the picker: Streamlit has dropped the query string on the way.
    app.session_state["with_picker"] = True
    del app.query_params["profil"]
    app.run()
    assert app.sidebar.selectbox(key="profil").value == "parent"
    assert app.query_params["profil"] == "parent"
