"""Filters carried from page to page in the URL (dashboards/filters.py), with a stand-in page."""

from streamlit.testing.v1 import AppTest


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
