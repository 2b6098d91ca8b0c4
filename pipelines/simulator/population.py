"""Who is in the simulated département: schools, classes, timetables and accounts.

The annuaire is built first and the activity is drawn from it, so events and
roster agree the way a real ENT export does (including where they should not:
see the ghost accounts below).

Shape of a school, per kind:

* collège: 6e to 3e, 4–6 classes per level (``6A``, ``6B`` …), 20–32 pupils a class;
* lycée: 2nde, 1re and terminale générales (``2NDE3``, ``1G2``, ``TG1``);
* école: CP to CM2, one or two classes per level (``CPA``, ``CM2B``), one
  POLYVALENT teacher per class and no lessons on Wednesday.

Accounts and roster rows:

* pupils: one row with their class; ~2 % join after the start, ~2 % leave
  before the end, ~0.5 % change class (two rows with consecutive periods);
* parents: one or two per family; ~12 % of pupils have a sibling in another
  class, and their parents get one row per child's class (same user_id);
* teachers: one row per class taught (3–6 classes in collège/lycée) with the
  discipline; the weekly timetable is built without clashes where possible;
* personnel: one row, no class, 5–7 % of the school's accounts;
* ghosts: two accounts per school that produce events but are *not* in the
  roster (a guest, and a pupil or substitute teacher created after the
  annuaire export) — the contract's "user missing from the roster" case.

Per-account behaviour is drawn here too (adoption threshold, visit rate,
diligence), so a person behaves consistently for the whole period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from pipelines.school_calendar import is_school_day

from ._common import (
    AUTRE,
    DISC,
    DISCIPLINES,
    ELEVE,
    ENSEIGNANT,
    PARENT,
    PERSONNEL,
    ROLES,
    hex_ids,
    mix64,
    salt,
    uai_with_key,
)

OPEN_START = 0  # ordinal sentinel: enrolled since before the period
OPEN_END = 10**7  # ordinal sentinel: enrolled until after the period

LESSON_MINUTES = 55

# --- curricula: weekly hours per level and discipline (rounded from the official grids) ----

_COLLEGE_HOURS = {
    "6": {
        "FRANCAIS": 5,
        "MATHEMATIQUES": 4,
        "HISTOIRE-GEOGRAPHIE": 3,
        "ANGLAIS": 4,
        "SVT": 1,
        "PHYSIQUE-CHIMIE": 1,
        "TECHNOLOGIE": 1,
        "EPS": 4,
        "ARTS-PLASTIQUES": 1,
        "EDUCATION-MUSICALE": 1,
    },
    "5": {
        "FRANCAIS": 4,
        "MATHEMATIQUES": 4,
        "HISTOIRE-GEOGRAPHIE": 3,
        "ANGLAIS": 3,
        "LV2": 2,
        "SVT": 2,
        "PHYSIQUE-CHIMIE": 1,
        "TECHNOLOGIE": 2,
        "EPS": 3,
        "ARTS-PLASTIQUES": 1,
        "EDUCATION-MUSICALE": 1,
    },
    "3": {
        "FRANCAIS": 4,
        "MATHEMATIQUES": 4,
        "HISTOIRE-GEOGRAPHIE": 4,
        "ANGLAIS": 3,
        "LV2": 2,
        "SVT": 2,
        "PHYSIQUE-CHIMIE": 2,
        "TECHNOLOGIE": 1,
        "EPS": 3,
        "ARTS-PLASTIQUES": 1,
        "EDUCATION-MUSICALE": 1,
    },
}
_COLLEGE_HOURS["4"] = dict(_COLLEGE_HOURS["5"])

_LYCEE_HOURS = {
    "2NDE": {
        "FRANCAIS": 4,
        "MATHEMATIQUES": 4,
        "HISTOIRE-GEOGRAPHIE": 3,
        "ANGLAIS": 3,
        "ESPAGNOL": 2,
        "SVT": 2,
        "PHYSIQUE-CHIMIE": 3,
        "SES": 2,
        "SNT": 2,
        "EPS": 2,
    },
    "1G": {
        "FRANCAIS": 4,
        "HISTOIRE-GEOGRAPHIE": 3,
        "ANGLAIS": 2,
        "ESPAGNOL": 2,
        "ENSEIGNEMENT-SCIENTIFIQUE": 2,
        "EPS": 2,
        "MATHEMATIQUES": 4,
        "PHYSIQUE-CHIMIE": 4,
        "SES": 4,
    },
    "TG": {
        "PHILOSOPHIE": 4,
        "HISTOIRE-GEOGRAPHIE": 3,
        "ANGLAIS": 2,
        "ESPAGNOL": 2,
        "ENSEIGNEMENT-SCIENTIFIQUE": 2,
        "EPS": 2,
        "MATHEMATIQUES": 6,
        "SVT": 6,
    },
}

_ECOLE_CYCLE2 = {
    "FRANCAIS": 9,
    "MATHEMATIQUES": 5,
    "QUESTIONNER-LE-MONDE": 3,
    "LANGUES-VIVANTES": 2,
    "EPS": 3,
    "ARTS": 2,
}
_ECOLE_CYCLE3 = {
    "FRANCAIS": 8,
    "MATHEMATIQUES": 5,
    "SCIENCES": 2,
    "HISTOIRE-GEOGRAPHIE": 2,
    "LANGUES-VIVANTES": 2,
    "EPS": 3,
    "ARTS": 2,
}
_ECOLE_HOURS = {
    "CP": _ECOLE_CYCLE2,
    "CE1": _ECOLE_CYCLE2,
    "CE2": _ECOLE_CYCLE2,
    "CM1": _ECOLE_CYCLE3,
    "CM2": _ECOLE_CYCLE3,
}

# Lesson start times (h, min) per weekday, Monday = 0. Wednesday has mornings only.
_FULL_DAY = {
    "college": [(8, 0), (9, 0), (10, 5), (11, 5), (13, 30), (14, 30), (15, 35)],
    "lycee": [(8, 0), (9, 0), (10, 5), (11, 5), (13, 0), (14, 0), (15, 5), (16, 5), (17, 5)],
    "ecole": [(8, 30), (9, 30), (10, 45), (13, 30), (14, 30), (15, 30)],
}

# Behaviour per school kind, indexed by role code (eleve, parent, enseignant, personnel, autre).
# cap: share of accounts that ever log in; rate: mean sessions per school day once adopted.
_CAPS = {
    "college": (0.90, 0.72, 0.97, 0.92, 1.0),
    "lycee": (0.93, 0.50, 0.97, 0.92, 1.0),
    "ecole": (0.55, 0.80, 0.95, 0.90, 1.0),
}
_RATES = {
    "college": (1.2, 0.7, 2.0, 1.0, 0.0),
    "lycee": (1.4, 0.45, 2.0, 1.0, 0.0),
    "ecole": (0.35, 0.75, 1.5, 0.8, 0.0),
}
_RATE_SHAPE = (1.3, 0.9, 2.5, 1.5, 1.0)
# Share of the cap already reached on the start date: most teachers and staff, and the
# pupils and parents who kept their account from last year; newcomers find it at the rentrée.
ADOPTION_FLOOR = np.array([0.12, 0.08, 0.35, 0.45, 1.0])


@dataclass
class Membership:
    """Roster rows of one role in one school, as parallel arrays."""

    user: np.ndarray  # global user index
    cls: np.ndarray  # school class index, -1 for none
    start: np.ndarray  # ordinal, OPEN_START when open
    end: np.ndarray  # ordinal, OPEN_END when open
    child: np.ndarray | None = None  # parents: the global user index of the child of the row

    def active_on(self, ordinal: int) -> np.ndarray:
        return (self.start <= ordinal) & (ordinal <= self.end)

    def __len__(self) -> int:
        return len(self.user)


@dataclass
class Lessons:
    """One weekday of a school's timetable, one entry per (class, slot)."""

    cls: np.ndarray
    disc: np.ndarray
    teacher: np.ndarray  # global user index
    start_min: np.ndarray
    end_min: np.ndarray


@dataclass
class School:
    index: int
    uai: str
    kind: str  # college | lycee | ecole
    class_labels: list[str]
    class_codes: np.ndarray  # school class index -> département label code
    pupils: Membership
    parents: Membership
    teachers: np.ndarray  # global user indexes
    teacher_disc: np.ndarray  # roster discipline code per teacher
    teacher_rows: Membership  # one row per (teacher, class)
    staff: np.ndarray
    ghosts: np.ndarray
    timetable: list[Lessons]  # 7 weekdays
    lesson_start: dict[tuple[int, int], dict[int, int]]  # (class, disc) -> weekday -> minute
    adoption_mid: float  # days after start when half the cap is reached
    adoption_scale: float  # days; small = fast adoption
    caps: np.ndarray
    ghost_visits: list[tuple[int, int]] = field(default_factory=list)  # (ordinal, user)

    @property
    def has_wednesday_lessons(self) -> bool:
        return self.kind != "ecole"

    def has_lessons(self, day: date, zone: str) -> bool:
        if day.weekday() == 2 and not self.has_wednesday_lessons:
            return False
        return is_school_day(day, zone)

    def adoption(self, days_since_start: float) -> np.ndarray:
        """Share of each role's accounts that have adopted the ENT, per role code.

        A logistic ramp with a school-specific midpoint and speed: some
        schools are there in two weeks, others take half a term.
        """
        x = (days_since_start - self.adoption_mid) / self.adoption_scale
        ramp = 1.0 / (1.0 + np.exp(-x))
        return self.caps * (ADOPTION_FLOOR + (1.0 - ADOPTION_FLOOR) * ramp)


@dataclass
class Department:
    seed: int
    start: date
    end: date
    zone: str
    schools: list[School]
    user_ids: pa.Array
    role: np.ndarray  # int8 role code per user
    school: np.ndarray  # int16 school index per user
    theta: np.ndarray  # adoption threshold: adopted once the school's adoption exceeds it
    rate: np.ndarray  # sessions per school day once adopted
    diligence: np.ndarray  # pupils: homework; teachers: posting after lessons
    propensity: np.ndarray  # teachers: share of entries with online homework
    is_ghost: np.ndarray
    class_labels: tuple[str, ...]

    @property
    def accounts(self) -> int:
        """Accounts in the annuaire (ghosts excluded: they are not in it)."""
        return int((~self.is_ghost).sum())

    def roster_table(self) -> pa.Table:
        """The annuaire as the contract's columns, one row per membership."""
        names = ("user", "role", "school", "cls", "disc", "start", "end", "child")
        cols: dict[str, list[np.ndarray]] = {k: [] for k in names}
        for s in self.schools:
            disc_of = dict(zip(s.teachers.tolist(), s.teacher_disc.tolist(), strict=True))
            for role, rows in (
                (ELEVE, s.pupils),
                (PARENT, s.parents),
                (ENSEIGNANT, s.teacher_rows),
            ):
                n = len(rows)
                cols["user"].append(rows.user)
                cols["role"].append(np.full(n, role))
                cols["school"].append(np.full(n, s.index))
                cols["cls"].append(np.where(rows.cls >= 0, s.class_codes[rows.cls], -1))
                cols["start"].append(rows.start)
                cols["end"].append(rows.end)
                cols["child"].append(rows.child if rows.child is not None else np.full(n, -1))
                if role == ENSEIGNANT:
                    cols["disc"].append(np.array([disc_of[u] for u in rows.user.tolist()]))
                else:
                    cols["disc"].append(np.full(n, -1))
            n = len(s.staff)
            cols["user"].append(s.staff)
            cols["role"].append(np.full(n, PERSONNEL))
            cols["school"].append(np.full(n, s.index))
            cols["cls"].append(np.full(n, -1))
            cols["disc"].append(np.full(n, -1))
            cols["start"].append(np.full(n, OPEN_START))
            cols["end"].append(np.full(n, OPEN_END))
            cols["child"].append(np.full(n, -1))
        a = {k: np.concatenate(v).astype(np.int64) for k, v in cols.items()}
        uais = pa.array([s.uai for s in self.schools])
        labels = pa.array(self.class_labels)
        discs = pa.array(DISCIPLINES)

        def take(values: pa.Array, idx: np.ndarray) -> pa.Array:
            return values.take(pa.array(idx, mask=idx < 0))

        def dates(ordinals: np.ndarray, sentinel: int) -> pa.Array:
            days = ordinals - date(1970, 1, 1).toordinal()
            return pa.array(days.astype(np.int32), type=pa.date32(), mask=ordinals == sentinel)

        return pa.table(
            {
                "user_id": self.user_ids.take(pa.array(a["user"])),
                "role": pa.array(ROLES).take(pa.array(a["role"])),
                "school_uai": uais.take(pa.array(a["school"])),
                "class_id": take(labels, a["cls"]),
                "discipline": take(discs, a["disc"]),
                "start_date": dates(a["start"], OPEN_START),
                "end_date": dates(a["end"], OPEN_END),
                "child_id": self.user_ids.take(pa.array(a["child"], mask=a["child"] < 0)),
            }
        )


# --- building -----------------------------------------------------------------------------


class _Users:
    """Allocates global user indexes and draws each account's behaviour."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        names = ("role", "school", "theta", "rate", "diligence", "propensity", "ghost")
        self.parts: dict[str, list[np.ndarray]] = {k: [] for k in names}
        self.count = 0

    def add(self, n: int, role: int, school: int, kind: str, ghost: bool = False) -> np.ndarray:
        rng = self.rng
        idx = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n
        mean = _RATES[kind][role]
        shape = _RATE_SHAPE[role]
        rate = rng.gamma(shape, mean / shape, n) if mean > 0 else np.zeros(n)
        diligence = np.zeros(n)
        propensity = np.zeros(n)
        if role == ELEVE:
            diligence = rng.beta(2.2, 1.0, n)
        elif role == ENSEIGNANT:
            # Two populations: most post after nearly every lesson, a quarter rarely do.
            rare = rng.random(n) < 0.25
            diligence = np.where(rare, rng.uniform(0.02, 0.25, n), rng.beta(4.0, 1.3, n))
            never = rng.random(n) < (0.45 if kind == "ecole" else 0.30)
            propensity = np.where(never, 0.0, rng.beta(1.5, 3.5, n))
        p = self.parts
        p["role"].append(np.full(n, role, dtype=np.int8))
        p["school"].append(np.full(n, school, dtype=np.int16))
        p["theta"].append(rng.random(n))
        p["rate"].append(rate)
        p["diligence"].append(diligence)
        p["propensity"].append(propensity)
        p["ghost"].append(np.full(n, ghost))
        return idx

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def school_kinds(n: int) -> list[str]:
    """Mostly collèges, about one lycée and one école in ten; school 0 is a collège."""
    n_lycee = (n + 5) // 10 if n >= 3 else 0
    n_ecole = (n + 2) // 10
    n_college = n - n_lycee - n_ecole
    return ["college"] * n_college + ["lycee"] * n_lycee + ["ecole"] * n_ecole


def _classes(kind: str, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(label, level) of each class of a school."""
    out: list[tuple[str, str]] = []
    if kind == "college":
        for level in ("6", "5", "4", "3"):
            for i in range(int(rng.integers(4, 7))):
                out.append((f"{level}{'ABCDEFGH'[i]}", level))
    elif kind == "lycee":
        for level, lo, hi in (("2NDE", 6, 10), ("1G", 5, 8), ("TG", 5, 8)):
            for i in range(int(rng.integers(lo, hi))):
                out.append((f"{level}{i + 1}", level))
    else:
        for level in ("CP", "CE1", "CE2", "CM1", "CM2"):
            for i in range(int(rng.integers(1, 3))):
                out.append((f"{level}{'AB'[i]}", level))
    return out


def _curriculum(kind: str, label: str, level: str) -> dict[str, int]:
    if kind == "college":
        hours = dict(_COLLEGE_HOURS[level])
        if "LV2" in hours:
            hours["ALLEMAND" if label.endswith("A") else "ESPAGNOL"] = hours.pop("LV2")
        return hours
    if kind == "lycee":
        return dict(_LYCEE_HOURS[level])
    return dict(_ECOLE_HOURS[level])


def _assign_teachers(
    kind: str,
    curricula: list[dict[str, int]],
    users: _Users,
    school: int,
    rng: np.random.Generator,
) -> tuple[list[tuple[int, int, list[int]]], dict[tuple[int, int], int]]:
    """Teachers as (user, roster discipline, classes) and who teaches what to whom."""
    teachers: list[tuple[int, int, list[int]]] = []
    teaches: dict[tuple[int, int], int] = {}
    if kind == "ecole":
        for c, hours in enumerate(curricula):
            (t,) = users.add(1, ENSEIGNANT, school, kind)
            teachers.append((int(t), DISC["POLYVALENT"], [c]))
            for name in hours:
                teaches[(c, DISC[name])] = int(t)
        return teachers, teaches
    disciplines = sorted({d for hours in curricula for d in hours}, key=DISC.__getitem__)
    for name in disciplines:
        classes = [c for c, hours in enumerate(curricula) if name in hours]
        mean_hours = float(np.mean([curricula[c][name] for c in classes]))
        n = len(classes)
        per_teacher = int(np.clip(round(18 / mean_hours), 3, 6))
        k = max(1, round(n / per_teacher))
        k = int(np.clip(k, -(-n // 6), max(1, n // 3)))
        order = rng.permutation(classes)
        ids = users.add(k, ENSEIGNANT, school, kind)
        for t, group in zip(ids, np.array_split(order, k), strict=True):
            group_list = sorted(int(c) for c in group)
            teachers.append((int(t), DISC[name], group_list))
            for c in group_list:
                teaches[(c, DISC[name])] = int(t)
    return teachers, teaches


def _timetable(
    kind: str,
    curricula: list[dict[str, int]],
    teaches: dict[tuple[int, int], int],
    rng: np.random.Generator,
) -> tuple[list[Lessons], dict[tuple[int, int], dict[int, int]]]:
    """A weekly timetable per class, greedy, avoiding teacher clashes where it can."""
    full = _FULL_DAY[kind]
    slots: list[tuple[int, int, int]] = []  # (weekday, hour, minute)
    for wd in range(5):
        if wd == 2:
            if kind == "ecole":
                continue
            slots.extend((wd, h, m) for h, m in full[:4])
        else:
            slots.extend((wd, h, m) for h, m in full)
    teacher_busy: set[tuple[int, int]] = set()
    rows: list[tuple[int, int, int, int, int]] = []  # weekday, minute, class, disc, teacher
    for c in rng.permutation(len(curricula)):
        c = int(c)
        lessons = [DISC[name] for name, h in curricula[c].items() for _ in range(h)]
        lessons = [lessons[i] for i in rng.permutation(len(lessons))]
        free = set(range(len(slots)))
        day_discs: dict[int, set[int]] = {}
        for d in lessons:
            t = teaches[(c, d)]
            ok = [s for s in free if (t, s) not in teacher_busy]
            spread = [s for s in ok if d not in day_discs.get(slots[s][0], set())]
            pool = sorted(spread or ok or free)
            if not pool:
                break  # more hours than slots: drop the rest (never with these grids)
            s = pool[int(rng.integers(len(pool)))]
            free.discard(s)
            teacher_busy.add((t, s))
            wd, h, m = slots[s]
            day_discs.setdefault(wd, set()).add(d)
            rows.append((wd, h * 60 + m, c, d, t))
    rows.sort()
    table: list[Lessons] = []
    lesson_start: dict[tuple[int, int], dict[int, int]] = {}
    for wd in range(7):
        day = [r for r in rows if r[0] == wd]
        start = np.array([r[1] for r in day], dtype=np.int64)
        table.append(
            Lessons(
                cls=np.array([r[2] for r in day], dtype=np.int64),
                disc=np.array([r[3] for r in day], dtype=np.int64),
                teacher=np.array([r[4] for r in day], dtype=np.int64),
                start_min=start,
                end_min=start + LESSON_MINUTES,
            )
        )
        for _, minute, c, d, _t in day:
            lesson_start.setdefault((c, d), {}).setdefault(wd, minute)
    return table, lesson_start


def _pupils_and_parents(
    kind: str,
    class_levels: list[str],
    users: _Users,
    school: int,
    start: int,
    end: int,
    rng: np.random.Generator,
) -> tuple[Membership, Membership]:
    sizes = rng.integers(20, 33, len(class_levels))
    cls = np.repeat(np.arange(len(class_levels)), sizes)
    n = len(cls)
    pupil = users.add(n, ELEVE, school, kind)
    p_start = np.full(n, OPEN_START, dtype=np.int64)
    p_end = np.full(n, OPEN_END, dtype=np.int64)
    span = end - start
    fate = rng.random(n)
    joiners = fate < 0.02
    leavers = (fate >= 0.02) & (fate < 0.04)
    changers = (fate >= 0.04) & (fate < 0.045)
    if span >= 4:
        p_start[joiners] = start + rng.integers(1, span, joiners.sum())
        p_end[leavers] = start + rng.integers(2, span - 1, leavers.sum())
    # Class changes: same level, another class, consecutive periods.
    levels = np.array(class_levels)
    extra_user, extra_cls, extra_start = [], [], []
    if span >= 8:
        for i in np.flatnonzero(changers):
            same = np.flatnonzero((levels == levels[cls[i]]) & (np.arange(len(levels)) != cls[i]))
            if len(same) == 0:
                continue
            change = start + int(rng.integers(3, span - 2))
            p_end[i] = change - 1
            extra_user.append(pupil[i])
            extra_cls.append(int(rng.choice(same)))
            extra_start.append(change)
    pupils = Membership(
        user=np.concatenate([pupil, np.array(extra_user, dtype=np.int64)]),
        cls=np.concatenate([cls, np.array(extra_cls, dtype=np.int64)]),
        start=np.concatenate([p_start, np.array(extra_start, dtype=np.int64)]),
        end=np.concatenate([p_end, np.full(len(extra_user), OPEN_END, dtype=np.int64)]),
    )

    # Families: pair ~12 % of pupils as siblings in different classes.
    order = rng.permutation(n)
    family = np.full(n, -1, dtype=np.int64)
    n_fam = 0
    paired = order[: int(0.12 * n) // 2 * 2]
    for a, b in zip(paired[::2], paired[1::2], strict=True):
        if cls[a] != cls[b]:
            family[a] = family[b] = n_fam
            n_fam += 1
    for i in order:
        if family[i] < 0:
            family[i] = n_fam
            n_fam += 1
    n_parents = np.where(rng.random(n_fam) < 0.7, 2, 1)
    parent_of_family = np.split(
        users.add(int(n_parents.sum()), PARENT, school, kind), np.cumsum(n_parents)[:-1]
    )
    # Parents mirror every roster row of each of their children.
    fam_of_row = family[np.searchsorted(pupil, pupils.user)]
    rows_u, rows_c, rows_s, rows_e, rows_child = [], [], [], [], []
    for r in np.argsort(fam_of_row, kind="stable"):
        for par in parent_of_family[fam_of_row[r]]:
            rows_u.append(par)
            rows_child.append(pupils.user[r])
            rows_c.append(pupils.cls[r])
            rows_s.append(pupils.start[r])
            rows_e.append(pupils.end[r])
    parents = Membership(
        user=np.array(rows_u, dtype=np.int64),
        cls=np.array(rows_c, dtype=np.int64),
        start=np.array(rows_s, dtype=np.int64),
        end=np.array(rows_e, dtype=np.int64),
        child=np.array(rows_child, dtype=np.int64),
    )
    return pupils, parents


def _ghost_visits(
    school: School, users: _Users, start: date, end: date, zone: str, rng: np.random.Generator
) -> None:
    days = [
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if school.has_lessons(start + timedelta(days=i), zone)
    ] or [start + timedelta(days=i) for i in range((end - start).days + 1)]
    guest = users.add(1, AUTRE, school.index, school.kind, ghost=True)[0]
    late_role = ELEVE if rng.random() < 0.5 else ENSEIGNANT
    newcomer = users.add(1, late_role, school.index, school.kind, ghost=True)[0]
    school.ghosts = np.array([guest, newcomer], dtype=np.int64)
    visits: list[tuple[int, int]] = []
    for d in rng.choice(len(days), size=min(len(days), int(rng.integers(1, 4))), replace=False):
        visits.append((days[int(d)].toordinal(), int(guest)))
    recent = days[len(days) // 2 :]
    for d in rng.choice(len(recent), size=min(len(recent), int(rng.integers(2, 5))), replace=False):
        visits.append((recent[int(d)].toordinal(), int(newcomer)))
    school.ghost_visits = sorted(visits)


def build_department(schools: int, start: date, end: date, seed: int, zone: str = "C") -> Department:
    """Draw the schools and their annuaire for the period ``start``..``end`` (inclusive)."""
    if schools < 1:
        raise ValueError("a département needs at least one school")
    root = np.random.default_rng([seed, 0])
    users = _Users(np.random.default_rng([seed, 1]))
    uai_numbers = root.choice(10_000, size=schools, replace=False)
    kinds = school_kinds(schools)
    start_ord, end_ord = start.toordinal(), end.toordinal()
    built: list[School] = []
    all_labels: list[list[str]] = []
    for i, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, 2, i])
        classes = _classes(kind, rng)
        labels = [label for label, _ in classes]
        curricula = [_curriculum(kind, label, level) for label, level in classes]
        first_user = users.count
        pupils, parents = _pupils_and_parents(
            kind, [lv for _, lv in classes], users, i, start_ord, end_ord, rng
        )
        teacher_list, teaches = _assign_teachers(kind, curricula, users, i, rng)
        timetable, lesson_start = _timetable(kind, curricula, teaches, rng)
        others = users.count - first_user
        frac = rng.uniform(0.05, 0.07)
        staff = users.add(max(2, round(frac * others / (1 - frac))), PERSONNEL, i, kind)
        teacher_ids = np.array([t for t, _, _ in teacher_list], dtype=np.int64)
        t_rows = [(t, c) for t, _, cs in teacher_list for c in cs]
        school = School(
            index=i,
            uai=uai_with_key(f"092{int(uai_numbers[i]):04d}"),
            kind=kind,
            class_labels=labels,
            class_codes=np.zeros(len(labels), dtype=np.int64),
            pupils=pupils,
            parents=parents,
            teachers=teacher_ids,
            teacher_disc=np.array([d for _, d, _ in teacher_list], dtype=np.int64),
            teacher_rows=Membership(
                user=np.array([t for t, _ in t_rows], dtype=np.int64),
                cls=np.array([c for _, c in t_rows], dtype=np.int64),
                start=np.full(len(t_rows), OPEN_START, dtype=np.int64),
                end=np.full(len(t_rows), OPEN_END, dtype=np.int64),
            ),
            staff=staff,
            ghosts=np.zeros(0, dtype=np.int64),
            timetable=timetable,
            lesson_start=lesson_start,
            adoption_mid=float(rng.uniform(3, 28)),
            adoption_scale=float(rng.uniform(2, 6)),
            caps=np.array(_CAPS[kind]),
        )
        _ghost_visits(school, users, start, end, zone, rng)
        built.append(school)
        all_labels.append(labels)
    vocab = tuple(sorted({label for labels in all_labels for label in labels}))
    code = {label: i for i, label in enumerate(vocab)}
    for school, labels in zip(built, all_labels, strict=True):
        school.class_codes = np.array([code[label] for label in labels], dtype=np.int64)
    a = users.arrays()
    user_keys = mix64(np.arange(users.count, dtype=np.uint64) + salt(seed, 1))
    return Department(
        seed=seed,
        start=start,
        end=end,
        zone=zone,
        schools=built,
        user_ids=hex_ids(user_keys, prefix=b"ENT"),
        role=a["role"],
        school=a["school"],
        theta=a["theta"],
        rate=a["rate"],
        diligence=a["diligence"],
        propensity=a["propensity"],
        is_ghost=a["ghost"],
        class_labels=vocab,
    )
