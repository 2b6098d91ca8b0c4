"""A simulated département's ENT: the landing files Repères ingests, from nothing.

Schools try Repères on it before connecting their own ENT, the demo and the
benchmarks run on it, and the pipeline's tests use it as a realistic input.
``simulate()`` writes what an ENT export would drop in the landing folder::

    out_dir/events/<YYYY-MM-DD>.<parquet|csv|jsonl>   one file per calendar day
    out_dir/roster/roster.csv                          the annuaire
    out_dir/workshops/workshops.csv                    the référent's training log

in the input contracts of DESIGN.md §2. The behaviour model (adoption ramp,
timetables, homework lifecycle, hourly profiles) is described in
``population`` and ``activity``; the training workshops, and the teachers they
get started on a service, in ``workshops``.

Realistic mess, small on purpose, so that every data-quality path downstream
has something to show:

* **re-deliveries**: ~0.2 % of a day's events appear again, identical (same
  ``event_id``, same content), at the top of the next day's file;
* **accounts missing from the roster**: per school, a guest (role ``autre``)
  and an account created after the annuaire export produce a handful of
  events (``SimulationSummary.unrostered_events``);
* **malformed roles**: a few rows per 100 000 carry a value outside the enum
  (``ELEVE?``, ``Relative``, ``prof`` …), at least one per school per run.

Everything is deterministic for a seed: the same arguments give byte-identical
files. Generation streams day by day, so memory does not grow with ``weeks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pipelines.school_calendar import SUPPORTED_ZONES

from ._common import ROLES, ParisClock
from .activity import (
    DayContext,
    Events,
    SchoolDaySimulator,
    concat,
    day_kind,
    empty_events,
    take,
)
from .population import Department, build_department
from .workshops import WORKSHOP_COLUMNS, plan_workshops, write_workshops
from .writer import EVENT_COLUMNS, FORMATS, ROSTER_COLUMNS, EventEncoder, write_events, write_roster

__all__ = [
    "EVENT_COLUMNS",
    "FORMATS",
    "ROSTER_COLUMNS",
    "WORKSHOP_COLUMNS",
    "SimulationSummary",
    "build_department",
    "department",
    "simulate",
]

REDELIVERY_RATE = 0.002
_DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.(parquet|csv|jsonl)$")


@dataclass(frozen=True)
class SimulationSummary:
    """What a run wrote, for the CLI, benchmarks and demo checks.

    ``events`` counts distinct events (distinct ``event_id``); ``rows`` counts
    the lines written, re-deliveries included. ``files`` counts the event files
    and the roster; ``workshops`` the rows of the workshop log written beside them.
    """

    schools: int
    accounts: int
    roster_rows: int
    events: int
    days: int
    files: int
    rows: int
    event_files: int
    redelivered_events: int
    unrostered_events: int
    bad_role_events: int
    homework: int
    cdt_entries: int
    start: date
    end: date
    seed: int
    file_format: str
    zone: str
    workshops: int = 0


def _clear_previous_run(events_dir: Path) -> None:
    # A shorter re-run into the same folder must not leave yesterday's extra days
    # behind; only files named like ours are touched.
    for path in events_dir.iterdir():
        if path.is_file() and _DAY_FILE.match(path.name):
            path.unlink()


def simulate(
    out_dir: Path,
    schools: int = 10,
    start: date = date(2025, 9, 1),
    weeks: int = 36,
    seed: int = 42,
    file_format: str = "parquet",
    progress: Callable[[str], None] | None = None,
    zone: str = "C",
) -> SimulationSummary:
    """Write ``weeks`` weeks of a département's ENT usage from ``start`` into ``out_dir``.

    ``progress`` receives one line per simulated week. Re-running into the same
    folder replaces the previous run's day files (only files named like ours).
    """
    if file_format not in FORMATS:
        raise ValueError(f"unknown file format {file_format!r}: expected one of {FORMATS}")
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    if zone not in SUPPORTED_ZONES:
        raise ValueError(f"unknown school zone {zone!r}: expected one of {SUPPORTED_ZONES}")
    say = progress or (lambda _msg: None)
    out_dir = Path(out_dir)
    n_days = weeks * 7
    end = start + timedelta(days=n_days - 1)

    dept = build_department(schools, start, end, seed, zone)
    roster = dept.roster_table()
    (out_dir / "roster").mkdir(parents=True, exist_ok=True)
    events_dir = out_dir / "events"
    events_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous_run(events_dir)
    write_roster(roster, out_dir / "roster" / "roster.csv")
    workshops = plan_workshops(dept, seed)
    write_workshops(workshops, dept, out_dir / "workshops" / "workshops.csv")
    say(
        f"{schools} schools, {dept.accounts:,} accounts, {roster.num_rows:,} roster rows; "
        f"simulating {start.isoformat()} → {end.isoformat()}"
    )

    clock = ParisClock(start, end)
    sims = [
        SchoolDaySimulator(dept, s, clock, seed, [w for w in workshops if w.school == s.index])
        for s in dept.schools
    ]
    encoder = EventEncoder(seed, dept.user_ids, [s.uai for s in dept.schools], dept.class_labels)
    day_rng = np.random.default_rng([seed, 4])
    counters = dict(events=0, rows=0, files=0, redelivered=0, unrostered=0, bad=0)
    carried: Events = empty_events()  # yesterday's events delivered a second time today
    carried_keys = np.zeros(0, dtype=np.int64)
    next_key = 0
    week_events = 0

    for i in range(n_days):
        day = start + timedelta(days=i)
        ctx = DayContext(
            day=day,
            ordinal=day.toordinal(),
            weekday=day.weekday(),
            kind=day_kind(day, zone),
            days_since_start=i,
            day_start_utc=clock.utc_of(day, 0, 0),
        )
        ev = concat([sim.day(ctx) for sim in sims])
        n = len(ev["t"])
        order = np.argsort(ev["t"], kind="stable")
        ev = take(ev, order)
        keys = np.arange(next_key, next_key + n, dtype=np.int64)
        next_key += n
        counters["events"] += n
        counters["unrostered"] += int(dept.is_ghost[ev["user"]].sum())
        counters["bad"] += int((ev["role"] >= len(ROLES)).sum())
        week_events += n

        out, out_keys = concat([carried, ev]), np.concatenate([carried_keys, keys])
        if len(out_keys):
            table = encoder.table(out, out_keys)
            write_events(table, events_dir / f"{day.isoformat()}.{file_format}", file_format, clock)
            counters["files"] += 1
            counters["rows"] += len(out_keys)
            counters["redelivered"] += len(out_keys) - n

        n_dup = int(day_rng.binomial(n, REDELIVERY_RATE)) if n else 0
        dup = np.sort(day_rng.choice(n, size=n_dup, replace=False)) if n_dup else np.zeros(0, int)
        carried, carried_keys = take(ev, dup), keys[dup]

        if (i + 1) % 7 == 0:
            say(f"week {(i + 1) // 7}/{weeks} (to {day.isoformat()}): {week_events:,} events")
            week_events = 0

    homework = sum(sim.homework for sim in sims)
    entries = sum(sim.cdt_entries for sim in sims)
    say(f"done: {counters['events']:,} events in {counters['files']:,} files")
    return SimulationSummary(
        schools=schools,
        accounts=dept.accounts,
        roster_rows=roster.num_rows,
        events=counters["events"],
        days=n_days,
        files=counters["files"] + 1,
        rows=counters["rows"],
        event_files=counters["files"],
        redelivered_events=counters["redelivered"],
        unrostered_events=counters["unrostered"],
        bad_role_events=counters["bad"],
        homework=homework,
        cdt_entries=entries,
        start=start,
        end=end,
        seed=seed,
        file_format=file_format,
        zone=zone,
        workshops=len(workshops),
    )


def department(schools: int, start: date, weeks: int, seed: int, zone: str = "C") -> Department:
    """The population ``simulate`` would use, without writing anything (for tests and demos)."""
    return build_department(schools, start, start + timedelta(days=weeks * 7 - 1), seed, zone)
