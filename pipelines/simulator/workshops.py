"""ENT training workshops: the log a référent keeps, and what the workshop changes.

The référent trains the schools whose teachers lag behind: the two schools with the lowest
teacher adoption in the middle of the period. Three workshops (fewer schools: the same school
again): the slowest school on ``cahier_de_textes`` and the next one on ``devoirs`` in a school
week with four school weeks of data on each side, then the slowest school on ``devoirs`` one
school week later (too recent to judge on a short period). Attendees are mostly the teachers who
do not use the ENT yet, as a workshop is meant for them; from the day after the workshop each of
those has a short session on school days now and then (a login, then the service trained on),
which is what ``workshop_effects`` should see as an effect. Drawn from their own random stream,
so the rest of the simulation is the same with or without them, up to the workshop day.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipelines.school_calendar import is_school_day

from ._common import CDT, DEVOIRS, ENSEIGNANT, SERVICES
from .population import Department

WORKSHOP_COLUMNS = ("workshop_date", "school_uai", "service", "attendees")
WINDOW_WEEKS = 4  # school weeks before and after a workshop that workshop_effects compares


@dataclass(frozen=True)
class Workshop:
    day: date
    school: int  # school index
    service: int  # service code
    attendees: int
    trained: np.ndarray  # global user indexes of the attendees who start using the service


def _school_weeks(start: date, end: date, zone: str) -> list[date]:
    """Mondays of the weeks of start..end that hold at least one school day."""
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday <= end:
        days = [monday + timedelta(days=offset) for offset in range(5)]
        if any(start <= day <= end and is_school_day(day, zone) for day in days):
            weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def _workshop_day(monday: date, start: date, end: date, zone: str) -> date:
    """Wednesday if it has school, else the first school day of the week."""
    days = [monday + timedelta(days=offset) for offset in (2, 0, 1, 3, 4)]
    for day in days:
        if start <= day <= end and is_school_day(day, zone):
            return day
    return max(start, min(end, monday))


def plan_workshops(dept: Department, seed: int) -> list[Workshop]:
    weeks = _school_weeks(dept.start, dept.end, dept.zone)
    if not weeks:
        return []
    middle = len(weeks) // 2
    if len(weeks) >= 2 * WINDOW_WEEKS + 1:
        middle = min(max(middle, WINDOW_WEEKS), len(weeks) - WINDOW_WEEKS - 1)
    first = _workshop_day(weeks[middle], dept.start, dept.end, dept.zone)
    later = _workshop_day(weeks[min(middle + 1, len(weeks) - 1)], dept.start, dept.end, dept.zone)
    days_in = (first - dept.start).days
    adoption = [school.adoption(days_in)[ENSEIGNANT] for school in dept.schools]
    adopted_share = [
        float(np.mean(dept.theta[school.teachers] < level)) if len(school.teachers) else 1.0
        for school, level in zip(dept.schools, adoption, strict=True)
    ]
    lagging = sorted(range(len(dept.schools)), key=lambda index: (adopted_share[index], index))
    slowest, next_slowest = lagging[0], lagging[min(1, len(lagging) - 1)]
    rng = np.random.default_rng([seed, 8])
    plan = [(first, slowest, CDT), (first, next_slowest, DEVOIRS), (later, slowest, DEVOIRS)]
    workshops = []
    for day, index, service in plan:
        school = dept.schools[index]
        level = school.adoption((day - dept.start).days)[ENSEIGNANT]
        teachers = school.teachers
        not_yet = teachers[dept.theta[teachers] >= level]
        already = teachers[dept.theta[teachers] < level]
        attendees = int(min(len(teachers), max(3, round(0.3 * len(teachers)))))
        # Non-users first: the workshop is meant for them; users fill the room.
        room = np.concatenate([rng.permutation(not_yet), rng.permutation(already)])[:attendees]
        trained = np.sort(room[np.isin(room, not_yet)])
        workshops.append(Workshop(day, index, service, attendees, trained))
    return workshops


def write_workshops(workshops: list[Workshop], dept: Department, path: Path) -> None:
    """The log as the contract's CSV: date, school, service, number of attendees; no names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(WORKSHOP_COLUMNS)
        for workshop in sorted(workshops, key=lambda item: (item.day, item.school, item.service)):
            writer.writerow(
                [
                    workshop.day.isoformat(),
                    dept.schools[workshop.school].uai,
                    SERVICES[workshop.service],
                    workshop.attendees,
                ]
            )
    temporary.replace(path)
