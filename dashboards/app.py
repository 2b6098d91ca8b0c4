"""Repères dashboard: the entry point that `reperes dashboard` serves with `streamlit run`.

It signs the reader in first (`dashboards/session.py`): nothing of the release is read before.
Then it lays out what every page shares (the school picker in the sidebar, limited to the
schools the account is entitled to, the release note, the privacy footer) and runs the page
the reader chose, among those of the account's profile.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, filters, labels, session
from dashboards.access import DEPARTEMENT, Account, Entitlement

# The chosen school lives in the session under this key and in the URL as `?ecole=<uai>`,
# so it follows the reader from page to page and a link can be shared (dashboards/filters.py).
SCHOOL_KEY = filters.SCHOOL
NOT_ENTITLED_MESSAGE = "Vous n'avez pas accès à cet établissement."
NOT_PUBLISHED_MESSAGE = "Aucune donnée n'est publiée pour cet établissement."
NONE_OF_YOUR_SCHOOLS_MESSAGE = (
    "La publication ne contient aucun des établissements de votre compte : vérifiez les "
    "établissements qui lui sont attribués, ou les fichiers déposés."
)
ACCESS_DENIED_MESSAGE = "Vous n'avez pas accès à ces données."

# An emoji favicon is drawn by the browser from a data: URL; a `:material/…:` one is fetched from
# fonts.gstatic.com at every page run, telling Google who reads the dashboard and when.
st.set_page_config(page_title="Repères", page_icon="🏫", layout="wide")

direction = st.Page(
    "app_pages/direction.py",
    title="Direction — Adoption après un mois",
    url_path="direction",
    icon=":material/groups:",
)
school_pages = [
    direction,
    st.Page(
        "app_pages/conseil_de_classe.py",
        title="Conseil de classe",
        url_path="conseil-de-classe",
        icon=":material/assignment_turned_in:",
    ),
    st.Page(
        "app_pages/referent.py",
        title="Référent ENT — Plan de formation",
        url_path="referent",
        icon=":material/apps:",
    ),
    # Data-quality tables count files and rows (audience none): read with the school accounts.
    st.Page(
        "app_pages/qualite.py",
        title="Qualité des données",
        url_path="qualite",
        icon=":material/fact_check:",
    ),
]
departement = st.Page(
    "app_pages/departement.py",
    title="Département — Adoption",
    url_path="departement",
    icon=":material/map:",
)
confidentialite = st.Page(
    "app_pages/confidentialite.py",
    title="Données et confidentialité",
    url_path="confidentialite",
    icon=":material/shield_lock:",
)


def home_page(reader: Account | None) -> st.Page:
    return departement if reader is not None and reader.profile == DEPARTEMENT else direction


def open_home() -> None:
    # Streamlit serves its default page at "/" whatever its url_path; a hidden page there that
    # forwards to the reader's first view keeps one stable, shareable address per view.
    st.switch_page(home_page(reader), query_params=filters.carried_query_params())


forward = st.Page(open_home, title="Repères", default=True, visibility="hidden")


def pages_for(reader: Account | None) -> list[st.Page]:
    """The pages of the account's profile: the département reads no school's page."""
    if reader is not None and reader.profile == DEPARTEMENT:
        return [forward, departement, confidentialite]
    return [forward, *school_pages, departement, confidentialite]


# Before anything of the release is read: who is reading? Signed out, the login page (the
# navigation is still declared, hidden, so that the address asked for opens once signed in).
reader = session.signed_in()
page = st.navigation(pages_for(reader), position="sidebar" if reader else "hidden")
if reader is None:
    session.login_page()
if page is forward:
    # Before the school picker rewrites the URL: the page forwarded to checks `?ecole=` itself.
    page.run()
entitlement = session.entitlement()


def show_unavailable(message: str, detail: str) -> None:
    st.title(page.title)
    st.error(message, icon=":material/info:")
    if detail:
        st.caption(f"Détail : {detail}")
    st.stop()


def choose_school(entitlement: Entitlement, schools: list[str]) -> str:
    """The sidebar picker over the entitled schools; one named in the URL wins over the session's.

    Another school, asked for by the URL or left in the session, is ignored with a notice that
    does not repeat its UAI: the first entitled school is shown instead.
    """
    refused = filters.refused_value(SCHOOL_KEY, schools)
    if refused is not None:
        notice = NOT_PUBLISHED_MESSAGE if entitlement.may_see(refused) else NOT_ENTITLED_MESSAGE
        st.warning(notice, icon=":material/block:")
    return filters.picker(SCHOOL_KEY, "Établissement (UAI)", schools)


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


session.sign_out_button()
if data.current_release() is None:
    show_unavailable(labels.MISSING_PUBLICATION_MESSAGE, data.published_db_location())
reads_schools = entitlement.profile != DEPARTEMENT
try:
    release = data.release_info()
    schools = data.schools(entitlement) if reads_schools else []
except data.PublicationUnavailable as error:
    show_unavailable(labels.UNREADABLE_PUBLICATION_MESSAGE, str(error))

if reads_schools:
    if not schools:
        show_unavailable(NONE_OF_YOUR_SCHOOLS_MESSAGE, "")
    choose_school(entitlement, schools)
elif SCHOOL_KEY in st.query_params:
    del st.query_params[SCHOOL_KEY]  # the département reads no single school
filters.keep_in_url()
st.sidebar.caption(describe_release(release))
try:
    page.run()
except data.PublicationUnavailable as error:
    show_unavailable(labels.UNREADABLE_PUBLICATION_MESSAGE, str(error))
except data.AccessDenied:
    show_unavailable(ACCESS_DENIED_MESSAGE, "")
st.divider()
st.caption(labels.PRIVACY_FOOTER)
