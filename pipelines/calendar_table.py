"""The school calendar as rows, so SQL models can tell school weeks from holidays.

Holidays come from maintained packages (pipelines/school_calendar.py); turning them into a
table once per run lets every model join on it instead of calling Python per row.
"""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.school_calendar import CalendarCoverageError, holiday_name, is_school_day


def school_year(day: date) -> str:
    """French school years run from September to August: 2025-09-01 is in "2025-2026"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def calendar_rows(first_day: date, zone: str) -> list[tuple]:
    """(day, week_start, school_year, is_school_day, holiday_name) until the data's coverage ends."""
    rows = []
    day = first_day
    while True:
        try:
            rows.append(
                (
                    day,
                    day - timedelta(days=day.weekday()),
                    school_year(day),
                    is_school_day(day, zone),
                    holiday_name(day, zone),
                )
            )
        except CalendarCoverageError:
            return rows
        day += timedelta(days=1)
