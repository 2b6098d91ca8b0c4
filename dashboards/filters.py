"""Filters that follow the reader from page to page and live in the URL, so a link can be shared.

Each filter has one key, used both in `st.session_state` and in the URL (`?ecole=0920001B`).
Streamlit drops the query string when the reader switches page, and forgets a widget's value
on a page that does not show it; so `picker` also keeps the value under a key of its own, and
`keep_in_url` (app.py, every run) writes the kept values back into the URL. To add a filter:
add its key to PERSISTENT, and place it with `picker` in app.py (every page) or in the pages
that use it; read it with `kept(key)` or the value `picker` returns. The school is app.py's; the
period (`period_picker`: a school year or a term) and the role (`role_picker`) are the pages', and
so is the class (the conseil de classe's picker): a link to the direction page taken after a
conseil de classe still names its class, for the next reader who opens the conseil de classe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import streamlit as st

SCHOOL = "ecole"
PERIOD = "periode"
ROLE = "profil"
CLASS = "classe"
# The filters carried from page to page and into shared links.
PERSISTENT = (SCHOOL, PERIOD, ROLE, CLASS)


def _kept_key(key: str) -> str:
    return f"{key}_retenu"


def kept(key: str) -> str | None:
    """The value last chosen for `key` in this session, whichever page chose it."""
    return st.session_state.get(_kept_key(key))


def keep_in_url() -> None:
    """Put back into the URL the filters chosen earlier that it lost in a change of page.

    A filter that the URL gives to a page without its picker (a shared link to the conseil de
    classe with `?profil=parent`) is kept too, for the next page that has it; that page's picker
    checks the value against its options. The school is checked by app.py before this is called.
    """
    for key in PERSISTENT:
        if key != SCHOOL and key in st.query_params:
            st.session_state[_kept_key(key)] = st.query_params[key]
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


# The period (`?periode=2025-2026` or `?periode=2025-2026-T1`) --------------------------------
# A school year, "since the rentrée", or one of its terms, as the marts define them
# (models/intermediate/int_weeks.sql): a week belongs to the school year and the term of its
# Thursday; the year starts in September; T1 runs from the rentrée to December, T2 from January
# to March, T3 from April to the summer.

TERMS = ("T1", "T2", "T3")
TERM_MONTHS = {"T1": (9, 12), "T2": (1, 3), "T3": (4, 8)}
TERM_SPANS = {"T1": "rentrée à décembre", "T2": "janvier à mars", "T3": "avril à l'été"}
FIRST_MONTH_OF_YEAR = 9


class Period(NamedTuple):
    """A school year or a term; a week is in it when its Thursday is in [first_day, last_day]."""

    key: str
    school_year: str
    term: str | None
    first_day: dt.date
    last_day: dt.date

    @property
    def label(self) -> str:
        if self.term is None:
            return f"Année {self.school_year} (depuis la rentrée)"
        return f"{self.term} {self.school_year} ({TERM_SPANS[self.term]})"

    def holds_week(self, week_start: dt.date) -> bool:
        return self.first_day <= week_start + dt.timedelta(days=3) <= self.last_day

    def holds_month(self, month_start: dt.date) -> bool:
        return self.first_day <= month_start <= self.last_day


def school_year_of(week_start: dt.date) -> str:
    thursday = week_start + dt.timedelta(days=3)
    first_year = thursday.year - (1 if thursday.month < FIRST_MONTH_OF_YEAR else 0)
    return f"{first_year}-{first_year + 1}"


def term_of(week_start: dt.date) -> str:
    month = (week_start + dt.timedelta(days=3)).month
    return next(term for term, (first, last) in TERM_MONTHS.items() if first <= month <= last)


def period(key: str) -> Period:
    """`2025-2026` (the school year) or `2025-2026-T2` (a term) as a Period; ValueError otherwise."""
    school_year, separator, term = key.partition("-T")
    first_year, _, second_year = school_year.partition("-")
    if not (first_year.isdigit() and second_year.isdigit() and int(second_year) == int(first_year) + 1):
        raise ValueError(f"not a period: {key!r}")
    start_year = int(first_year)
    if not separator:
        return Period(key, school_year, None, dt.date(start_year, 9, 1), dt.date(start_year + 1, 8, 31))
    term = f"T{term}"
    if term not in TERMS:
        raise ValueError(f"not a period: {key!r}")
    first_month, last_month = TERM_MONTHS[term]
    year = start_year if first_month >= FIRST_MONTH_OF_YEAR else start_year + 1
    last_day = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
    return Period(key, school_year, term, dt.date(year, first_month, 1), last_day)


def period_options(year_terms: Iterable[tuple[str, str]]) -> list[str]:
    """The periods to offer, latest first: each school year ("since the rentrée"), then its terms.

    `year_terms` are the (school year, term) pairs that the published weeks cover.
    """
    terms_by_year: dict[str, set[str]] = {}
    for school_year, term in year_terms:
        terms_by_year.setdefault(school_year, set()).add(term)
    options = []
    for school_year in sorted(terms_by_year, reverse=True):
        options.append(school_year)
        options += [f"{school_year}-{term}" for term in sorted(terms_by_year[school_year], reverse=True)]
    return options


def period_picker(year_terms: Iterable[tuple[str, str]]) -> Period | None:
    """The sidebar's period picker (None when no week is published); kept in the URL as `periode`."""
    options = period_options(year_terms)
    if not options:
        return None
    return period(picker(PERIOD, "Période", options, format_func=lambda key: period(key).label))


def role_picker(roles: Sequence[str], titles: dict[str, str]) -> str | None:
    """The sidebar's role picker over `roles` (None when there is none); kept in the URL as `profil`."""
    if not roles:
        return None
    return picker(ROLE, "Profil", list(roles), format_func=lambda role: titles.get(role, role))
