from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.school_calendar import (
    CalendarCoverageError,
    holiday_name,
    is_school_day,
    school_days,
)


def test_rentree_2025_is_a_school_day():
    assert date(2025, 9, 1).weekday() == 0
    assert is_school_day(date(2025, 9, 1))
    assert holiday_name(date(2025, 9, 1)) is None


def test_wednesday_is_a_school_day():
    assert is_school_day(date(2025, 9, 3))


def test_weekends_are_not_school_days_but_not_holidays_either():
    for day in (date(2025, 9, 6), date(2025, 9, 7), date(2026, 3, 14), date(2026, 3, 15)):
        assert day.weekday() >= 5
        assert not is_school_day(day)
        assert holiday_name(day) is None


def test_toussaint_2025_zone_c():
    # Zone C Toussaint break: Saturday 18 October to Sunday 2 November 2025.
    assert is_school_day(date(2025, 10, 17))
    assert not is_school_day(date(2025, 10, 20))
    assert holiday_name(date(2025, 10, 20)) == "Vacances de la Toussaint"
    assert not is_school_day(date(2025, 10, 31))
    assert is_school_day(date(2025, 11, 3))


def test_public_holidays_close_the_school():
    assert date(2025, 11, 11).weekday() == 1  # a Tuesday in term time
    assert not is_school_day(date(2025, 11, 11))
    assert holiday_name(date(2025, 11, 11)) == "Armistice"
    assert not is_school_day(date(2026, 5, 14))  # Ascension
    assert holiday_name(date(2026, 5, 14)) == "Ascension"
    assert not is_school_day(date(2026, 5, 1))


def test_public_holiday_inside_school_holidays_gets_its_own_name():
    assert holiday_name(date(2025, 11, 1)) == "Toussaint"
    assert holiday_name(date(2025, 12, 25)) == "Noël"


def test_summer_break_comes_from_the_package():
    assert not is_school_day(date(2025, 8, 20))
    assert holiday_name(date(2025, 8, 20)) == "Vacances d'été"
    assert not is_school_day(date(2026, 7, 15))
    assert is_school_day(date(2026, 7, 3))  # last day before the 2026 summer break


def test_zones_differ_in_winter():
    # Winter 2026: zone A from 7 to 22 February, zone C from 21 February to 8 March.
    tuesday = date(2026, 2, 10)
    assert not is_school_day(tuesday, "A")
    assert is_school_day(tuesday, "C")
    assert holiday_name(tuesday, "A") == "Vacances d'hiver"


def test_school_days_is_inclusive_and_ordered():
    # Week before Toussaint (5 days), two weeks of holidays, then 3 Nov. to 9 Nov. (5 days).
    days = school_days(date(2025, 10, 13), date(2025, 11, 9))
    assert len(days) == 10
    assert days[0] == date(2025, 10, 13)
    assert days[-1] == date(2025, 11, 7)
    assert days == sorted(days)
    assert school_days(date(2025, 9, 1), date(2025, 9, 1)) == [date(2025, 9, 1)]
    assert school_days(date(2025, 9, 2), date(2025, 9, 1)) == []
    # 11 November falls in the next week: four school days.
    assert len(school_days(date(2025, 11, 10), date(2025, 11, 16))) == 4


def test_a_school_year_has_about_36_weeks_of_lessons():
    n = len(school_days(date(2025, 9, 1), date(2026, 7, 3)))
    assert 165 <= n <= 180


def test_unknown_zone_is_rejected_on_any_date():
    with pytest.raises(ValueError, match="zone"):
        is_school_day(date(2025, 9, 2), "D")
    with pytest.raises(ValueError, match="zone"):
        holiday_name(date(2025, 10, 20), "c")


def test_dates_outside_the_package_data_are_an_error_not_a_guess():
    with pytest.raises(CalendarCoverageError):
        is_school_day(date(2045, 9, 4))


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)))
def test_school_day_rule(day):
    if is_school_day(day):
        assert day.weekday() < 5
        assert holiday_name(day) is None
    elif day.weekday() < 5:
        assert holiday_name(day) is not None


@given(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(min_value=0, max_value=40),
)
def test_school_days_agrees_with_is_school_day(start, span):
    end = start + timedelta(days=span)
    expected = [
        start + timedelta(days=i) for i in range(span + 1) if is_school_day(start + timedelta(days=i))
    ]
    assert school_days(start, end) == expected
