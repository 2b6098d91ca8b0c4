"""Filters that follow the reader from page to page and live in the URL, so a link can be shared.

Each filter has one key, used both in `st.session_state` and in the URL (`?ecole=0920001B`).
Streamlit drops the query string when the reader switches page, and forgets a widget's value
on a page that does not show it; so `picker` also keeps the value under a key of its own, and
`keep_in_url` (app.py, every run) writes the kept values back into the URL. To add a filter
(the period, the role): add its key to PERSISTENT, and place it with `picker` in app.py (every
page) or in the pages that use it; read it with `kept(key)` or the value `picker` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

SCHOOL = "ecole"
PERIOD = "periode"
ROLE = "profil"
# The filters carried from page to page and into shared links.
PERSISTENT = (SCHOOL, PERIOD, ROLE)


def _kept_key(key: str) -> str:
    return f"{key}_retenu"


def kept(key: str) -> str | None:
    """The value last chosen for `key` in this session, whichever page chose it."""
    return st.session_state.get(_kept_key(key))


def keep_in_url() -> None:
    """Put back into the URL the filters chosen earlier that it lost in a change of page."""
    for key in PERSISTENT:
        value = kept(key)
        if value is not None and key not in st.query_params:
            st.query_params[key] = value


def carried_query_params() -> dict[str, str]:
    """The persistent filters now in the URL, for `st.switch_page(..., query_params=...)`."""
    return {key: st.query_params[key] for key in PERSISTENT if key in st.query_params}


def refused_value(key: str, options: Sequence[str]) -> str | None:
    """What the URL, or else the session, asks for under `key` that `options` does not hold.

    For the school, `options` are the schools the reader is entitled to: a refused value is
    another school's UAI (a forged link, a stale session), to be ignored with a notice.
    """
    for value in (st.query_params.get(key), st.session_state.get(key), kept(key)):
        if value is not None and value not in options:
            return value
    return None


def _remember_in_url(key: str) -> None:
    st.query_params[key] = st.session_state[key]


def picker(
    key: str,
    label: str,
    options: Sequence[str],
    *,
    format_func: Callable[[str], str] = str,
    container=None,
) -> str:
    """A select box whose value lives in the session and in the URL under `key`.

    A value in the URL wins over the session's when it is one of `options`; any other value,
    from the URL or the session, is ignored: the first option is taken instead.
    """
    container = container or st.sidebar
    requested = st.query_params.get(key)
    if requested in options:
        st.session_state[key] = requested
    elif st.session_state.get(key) not in options:
        st.session_state[key] = kept(key) if kept(key) in options else options[0]
    value = container.selectbox(
        label,
        options,
        key=key,
        format_func=format_func,
        on_change=_remember_in_url,
        args=(key,),
    )
    st.session_state[_kept_key(key)] = value
    if st.query_params.get(key) != value:
        st.query_params[key] = value
    return value
