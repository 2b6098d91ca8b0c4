"""The signed-in reader of this browser session, and the login page every page sits behind.

Two ways in, both mapped to an entry of the accounts file (`dashboards/access.py`):
- a login and password (local accounts, for the demo and for schools without a provider);
- OpenID Connect through Streamlit's `st.login`, when `.streamlit/secrets.toml` has an
  `[auth]` section: the identity (`sub`, else a verified e-mail) must match an account.

The session keeps only the login; the account, and so what it may read, is looked up again in
the accounts file on every run, so that removing an account or a school takes effect at once.
Pages read `session.entitlement()` and pass it to every `dashboards.data` function.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import streamlit as st

from dashboards import access
from dashboards.access import Account, Entitlement

# Server-side session keys; no widget uses them, so a browser cannot set them.
ACCOUNT_KEY = "compte"
CURRENT_ACCOUNT_KEY = "compte_courant"
SIGN_IN_METHOD_KEY = "compte_connexion"
PASSWORD, OIDC = "mot_de_passe", "oidc"

FAILED_SIGN_IN_DELAY_SECONDS = 1.0
WRONG_CREDENTIALS_MESSAGE = "Identifiant ou mot de passe incorrect."
TOO_MANY_ATTEMPTS_MESSAGE = (
    "Trop de tentatives de connexion pour cet identifiant : réessayez dans quelques minutes."
)
NO_ACCOUNTS_MESSAGE = (
    "Aucun compte n'est configuré pour ce tableau de bord : l'administrateur doit en créer avec "
    "`reperes accounts add` (voir le README, « Comptes et accès »)."
)
UNKNOWN_IDENTITY_MESSAGE = (
    "Votre identité est reconnue, mais elle n'est associée à aucun compte Repères : demandez à "
    "l'administrateur du tableau de bord de vous ouvrir un accès."
)

_LOGGER = logging.getLogger(__name__)


@st.cache_resource
def _throttle() -> access.LoginThrottle:
    """One for the whole server: failed attempts count whatever the browser session."""
    return access.LoginThrottle()


def oidc_configured() -> bool:
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def _oidc_providers() -> list[str | None]:
    """None for a provider set directly in [auth]; else the names of its [auth.NAME] tables."""
    auth = st.secrets["auth"]
    if "client_id" in auth:
        return [None]
    return [name for name, value in auth.items() if isinstance(value, Mapping)]


def _read_accounts() -> Sequence[Account]:
    path = access.accounts_file_path()
    try:
        return access.read_accounts(path)
    except access.AccountsFileError as error:
        # The detail (file, line, problem) is for the operator's console, not for a visitor.
        _LOGGER.error("%s", error)
        st.title("Repères")
        st.error(NO_ACCOUNTS_MESSAGE, icon=":material/lock:")
        st.stop()


def account() -> Account:
    """The signed-in account, as `signed_in()` found it at the start of this run."""
    current = st.session_state.get(CURRENT_ACCOUNT_KEY)
    if current is None:
        raise RuntimeError("no account is signed in: app.py calls session.signed_in() first")
    return current


def entitlement() -> Entitlement:
    """What the signed-in account may read: pass it to every `dashboards.data` function."""
    return access.entitlement_for(account())


def signed_in() -> Account | None:
    """The account signed in to this session, looked up again in the accounts file; else None."""
    st.session_state.pop(CURRENT_ACCOUNT_KEY, None)
    found = _signed_in(_read_accounts())
    if found is not None:
        st.session_state[CURRENT_ACCOUNT_KEY] = found
    return found


def login_page() -> None:
    """The login form; the run stops there, so that nothing below is run signed out."""
    _login_page(_read_accounts())
    st.stop()


def _signed_in(accounts: Sequence[Account]) -> Account | None:
    login = st.session_state.get(ACCOUNT_KEY)
    if login is not None:
        found = access.find_account(accounts, login)
        if found is None:  # removed from the file since: the session ends
            _forget_session()
        return found
    if oidc_configured() and st.user.is_logged_in:
        found = access.account_for_identity(accounts, st.user.to_dict())
        if found is None:
            st.title("Repères")
            st.error(UNKNOWN_IDENTITY_MESSAGE, icon=":material/lock:")
            if st.button("Se déconnecter"):
                st.logout()
            st.stop()
        _sign_in(found, OIDC)
        return found
    return None


def _sign_in(signed_in: Account, method: str) -> None:
    st.session_state[ACCOUNT_KEY] = signed_in.login
    st.session_state[SIGN_IN_METHOD_KEY] = method


def _forget_session() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def sign_out() -> None:
    """Forget everything this session knew, the filters included; end the OIDC identity too."""
    method = st.session_state.get(SIGN_IN_METHOD_KEY)
    _forget_session()
    st.query_params.clear()
    if method == OIDC:
        st.logout()
    else:
        st.rerun()


def _login_page(accounts: Sequence[Account]) -> None:
    st.title("Repères")
    st.write("Connectez-vous pour voir les indicateurs de vos établissements.")
    if oidc_configured():
        for provider in _oidc_providers():
            label = "Se connecter avec l'ENT" if provider is None else f"Se connecter avec {provider}"
            if st.button(label, key=f"oidc_{provider}"):
                st.login(provider)
    if not any(item.password_hash for item in accounts):
        return
    with st.form("connexion", clear_on_submit=True):
        login = st.text_input("Identifiant", autocomplete="username")
        password = st.text_input("Mot de passe", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Se connecter")
    if not submitted:
        _preload_charts()
        return
    throttle = _throttle()
    if throttle.blocked(login):
        st.error(TOO_MANY_ATTEMPTS_MESSAGE, icon=":material/lock_clock:")
        return
    found = access.authenticate(accounts, login, password)
    if found is None:
        throttle.record_failure(login)
        time.sleep(FAILED_SIGN_IN_DELAY_SECONDS)
        st.error(WRONG_CREDENTIALS_MESSAGE, icon=":material/error:")
        return
    throttle.forget(login)
    _sign_in(found, PASSWORD)
    st.rerun()


PRELOAD_KEY = "prechargement-graphiques"


def _preload_charts() -> None:
    """An empty chart, hidden, under the login form: the browser fetches and compiles Plotly.

    Why: Streamlit loads Plotly's script (4.7 MB) with the first chart a page draws, and
    compiling it is most of the time between "Se connecter" and the first page drawn. Asked for
    by the login page, it is ready while the reader types. Drawn after the form, so the form
    comes first; no data of the release is read here.
    """
    import plotly.graph_objects as go

    st.html(f"<style>.st-key-{PRELOAD_KEY} {{ display: none; }}</style>")
    with st.container(key=PRELOAD_KEY):
        st.plotly_chart(go.Figure(), key=f"{PRELOAD_KEY}-plotly")


def sign_out_button() -> None:
    """Who is signed in, and the way out, at the bottom of the sidebar."""
    current = account()
    st.sidebar.caption(f"Connecté : {current.display_name} ({access.PROFILE_TITLES[current.profile]})")
    if st.sidebar.button("Se déconnecter", icon=":material/logout:"):
        sign_out()
