"""French school calendar: which days pupils are actually in a collège.

Indicators are read against the rhythm of the school year (an empty week in
the Toussaint holidays is not a drop in adoption), and the simulator needs the
same rhythm to place lessons. The dates come from maintained packages rather
than a hand-typed table, as the design requires (DESIGN.md §2, *calendar*):

* school holidays by zone, summer included, from ``vacances-scolaires-france``;
* public holidays (jours fériés) from ``holidays``.

The weekly rule is the collège one: lessons Monday to Friday (Wednesday
afternoon free but still a school day), nothing on Saturday or Sunday.
This module is pure: no framework imports, no I/O beyond the packages' own data.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

__all__ = [
    "SUPPORTED_ZONES",
    "CalendarCoverageError",
    "holiday_name",
    "is_school_day",
    "school_days",
]

SUPPORTED_ZONES = ("A", "B", "C")


class CalendarCoverageError(ValueError):
    """The holiday data does not cover the requested year.

    Guessing would silently turn a holiday into a school day and bend every
    rate computed on it, so an out-of-range date is an error, not a default.
    """


@lru_cache(maxsize=1)
def _school_holidays() -> SchoolHolidayDates:
    # Parses a ~14 000-line CSV on construction: build it once per process.
    return SchoolHolidayDates()


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> holidays.HolidayBase:
    # One object per year keeps lookups O(1) without letting the object grow
    # year by year as the package's lazy expansion would.
    return holidays.France(years=year, language="fr")


def _check_zone(zone: str) -> None:
    # The package only validates the zone on holiday dates; a typo must fail
    # on any date, not only in the holidays.
    if zone not in SUPPORTED_ZONES:
        raise ValueError(f"unknown school zone {zone!r}: expected one of {SUPPORTED_ZONES}")


def _school_holiday_name(day: date, zone: str) -> str | None:
    data = _school_holidays()
    try:
        on_holiday = data.is_holiday_for_zone(day, zone)
    except UnsupportedYearException as exc:
        raise CalendarCoverageError(
            f"vacances-scolaires-france has no data for {day.isoformat()} "
            f"(covered: {data.min_year}–{data.max_year}); upgrade the package"
        ) from exc
    if not on_holiday:
        return None
    return data.data[day]["nom_vacances"]


def holiday_name(day: date, zone: str = "C") -> str | None:
    """Name of the holiday that closes the school on ``day``, or ``None``.

    Dashboards annotate empty days with it. A public holiday inside school
    holidays (1 November in the Toussaint break) gets the public holiday's
    name because it is the more specific one. Weekends are not holidays and
    return ``None``.
    """
    _check_zone(zone)
    public = _public_holidays(day.year).get(day)
    if public is not None:
        return public
    return _school_holiday_name(day, zone)


@lru_cache(maxsize=8192)
def is_school_day(day: date, zone: str = "C") -> bool:
    """Whether collège pupils have lessons on ``day`` in ``zone``.

    Cached because the simulator and the marts ask about the same few hundred
    days millions of times.
    """
    _check_zone(zone)
    if day.weekday() >= 5:
        return False
    return holiday_name(day, zone) is None


def school_days(start: date, end: date, zone: str = "C") -> list[date]:
    """School days from ``start`` to ``end``, both included, in order.

    Inclusive on both ends to match the roster's inclusive enrolment periods.
    """
    if end < start:
        return []
    return [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if is_school_day(start + timedelta(days=i), zone)
    ]
