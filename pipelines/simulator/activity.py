"""What the accounts do, one (school, day) at a time, as vectorised numpy draws.

Behaviour model (all rates are per account, drawn once in ``population``):

* **Adoption** follows a logistic ramp per school after the start date; an
  account joins in once the school's adoption passes its own threshold, and
  some never do. Teachers and staff start higher than families.
* **Visits** (sessions) are Poisson per adopted account and day, scaled by the
  kind of day (school day, Wednesday, Saturday, Sunday, holiday) and placed in
  the day by a role-specific hourly profile: parents peak 19–22 h, pupils after
  school (16:30–21 h) and at lunch, with Wednesday afternoon free, teachers in
  the day and the evening, staff in office hours; nights keep only a trickle.
  Every session opens with ``portail``/``login``.
* **Lessons** drive teachers' ``cahier_de_textes``/``create``: after each
  lesson, with the teacher's diligence, right after class or in one evening
  session. Some entries carry a homework to hand in online (``devoirs``/
  ``create`` with ``due_at`` at a later lesson 2–8 days on, at its start time,
  08:00, or 23:59 the evening before; before holidays, the first lesson back).
* **Homework** is planned for the class's pupils when it is created: by their
  diligence they submit early, at the last minute, exactly at the deadline,
  late, or never; some re-submit; most look at it first. Planned events wait
  in per-day buckets, so memory depends on the homework horizon, not on the
  length of the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from pipelines.school_calendar import holiday_name, is_school_day

from ._common import (
    ACTUALITES,
    AUTRE,
    BAD_ROLE_CHOICES,
    CALENDRIER,
    CDT,
    COMMENT,
    CREATE,
    DELETE,
    DEVOIRS,
    ELEVE,
    ENSEIGNANT,
    ESPACE_COURS,
    LOGIN,
    MESSAGERIE,
    OBJ_CDT,
    OBJ_DEVOIR,
    OBJ_NONE,
    OBJ_THREAD,
    PARENT,
    PERSONNEL,
    PORTAIL,
    READ,
    RESSOURCES,
    SEND,
    SUBMIT,
    UPDATE,
    VIEW,
    ParisClock,
)
from .population import Department, School

if TYPE_CHECKING:
    from .workshops import Workshop

HOUR = 3600
FIELDS = ("t", "user", "role", "school", "service", "action", "cls", "disc", "okind", "okey", "due")
Events = dict[str, np.ndarray]

# Kinds of day, for rates and hourly profiles.
SCHOOL, WEDNESDAY, SATURDAY, SUNDAY, HOLIDAY = range(5)

# Visit-rate multiplier per role code and kind of day.
DAY_FACTOR = np.array(
    [
        [1.0, 0.9, 0.22, 0.40, 0.03],  # eleve
        [1.0, 0.9, 0.25, 0.35, 0.03],  # parent
        [1.0, 0.8, 0.15, 0.40, 0.05],  # enseignant
        [1.0, 0.8, 0.02, 0.02, 0.04],  # personnel
        [0.0, 0.0, 0.00, 0.00, 0.00],  # autre (ghosts are scheduled, not drawn)
    ]
)

# Relative visit weight per hour of the day (Paris time), per role and kind of day,
# in tenths; "n" is the night trickle (0.02). Read across a line to see the day.
_PROFILE_TABLE = """
# hour:              0 1 2 3 4 5 6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
eleve      school    n n n n n n 3 16  6  4  5  6 18 10  4  4 16 36 42 40 34 20  7  2
eleve      wednesday n n n n n n 3 16  6  4  5  8 22 24 28 28 28 32 34 32 28 18  7  2
eleve      saturday  n n n n n n n  1  3  8 15 18 12 12 18 20 20 20 18 14 12 10  6  2
eleve      sunday    n n n n n n n  1  2  5 10 12  8  9 14 18 22 28 32 32 28 20  8  2
eleve      holiday   n n n n n n n  1  2  5 12 15 10 12 16 18 18 18 16 14 12 10  6  2
parent     school    n n n n n n 4 18 14  8  6  6 13 12  7  6  8 12 20 36 42 38 18  4
parent     wednesday n n n n n n 4 18 14  9  8  8 13 12 10  9  9 12 20 34 40 36 18  4
parent     saturday  n n n n n n n  3  8 16 18 15 10  9 10 10 10 12 15 20 22 20 12  3
parent     sunday    n n n n n n n  2  6 12 15 13  9  8 10 11 12 15 20 28 32 28 14  3
parent     holiday   n n n n n n n  3  8 12 13 12 10  9 10 10 10 11 13 18 20 18 10  3
enseignant school    n n n n n n 4 20 16 16 18 18 26 20 16 16 22 26 20 16 26 28 16  4
enseignant wednesday n n n n n n 4 20 16 16 18 18 22 16 18 20 20 20 16 14 24 26 14  4
enseignant saturday  n n n n n n n  2  6 12 16 14  8  8 14 16 16 14 12 10 12 12  6  2
enseignant sunday    n n n n n n n  2  4  8 12 12  6  8 16 20 22 22 20 18 26 28 14  3
enseignant holiday   n n n n n n n  2  5 10 14 14  8  9 14 16 16 14 12 10 12 12  6  2
personnel  school    n n n n n n 3 15 40 42 40 38 20 30 40 38 35 25 10  3  2  1  1  n
personnel  wednesday n n n n n n 3 15 40 42 40 38 20 26 32 30 28 20  8  3  2  1  1  n
personnel  saturday  n n n n n n n  2  8 15 15 12  5  5  8  8  6  4  2  1  1  1  n  n
personnel  sunday    n n n n n n n  1  3  6  8  6  3  3  6  8  8  8  6  4  4  3  1  n
personnel  holiday   n n n n n n n  3 12 16 16 14  6 10 14 14 10  6  2  1  1  1  n  n
"""
_ROLE_NAMES = {"eleve": ELEVE, "parent": PARENT, "enseignant": ENSEIGNANT, "personnel": PERSONNEL}
_KIND_NAMES = {
    "school": SCHOOL,
    "wednesday": WEDNESDAY,
    "saturday": SATURDAY,
    "sunday": SUNDAY,
    "holiday": HOLIDAY,
}


def _parse_profiles(text: str) -> dict[int, dict[int, np.ndarray]]:
    out: dict[int, dict[int, np.ndarray]] = {}
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue
        role, kind, *hours = line.split()
        w = np.array([0.2 if h == "n" else float(h) for h in hours])
        if len(w) != 24:
            raise ValueError(f"hourly profile needs 24 values: {line!r}")
        out.setdefault(_ROLE_NAMES[role], {})[_KIND_NAMES[kind]] = np.cumsum(w) / w.sum()
    return out


_CUM_PROFILES = _parse_profiles(_PROFILE_TABLE)


@dataclass(frozen=True)
class _Catalog:
    """What a role does inside a session after logging in, with weights."""

    service: np.ndarray
    action: np.ndarray
    attach: np.ndarray  # the action concerns a class (and the teacher's discipline)
    okind: np.ndarray
    cum: np.ndarray

    @classmethod
    def of(cls, rows: list[tuple[int, int, float, bool, int]]) -> _Catalog:
        w = np.array([r[2] for r in rows])
        return cls(
            service=np.array([r[0] for r in rows], dtype=np.int64),
            action=np.array([r[1] for r in rows], dtype=np.int64),
            attach=np.array([r[3] for r in rows]),
            okind=np.array([r[4] for r in rows], dtype=np.int64),
            cum=np.cumsum(w) / w.sum(),
        )


_CATALOGS = {
    ELEVE: _Catalog.of(
        [
            (CDT, VIEW, 0.22, True, OBJ_NONE),
            (DEVOIRS, VIEW, 0.08, True, OBJ_DEVOIR),  # an open homework of the class
            (MESSAGERIE, READ, 0.13, False, OBJ_THREAD),
            (MESSAGERIE, SEND, 0.03, False, OBJ_THREAD),
            (ESPACE_COURS, VIEW, 0.16, True, OBJ_NONE),
            (ESPACE_COURS, COMMENT, 0.02, True, OBJ_NONE),
            (RESSOURCES, VIEW, 0.12, False, OBJ_NONE),
            (CALENDRIER, VIEW, 0.06, False, OBJ_NONE),
            (ACTUALITES, VIEW, 0.06, False, OBJ_NONE),
            (PORTAIL, VIEW, 0.08, False, OBJ_NONE),
        ]
    ),
    PARENT: _Catalog.of(
        [
            (MESSAGERIE, READ, 0.58, False, OBJ_THREAD),
            (MESSAGERIE, SEND, 0.04, False, OBJ_THREAD),
            (DEVOIRS, VIEW, 0.09, True, OBJ_NONE),
            (CDT, VIEW, 0.11, True, OBJ_NONE),
            (ACTUALITES, VIEW, 0.10, False, OBJ_NONE),
            (CALENDRIER, VIEW, 0.05, False, OBJ_NONE),
            (PORTAIL, VIEW, 0.03, False, OBJ_NONE),
        ]
    ),
    ENSEIGNANT: _Catalog.of(
        [
            (CDT, VIEW, 0.11, True, OBJ_NONE),
            (CDT, UPDATE, 0.04, True, OBJ_NONE),
            (CDT, DELETE, 0.005, True, OBJ_NONE),
            (DEVOIRS, VIEW, 0.10, True, OBJ_NONE),
            (DEVOIRS, COMMENT, 0.03, True, OBJ_NONE),
            (DEVOIRS, UPDATE, 0.015, True, OBJ_NONE),
            (MESSAGERIE, READ, 0.18, False, OBJ_THREAD),
            (MESSAGERIE, SEND, 0.08, False, OBJ_THREAD),
            (ESPACE_COURS, VIEW, 0.10, True, OBJ_NONE),
            (ESPACE_COURS, CREATE, 0.03, True, OBJ_NONE),
            (ESPACE_COURS, UPDATE, 0.05, True, OBJ_NONE),
            (RESSOURCES, VIEW, 0.08, False, OBJ_NONE),
            (CALENDRIER, VIEW, 0.05, False, OBJ_NONE),
            (ACTUALITES, VIEW, 0.04, False, OBJ_NONE),
            (PORTAIL, VIEW, 0.06, False, OBJ_NONE),
        ]
    ),
    PERSONNEL: _Catalog.of(
        [
            (MESSAGERIE, READ, 0.33, False, OBJ_THREAD),
            (MESSAGERIE, SEND, 0.14, False, OBJ_THREAD),
            (MESSAGERIE, DELETE, 0.02, False, OBJ_THREAD),
            (ACTUALITES, CREATE, 0.025, False, OBJ_NONE),
            (ACTUALITES, UPDATE, 0.015, False, OBJ_NONE),
            (ACTUALITES, VIEW, 0.07, False, OBJ_NONE),
            (CALENDRIER, VIEW, 0.12, False, OBJ_NONE),
            (CALENDRIER, CREATE, 0.04, False, OBJ_NONE),
            (CALENDRIER, UPDATE, 0.03, False, OBJ_NONE),
            (CDT, VIEW, 0.06, True, OBJ_NONE),  # vie scolaire checks a class's record
            (DEVOIRS, VIEW, 0.02, True, OBJ_NONE),
            (PORTAIL, VIEW, 0.08, False, OBJ_NONE),
            (RESSOURCES, VIEW, 0.05, False, OBJ_NONE),
        ]
    ),
    AUTRE: _Catalog.of(
        [
            (ACTUALITES, VIEW, 0.3, False, OBJ_NONE),
            (RESSOURCES, VIEW, 0.3, False, OBJ_NONE),
            (MESSAGERIE, READ, 0.2, False, OBJ_THREAD),
            (PORTAIL, VIEW, 0.2, False, OBJ_NONE),
        ]
    ),
}
# Mean actions after login per session, and mean seconds between two clicks.
_ACTIONS_MEAN = {ELEVE: 5.5, PARENT: 1.8, ENSEIGNANT: 6.0, PERSONNEL: 4.0, AUTRE: 2.0}
_GAP_MEAN = {ELEVE: 45.0, PARENT: 35.0, ENSEIGNANT: 50.0, PERSONNEL: 60.0, AUTRE: 40.0}

BAD_ROLE_RATE = 3e-5  # "a few rows per 100 000"
# Sessions per school day of a teacher who started on a service at a workshop (see ``workshops``).
TRAINED_SESSION_RATE = 0.6


def empty_events() -> Events:
    return {k: np.zeros(0, dtype=np.uint64 if k == "okey" else np.int64) for k in FIELDS}


def make_events(n: int, **cols: np.ndarray | int) -> Events:
    out: Events = {}
    defaults = {"cls": -1, "disc": -1, "okind": OBJ_NONE, "okey": 0, "due": -1}
    for k in FIELDS:
        v = cols.get(k, defaults.get(k))
        if v is None:
            raise KeyError(k)
        dtype = np.uint64 if k == "okey" else np.int64
        out[k] = np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()
    return out


def concat(parts: list[Events]) -> Events:
    parts = [p for p in parts if len(p["t"])]
    if not parts:
        return empty_events()
    if len(parts) == 1:
        return parts[0]
    return {k: np.concatenate([p[k] for p in parts]) for k in FIELDS}


def take(ev: Events, idx: np.ndarray) -> Events:
    return {k: v[idx] for k, v in ev.items()}


@dataclass(frozen=True)
class DayContext:
    day: date
    ordinal: int
    weekday: int
    kind: int  # SCHOOL, WEDNESDAY, SATURDAY, SUNDAY or HOLIDAY
    days_since_start: int
    day_start_utc: int


def day_kind(day: date, zone: str) -> int:
    if is_school_day(day, zone):
        return WEDNESDAY if day.weekday() == 2 else SCHOOL
    if holiday_name(day, zone) is not None:
        return HOLIDAY
    return SATURDAY if day.weekday() == 5 else SUNDAY


class SchoolDaySimulator:
    """Carries one school through the period; ``day()`` must be called in date order."""

    def __init__(
        self,
        dept: Department,
        school: School,
        clock: ParisClock,
        seed: int,
        workshops: Sequence[Workshop] = (),
    ) -> None:
        self.dept = dept
        self.school = school
        self.clock = clock
        self.rng = np.random.default_rng([seed, 3, school.index])
        # Workshops draw from their own stream: without them, the rest is drawn the same.
        self.workshops = tuple(workshops)
        self.trained_rng = np.random.default_rng([seed, 9, school.index])
        self.pending: dict[int, list[Events]] = defaultdict(list)
        self.entry_counter = 0
        self.hw_counter = 0
        self.bad_planted = False
        # Homework still worth looking at: key, class, discipline, creation day, due (UTC).
        self.hw = {k: np.zeros(0, dtype=np.int64) for k in ("key", "cls", "disc", "day", "due")}
        n_accounts = (
            len(set(school.pupils.user.tolist()))
            + len(set(school.parents.user.tolist()))
            + len(school.teachers)
            + len(school.staff)
        )
        self.n_threads = max(20, n_accounts // 4)
        # Classes of each teacher (in school.teachers order) as offsets into a flat array.
        rows = school.teacher_rows
        pos = {int(t): i for i, t in enumerate(school.teachers)}
        owner = np.array([pos[int(u)] for u in rows.user], dtype=np.int64)
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=len(school.teachers))
        self.teacher_cls_off = np.concatenate([[0], np.cumsum(counts)])
        self.teacher_cls_flat = rows.cls[order]
        self.teacher_position = pos
        self.cdt_entries = 0
        self.homework = 0

    # --- helpers ----------------------------------------------------------------------

    def _local_seconds(self, cum_profile: np.ndarray, n: int) -> np.ndarray:
        hour = np.searchsorted(cum_profile, self.rng.random(n), side="right")
        return np.minimum(hour, 23) * HOUR + self.rng.integers(0, HOUR, n)

    def _thread_keys(self, ctx: DayContext, n: int) -> np.ndarray:
        week = ctx.days_since_start // 7
        base = (self.school.index << 40) | (week << 24)
        return (base + self.rng.integers(0, self.n_threads, n)).astype(np.uint64)

    def _open_homework_for(self, ctx: DayContext, cls: np.ndarray) -> np.ndarray:
        """A homework key of each class that pupils could be looking at today, or -1."""
        hw = self.hw
        ok = (hw["day"] < ctx.ordinal) & (hw["due"] >= ctx.day_start_utc - 3 * 86_400)
        keys, hcls = hw["key"][ok], hw["cls"][ok]
        out = np.full(len(cls), -1, dtype=np.int64)
        if len(keys) == 0 or len(cls) == 0:
            return out
        order = np.argsort(hcls, kind="stable")
        keys, hcls = keys[order], hcls[order]
        lo = np.searchsorted(hcls, cls, side="left")
        hi = np.searchsorted(hcls, cls, side="right")
        has = hi > lo
        pick = lo + np.floor(self.rng.random(len(cls)) * (hi - lo)).astype(np.int64)
        out[has] = keys[pick[has]]
        return out

    def _sessions(
        self,
        ctx: DayContext,
        role: int,
        users: np.ndarray,
        n_sessions: np.ndarray,
        session_cls: np.ndarray,
        session_disc: np.ndarray,
        start: np.ndarray | None = None,
    ) -> Events:
        """Expand sessions (user, class context) into login + clicks, vectorised."""
        rng = self.rng
        su = np.repeat(users, n_sessions)
        m = len(su)
        if m == 0:
            return empty_events()
        scls = np.repeat(session_cls, n_sessions)
        sdisc = np.repeat(session_disc, n_sessions)
        if start is None:
            start = self._local_seconds(_CUM_PROFILES[role][ctx.kind], m)
        mean = _ACTIONS_MEAN[role]
        n_act = rng.geometric(1.0 / (1.0 + mean), m)  # includes the login
        total = int(n_act.sum())
        sess = np.repeat(np.arange(m), n_act)
        first = np.cumsum(n_act) - n_act
        pos = np.arange(total) - first[sess]
        gaps = rng.exponential(_GAP_MEAN[role], total)
        gaps[first] = 0.0
        cg = np.cumsum(gaps)
        t_local = start[sess] + (cg - cg[first][sess])
        t_local = np.clip(t_local.astype(np.int64), 0, 86_399)
        cat = _CATALOGS[role]
        pick = np.searchsorted(cat.cum, rng.random(total), side="right")
        pick = np.minimum(pick, len(cat.cum) - 1)
        login = pos == 0
        service = np.where(login, PORTAIL, cat.service[pick])
        action = np.where(login, LOGIN, cat.action[pick])
        attach = cat.attach[pick] & ~login
        okind = np.where(login, OBJ_NONE, cat.okind[pick])
        cls = np.where(attach, scls[sess], -1)
        disc = np.where(attach, sdisc[sess], -1)
        okey = np.zeros(total, dtype=np.uint64)
        thread = okind == OBJ_THREAD
        okey[thread] = self._thread_keys(ctx, int(thread.sum()))
        hwv = okind == OBJ_DEVOIR
        if hwv.any():
            keys = self._open_homework_for(ctx, cls[hwv])
            okey[hwv] = np.maximum(keys, 0).astype(np.uint64)
            okind[np.flatnonzero(hwv)[keys < 0]] = OBJ_NONE
        return make_events(
            total,
            t=self.clock.day_to_utc(ctx.day, t_local),
            user=su[sess],
            role=role,
            school=self.school.index,
            service=service,
            action=action,
            cls=cls,
            disc=disc,
            okind=okind,
            okey=okey,
        )

    # --- roles ------------------------------------------------------------------------

    def _draw(self, ctx: DayContext, role: int, users: np.ndarray, adoption: np.ndarray):
        dept = self.dept
        adopted = dept.theta[users] < adoption[role]
        lam = dept.rate[users] * DAY_FACTOR[role, ctx.kind] * adopted
        return self.rng.poisson(lam)

    def _pupils(self, ctx: DayContext, adoption: np.ndarray) -> Events:
        rows = self.school.pupils
        on = rows.active_on(ctx.ordinal)
        users, cls = rows.user[on], rows.cls[on]
        n = self._draw(ctx, ELEVE, users, adoption)
        return self._sessions(ctx, ELEVE, users, n, cls, np.full(len(users), -1))

    def _parents(self, ctx: DayContext, adoption: np.ndarray) -> Events:
        rows = self.school.parents
        on = np.flatnonzero(rows.active_on(ctx.ordinal))
        # One visit draw per parent; a parent of siblings looks at one child's class per visit.
        on = on[self.rng.permutation(len(on))]
        users, first = np.unique(rows.user[on], return_index=True)
        cls = rows.cls[on][first]
        n = self._draw(ctx, PARENT, users, adoption)
        return self._sessions(ctx, PARENT, users, n, cls, np.full(len(users), -1))

    def _teachers(self, ctx: DayContext, adoption: np.ndarray) -> Events:
        s = self.school
        users = s.teachers
        n = self._draw(ctx, ENSEIGNANT, users, adoption)
        # A class among those the teacher has, per session.
        idx = np.repeat(np.arange(len(users)), n)
        lo, hi = self.teacher_cls_off[idx], self.teacher_cls_off[idx + 1]
        pick = lo + np.floor(self.rng.random(len(idx)) * (hi - lo)).astype(np.int64)
        cls = self.teacher_cls_flat[pick]
        disc = s.teacher_disc[idx]
        ones = np.ones(len(idx), dtype=np.int64)
        return self._sessions(ctx, ENSEIGNANT, users[idx], ones, cls, disc)

    def _staff(self, ctx: DayContext, adoption: np.ndarray) -> Events:
        s = self.school
        n = self._draw(ctx, PERSONNEL, s.staff, adoption)
        cls = self.rng.integers(0, len(s.class_labels), len(s.staff))
        return self._sessions(ctx, PERSONNEL, s.staff, n, cls, np.full(len(s.staff), -1))

    def _ghosts(self, ctx: DayContext) -> Events:
        parts = []
        for ordinal, user in self.school.ghost_visits:
            if ordinal != ctx.ordinal:
                continue
            start = self.rng.integers(9 * HOUR, 17 * HOUR, 1)
            one, none = np.array([user]), np.array([-1])
            ev = self._sessions(ctx, AUTRE, one, np.ones(1, dtype=np.int64), none, none, start)
            ev["role"][:] = self.dept.role[user]
            parts.append(ev)
        return concat(parts)

    def _trained(self, ctx: DayContext) -> Events:
        """From the day after a workshop, on school days, the teachers it got started: now and
        then a short session, a login then a look at the service they were trained on."""
        if ctx.kind not in (SCHOOL, WEDNESDAY):
            return empty_events()
        rng, parts = self.trained_rng, []
        for workshop in self.workshops:
            if workshop.day >= ctx.day or len(workshop.trained) == 0:
                continue
            users = np.repeat(workshop.trained, rng.poisson(TRAINED_SESSION_RATE, len(workshop.trained)))
            m = len(users)
            if m == 0:
                continue
            hour = np.searchsorted(_CUM_PROFILES[ENSEIGNANT][ctx.kind], rng.random(m), side="right")
            login = np.minimum(hour, 23) * HOUR + rng.integers(0, HOUR - 300, m)
            look = login + rng.integers(20, 240, m)
            # One of the teacher's classes, and their discipline, as the catalog's class actions carry.
            index = np.array([self.teacher_position[int(user)] for user in users], dtype=np.int64)
            low, high = self.teacher_cls_off[index], self.teacher_cls_off[index + 1]
            cls = self.teacher_cls_flat[low + np.floor(rng.random(m) * (high - low)).astype(np.int64)]
            common = dict(user=users, role=ENSEIGNANT, school=self.school.index)
            parts.append(
                make_events(
                    m, t=self.clock.day_to_utc(ctx.day, login), service=PORTAIL, action=LOGIN, **common
                )
            )
            parts.append(
                make_events(
                    m,
                    t=self.clock.day_to_utc(ctx.day, look),
                    service=workshop.service,
                    action=VIEW,
                    cls=cls,
                    disc=self.school.teacher_disc[index],
                    **common,
                )
            )
        return concat(parts)

    # --- lessons and homework ---------------------------------------------------------

    def _due(self, ctx: DayContext, cls: int, disc: int) -> int:
        """Deadline of a homework: a later lesson of the same class and discipline."""
        s = self.school
        starts = s.lesson_start.get((cls, disc), {})
        zone = self.dept.zone
        for k in range(2, 9):
            day = ctx.day + timedelta(days=k)
            minute = starts.get(day.weekday())
            if minute is None or not s.has_lessons(day, zone):
                continue
            style = self.rng.random()
            if style < 0.5:
                return self.clock.utc_of(day, minute // 60, minute % 60)
            if style < 0.75 or k < 3:
                return self.clock.utc_of(day, 8, 0)
            return self.clock.utc_of(day - timedelta(days=1), 23, 59)
        # Holidays ahead: due at the first lesson back (or a week later if none is found).
        for k in range(9, 23):
            day = ctx.day + timedelta(days=k)
            minute = starts.get(day.weekday())
            if minute is not None and s.has_lessons(day, zone):
                return self.clock.utc_of(day, minute // 60, minute % 60)
        return self.clock.utc_of(ctx.day + timedelta(days=7), 23, 59)

    def _lessons(self, ctx: DayContext, adoption: np.ndarray) -> tuple[list[Events], Events]:
        """Teachers' entries and homework after today's lessons; returns (events, homework)."""
        s, dept, rng = self.school, self.dept, self.rng
        lessons = s.timetable[ctx.weekday]
        t = lessons.teacher
        posted = (dept.theta[t] < adoption[ENSEIGNANT]) & (rng.random(len(t)) < dept.diligence[t])
        idx = np.flatnonzero(posted)
        if len(idx) == 0:
            return [], {}
        teacher, cls, disc = t[idx], lessons.cls[idx], lessons.disc[idx]
        end = lessons.end_min[idx] * 60
        right_after = rng.random(len(idx)) < 0.4
        login = np.where(right_after, end + rng.integers(60, 900, len(idx)), 0)
        create = login + rng.integers(20, 120, len(idx))
        # The others are typed in one evening session per teacher.
        later = np.flatnonzero(~right_after)
        if len(later):
            order = later[np.lexsort((end[later], teacher[later]))]
            tt = teacher[order]
            new = np.concatenate([[True], tt[1:] != tt[:-1]])
            group = np.cumsum(new) - 1
            session_start = rng.integers(int(18.25 * HOUR), int(22.5 * HOUR), int(group[-1]) + 1)
            rank = np.arange(len(order)) - np.flatnonzero(new)[group]
            step = rng.integers(90, 240, len(order))
            login[order] = np.where(new, session_start[group], -1)
            create[order] = session_start[group] + 60 + rank * step + rng.integers(0, 60, len(order))
        create = np.minimum(create, 86_300)
        has_hw = rng.random(len(idx)) < dept.propensity[teacher]
        n = len(idx)
        entry_keys = (s.index << 40) + self.entry_counter + np.arange(n)
        self.entry_counter += n
        self.cdt_entries += n
        parts = []
        with_login = np.flatnonzero(login >= 0)
        parts.append(
            make_events(
                len(with_login),
                t=self.clock.day_to_utc(ctx.day, login[with_login]),
                user=teacher[with_login],
                role=ENSEIGNANT,
                school=s.index,
                service=PORTAIL,
                action=LOGIN,
            )
        )
        parts.append(
            make_events(
                n,
                t=self.clock.day_to_utc(ctx.day, create),
                user=teacher,
                role=ENSEIGNANT,
                school=s.index,
                service=CDT,
                action=CREATE,
                cls=cls,
                disc=disc,
                okind=OBJ_CDT,
                okey=entry_keys.astype(np.uint64),
            )
        )
        hw_idx = np.flatnonzero(has_hw)
        if len(hw_idx) == 0:
            return parts, {}
        k = len(hw_idx)
        hw_keys = (s.index << 40) + self.hw_counter + np.arange(k)
        self.hw_counter += k
        self.homework += k
        created = self.clock.day_to_utc(
            ctx.day, np.minimum(create[hw_idx] + rng.integers(20, 150, k), 86_399)
        )
        due = np.array([self._due(ctx, int(cls[i]), int(disc[i])) for i in hw_idx], dtype=np.int64)
        parts.append(
            make_events(
                k,
                t=created,
                user=teacher[hw_idx],
                role=ENSEIGNANT,
                school=s.index,
                service=DEVOIRS,
                action=CREATE,
                cls=cls[hw_idx],
                disc=disc[hw_idx],
                okind=OBJ_DEVOIR,
                okey=hw_keys.astype(np.uint64),
                due=due,
            )
        )
        new_hw = {
            "key": hw_keys,
            "cls": cls[hw_idx],
            "disc": disc[hw_idx],
            "created": created,
            "due": due,
        }
        return parts, new_hw

    def _avoid_night(self, t: np.ndarray, forward: bool) -> np.ndarray:
        """Move instants that fall in the night to the evening before or the next morning."""
        off = self.clock.offset(t)
        sec = (t + off) % 86_400
        night = (sec < 6.5 * HOUR) | (sec >= 23.5 * HOUR)
        if not night.any():
            return t
        rng = self.rng
        n = len(t)
        if forward:
            target = np.where(
                rng.random(n) < 0.5,
                rng.integers(7 * HOUR, 8 * HOUR, n),
                rng.integers(17 * HOUR, 21 * HOUR, n),
            )
            shift = np.where(sec < 6.5 * HOUR, target - sec, 86_400 - sec + target)
        else:
            target = rng.integers(19 * HOUR, 23 * HOUR, n)
            shift = np.where(sec < 6.5 * HOUR, -(sec + 86_400 - target), target - sec)
        return np.where(night, t + shift, t)

    def _plan_homework(self, ctx: DayContext, hw: Events, adoption: np.ndarray) -> list[Events]:
        """Draw every pupil's views and submissions of today's homework, at creation time."""
        s, dept, rng = self.school, self.dept, self.rng
        rows = s.pupils
        on = np.flatnonzero(rows.active_on(ctx.ordinal))
        on = on[np.argsort(rows.cls[on], kind="stable")]
        pcls = rows.cls[on]
        lo = np.searchsorted(pcls, hw["cls"], side="left")
        cnt = np.searchsorted(pcls, hw["cls"], side="right") - lo
        h = np.repeat(np.arange(len(cnt)), cnt)  # homework of each (homework, pupil) pair
        if len(h) == 0:
            return []
        within = np.arange(len(h)) - (np.cumsum(cnt) - cnt)[h]
        row = on[lo[h] + within]
        user = rows.user[row]
        created, due = hw["created"][h], hw["due"][h]
        n = len(h)
        dil = dept.diligence[user]
        adopted = dept.theta[user] < adoption[ELEVE]
        submit = adopted & (rng.random(n) < 0.08 + 0.88 * dil**0.8)
        late = submit & (rng.random(n) < 0.04 + 0.5 * (1 - dil) ** 2)
        exact = submit & ~late & (rng.random(n) < 0.03)
        floor = created + 900
        early = due - rng.exponential(4 * HOUR + 36 * HOUR * dil)
        early = np.clip(early.astype(np.int64), floor, due - 30)
        early = np.clip(self._avoid_night(early, forward=False), floor, due - 30)
        tardy = due + 600 + rng.exponential(30 * HOUR * (1.2 - dil))
        tardy = self._avoid_night(np.minimum(tardy.astype(np.int64), due + 14 * 86_400), True)
        ts = np.where(late, tardy, np.where(exact, due, early))

        parts: list[Events] = []
        pairs: list[np.ndarray] = []

        def emit(mask: np.ndarray, times: np.ndarray, service: int, action: int, obj: bool):
            ii = np.flatnonzero(mask)
            hh = h[ii]
            pairs.append(ii)
            parts.append(
                make_events(
                    len(ii),
                    t=times[ii],
                    user=user[ii],
                    role=ELEVE,
                    school=s.index,
                    service=service,
                    action=action,
                    cls=hw["cls"][hh] if obj else -1,
                    disc=hw["disc"][hh] if obj else -1,
                    okind=OBJ_DEVOIR if obj else OBJ_NONE,
                    okey=hw["key"][hh].astype(np.uint64) if obj else 0,
                )
            )

        # Submission session: login, a look at the homework, the upload.
        lead = rng.integers(40, 600, n)
        emit(submit, ts - lead, PORTAIL, LOGIN, False)
        emit(submit, ts - (lead * rng.uniform(0.1, 0.9, n)).astype(np.int64), DEVOIRS, VIEW, True)
        emit(submit, ts, DEVOIRS, SUBMIT, True)
        again = submit & (rng.random(n) < 0.06)
        t2 = ts + rng.integers(600, 20 * HOUR, n)
        lead2 = rng.integers(20, 300, n)
        emit(again, t2 - lead2, PORTAIL, LOGIN, False)
        emit(again, t2, DEVOIRS, SUBMIT, True)
        # Earlier looks at the homework, each in its own short visit.
        limit = np.where(submit, ts - lead, due)
        for _ in range(2):
            look = adopted & (rng.random(n) < 0.2 + 0.4 * dil)
            tv = created + 300 + (rng.random(n) * np.maximum(limit - created - 300, 0))
            tv = self._avoid_night(tv.astype(np.int64), forward=False)
            look &= (tv > created + 240) & (tv < limit)
            lead3 = rng.integers(10, 200, n)
            emit(look, tv - lead3, PORTAIL, LOGIN, False)
            emit(look, tv, DEVOIRS, VIEW, True)

        planned = concat(parts)
        if len(planned["t"]) == 0:
            return []
        day_of = self.clock.local_ordinal(planned["t"])
        # Pupils who have left the class (or the school) by then no longer act on it.
        ends = rows.end[row][np.concatenate(pairs)]
        keep = (day_of <= ends) & (day_of <= self.dept.end.toordinal())
        planned, day_of = take(planned, keep), day_of[keep]
        today: list[Events] = []
        order = np.argsort(day_of, kind="stable")
        planned, day_of = take(planned, order), day_of[order]
        bounds = np.flatnonzero(np.diff(day_of)) + 1
        for chunk_idx in np.split(np.arange(len(day_of)), bounds):
            if len(chunk_idx) == 0:
                continue
            d = int(day_of[chunk_idx[0]])
            ev = take(planned, chunk_idx)
            if d == ctx.ordinal:
                today.append(ev)
            else:
                self.pending[d].append(ev)
        return today

    # --- the day ----------------------------------------------------------------------

    def day(self, ctx: DayContext) -> Events:
        s = self.school
        adoption = s.adoption(ctx.days_since_start)
        parts: list[Events] = []
        if s.has_lessons(ctx.day, self.dept.zone):
            lesson_events, new_hw = self._lessons(ctx, adoption)
            parts.extend(lesson_events)
            if new_hw:
                parts.extend(self._plan_homework(ctx, new_hw, adoption))
                day = np.full(len(new_hw["key"]), ctx.ordinal, dtype=np.int64)
                for k, v in (("key", new_hw["key"]), ("cls", new_hw["cls"])):
                    self.hw[k] = np.concatenate([self.hw[k], v])
                self.hw["disc"] = np.concatenate([self.hw["disc"], new_hw["disc"]])
                self.hw["day"] = np.concatenate([self.hw["day"], day])
                self.hw["due"] = np.concatenate([self.hw["due"], new_hw["due"]])
        parts.extend(self.pending.pop(ctx.ordinal, []))
        parts.append(self._pupils(ctx, adoption))
        parts.append(self._parents(ctx, adoption))
        parts.append(self._teachers(ctx, adoption))
        parts.append(self._staff(ctx, adoption))
        parts.append(self._ghosts(ctx))
        parts.append(self._trained(ctx))
        ev = concat(parts)
        # Forget homework nobody will look at any more.
        keep = self.hw["due"] >= ctx.day_start_utc - 7 * 86_400
        self.hw = {k: v[keep] for k, v in self.hw.items()}
        # Convert school class indexes to département class label codes.
        has_cls = ev["cls"] >= 0
        ev["cls"] = np.where(has_cls, s.class_codes[np.maximum(ev["cls"], 0)], -1)
        self._plant_bad_roles(ev)
        return ev

    def _plant_bad_roles(self, ev: Events) -> None:
        n = len(ev["t"])
        if n == 0:
            return
        k = int(self.rng.binomial(n, BAD_ROLE_RATE))
        if not self.bad_planted:
            k = max(k, 1)  # every run shows the quarantine at least once per school
            self.bad_planted = True
        if k == 0:
            return
        idx = self.rng.choice(n, size=k, replace=False)
        for i in idx:
            choices = BAD_ROLE_CHOICES[int(ev["role"][i])]
            ev["role"][i] = choices[int(self.rng.integers(len(choices)))]
