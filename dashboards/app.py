"""Repères dashboard: the entry point that `reperes dashboard` serves with `streamlit run`.

It lays out what every page shares (the school picker in the sidebar, the release note, the
privacy footer) and then runs the page the reader chose.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, labels

# The chosen school lives in the session under this key and in the URL as `?ecole=<uai>`,
# so it follows the reader from page to page and a link can be shared.
SCHOOL_KEY = "ecole"

st.set_page_config(page_title="Repères", page_icon=":material/school:", layout="wide")

direction = st.Page(
    "app_pages/direction.py",
    title="Direction — Adoption",
    url_path="direction",
    icon=":material/groups:",
)


def open_direction() -> None:
    # Streamlit serves its default page at "/" whatever its url_path; a hidden page there that
    # forwards to /direction keeps one stable, shareable address per view.
    st.switch_page(direction, query_params=st.query_params.to_dict())


page = st.navigation(
    [
        st.Page(open_direction, title="Repères", default=True, visibility="hidden"),
        direction,
        st.Page(
            "app_pages/conseil_de_classe.py",
            title="Conseil de classe — Devoirs",
            url_path="conseil-de-classe",
            icon=":material/assignment_turned_in:",
        ),
        st.Page(
            "app_pages/referent.py",
            title="Référent ENT — Usage des services",
            url_path="referent",
            icon=":material/apps:",
        ),
        st.Page(
            "app_pages/confidentialite.py",
            title="Données et confidentialité",
            url_path="confidentialite",
            icon=":material/shield_lock:",
        ),
    ]
)


def show_unavailable(message: str, detail: str) -> None:
    st.title(page.title)
    st.error(message, icon=":material/info:")
    if detail:
        st.caption(f"Détail : {detail}")
    st.stop()


def remember_school_in_url() -> None:
    st.query_params[SCHOOL_KEY] = st.session_state[SCHOOL_KEY]


def choose_school(schools: list[str]) -> str:
    """The sidebar picker; a school named in the URL wins over the one in the session."""
    requested = st.query_params.get(SCHOOL_KEY)
    if requested in schools:
        st.session_state[SCHOOL_KEY] = requested
    elif st.session_state.get(SCHOOL_KEY) not in schools:
        st.session_state[SCHOOL_KEY] = schools[0]
    school_uai = st.sidebar.selectbox(
        "Établissement (UAI)", schools, key=SCHOOL_KEY, on_change=remember_school_in_url
    )
    if st.query_params.get(SCHOOL_KEY) != school_uai:
        st.query_params[SCHOOL_KEY] = school_uai
    return school_uai


def describe_release(release: data.ReleaseInfo) -> str:
    through = (
        f"Données jusqu'au {labels.format_date(release.data_through)}"
        if release.data_through
        else "Date des données inconnue"
    )
    return (
        f"{through} · seuil de confidentialité k = {release.k_school} · "
        f"{labels.format_count(release.cells_suppressed)} cellules masquées dans cette "
        "publication."
    )


if data.current_release() is None:
    show_unavailable(labels.MISSING_PUBLICATION_MESSAGE, data.published_db_location())
try:
    schools = data.schools()
    release = data.release_info()
except data.PublicationUnavailable as error:
    show_unavailable(labels.UNREADABLE_PUBLICATION_MESSAGE, str(error))
if not schools:
    show_unavailable(labels.EMPTY_PUBLICATION_MESSAGE, "")

choose_school(schools)
st.sidebar.caption(describe_release(release))
try:
    page.run()
except data.PublicationUnavailable as error:
    show_unavailable(labels.UNREADABLE_PUBLICATION_MESSAGE, str(error))
st.divider()
st.caption(labels.PRIVACY_FOOTER)
