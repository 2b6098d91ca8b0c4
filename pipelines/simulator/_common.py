"""Vocabularies, opaque ids and Paris wall-clock arithmetic shared by the simulator.

Everything an event carries is held as small integer codes until the day is
written: strings are only materialised once per day file, with Arrow kernels,
which is what keeps a year of a département within a minute.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

# --- vocabularies (codes are indexes into these tuples) -----------------------------------

ROLES = ("eleve", "parent", "enseignant", "personnel", "autre")
ELEVE, PARENT, ENSEIGNANT, PERSONNEL, AUTRE = range(5)
# Values an upstream export really produces by mistake; the contract rejects them, so
# downstream quarantine has something to show. They extend the role code space.
BAD_ROLES = ("ELEVE?", "Eleve", "Relative", "prof", "Personnel", "Guest")
ALL_ROLE_VALUES = ROLES + BAD_ROLES
# Which malformed value a row of each role code may turn into.
BAD_ROLE_CHOICES = ((5, 6), (7,), (8,), (9,), (10,))

SERVICES = (
    "portail",
    "cahier_de_textes",
    "devoirs",
    "messagerie",
    "espace_cours",
    "calendrier",
    "actualites",
    "ressources",
)
PORTAIL, CDT, DEVOIRS, MESSAGERIE, ESPACE_COURS, CALENDRIER, ACTUALITES, RESSOURCES = range(8)

ACTIONS = ("login", "view", "create", "update", "submit", "send", "read", "comment", "delete")
LOGIN, VIEW, CREATE, UPDATE, SUBMIT, SEND, READ, COMMENT, DELETE = range(9)

DISCIPLINES = (
    "FRANCAIS",
    "MATHEMATIQUES",
    "HISTOIRE-GEOGRAPHIE",
    "ANGLAIS",
    "ESPAGNOL",
    "ALLEMAND",
    "SVT",
    "PHYSIQUE-CHIMIE",
    "TECHNOLOGIE",
    "EPS",
    "ARTS-PLASTIQUES",
    "EDUCATION-MUSICALE",
    "SES",
    "SNT",
    "ENSEIGNEMENT-SCIENTIFIQUE",
    "PHILOSOPHIE",
    "QUESTIONNER-LE-MONDE",
    "SCIENCES",
    "LANGUES-VIVANTES",
    "ARTS",
    "POLYVALENT",
)
DISC = {name: code for code, name in enumerate(DISCIPLINES)}

# object_id kinds: each gets its own prefix and its own id space.
OBJ_NONE, OBJ_CDT, OBJ_DEVOIR, OBJ_THREAD = range(4)
OBJ_PREFIXES = (b"----", b"CDT-", b"DEV-", b"MSG-")

UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_with_key(digits: str) -> str:
    """Append the national key letter, so generated codes pass the contract's check."""
    return digits + UAI_KEY_LETTERS[int(digits) % 23]


# --- opaque ids ---------------------------------------------------------------------------

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_SHIFTS = np.arange(60, -4, -4, dtype=np.uint64)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64.

    Being a bijection is the point: distinct counters give distinct ids, so
    uniqueness holds by construction instead of by luck, while the ids still
    look random and reveal no order.
    """
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def salt(seed: int, namespace: int) -> np.uint64:
    """Per-seed, per-namespace offset added before mixing (adding keeps the bijection)."""
    return mix64(np.array([(seed * 1_000_003 + namespace) & 0xFFFFFFFFFFFFFFFF]))[0]


def hex_bytes(values: np.ndarray) -> np.ndarray:
    """16 lowercase hex digits per uint64, as an (n, 16) uint8 matrix."""
    values = np.asarray(values, dtype=np.uint64)
    nibbles = (values[:, None] >> _SHIFTS[None, :]) & np.uint64(0xF)
    return _HEX[nibbles.astype(np.intp)]


def fixed_width_strings(
    chars: np.ndarray, valid: np.ndarray | None = None, width: int | None = None
) -> pa.Array:
    """Arrow string array from an (n, width) uint8 matrix, without a Python loop."""
    n = chars.shape[0]
    width = chars.shape[1] if width is None else width
    offsets = (np.arange(n + 1, dtype=np.int64) * width).astype(np.int32)
    data = np.ascontiguousarray(chars, dtype=np.uint8).reshape(-1)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    null_count = 0
    if valid is not None and not valid.all():
        buffers[0] = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int(n - valid.sum())
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=null_count)


def hex_ids(values: np.ndarray, prefix: bytes = b"") -> pa.Array:
    body = hex_bytes(values)
    if prefix:
        head = np.broadcast_to(np.frombuffer(prefix, dtype=np.uint8), (len(body), len(prefix)))
        body = np.concatenate([head, body], axis=1)
    return fixed_width_strings(body)


# --- Paris wall clock ---------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
DAY = 86_400


@lru_cache(maxsize=4096)
def _day_offsets(day: date) -> tuple[int, int]:
    """Paris UTC offsets at the start and the end of ``day`` (they differ on DST days)."""
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).utcoffset()
    end = datetime(day.year, day.month, day.day, 23, 59, tzinfo=PARIS).utcoffset()
    return int(start.total_seconds()), int(end.total_seconds())


def naive_epoch(day: date) -> int:
    """Seconds from 1970-01-01 to ``day`` 00:00 read as if it were UTC."""
    return (day.toordinal() - EPOCH_ORDINAL) * DAY


class ParisClock:
    """Converts between UTC instants and Paris wall-clock times, vectorised.

    Built once for the simulated period from the tz database, so the two DST
    changes of the school year fall where the real ones do.
    """

    def __init__(self, first: date, last: date) -> None:
        lo = datetime.combine(first - timedelta(days=40), datetime.min.time(), tzinfo=UTC)
        hi = datetime.combine(last + timedelta(days=60), datetime.min.time(), tzinfo=UTC)
        instants: list[int] = [int(lo.timestamp())]
        offsets: list[int] = [int(lo.astimezone(PARIS).utcoffset().total_seconds())]
        t = lo
        while t < hi:
            t += timedelta(hours=1)
            off = int(t.astimezone(PARIS).utcoffset().total_seconds())
            if off != offsets[-1]:
                instants.append(int(t.timestamp()))
                offsets.append(off)
        self._instants = np.array(instants, dtype=np.int64)
        self._offsets = np.array(offsets, dtype=np.int64)

    def offset(self, t_utc: np.ndarray) -> np.ndarray:
        """UTC offset in seconds (3600 or 7200) in force at each UTC instant."""
        idx = np.searchsorted(self._instants, t_utc, side="right") - 1
        return self._offsets[np.clip(idx, 0, len(self._offsets) - 1)]

    def local_seconds(self, t_utc: np.ndarray) -> np.ndarray:
        """Seconds since 1970-01-01 of the Paris wall-clock time."""
        return t_utc + self.offset(t_utc)

    def local_ordinal(self, t_utc: np.ndarray) -> np.ndarray:
        return self.local_seconds(t_utc) // DAY + EPOCH_ORDINAL

    def day_to_utc(self, day: date, local_sec: np.ndarray) -> np.ndarray:
        """UTC instants of wall-clock seconds-after-midnight on ``day``.

        On the two DST days the offset switches at 03:00 wall-clock; the
        skipped or doubled hour only ever holds the night-time trickle.
        """
        base = naive_epoch(day)
        before, after = _day_offsets(day)
        local_sec = np.asarray(local_sec, dtype=np.int64)
        if before == after:
            return base + local_sec - before
        off = np.where(local_sec < 3 * 3600, before, after)
        return base + local_sec - off

    def utc_of(self, day: date, hour: int, minute: int, second: int = 0) -> int:
        return int(self.day_to_utc(day, np.array([hour * 3600 + minute * 60 + second]))[0])
