"""The history of `reperes run`: one JSON line per run in DATA/run_history.jsonl, whatever its end.

A failed run publishes nothing, so the release cannot say it failed: this small file does, for
the dashboard's "Qualité des données" page and for whoever looks at the data directory. Each
line says when the run started and ended (UTC), whether it succeeded, which steps and blocking
checks failed with a one-line reason, and, in French, what to do next, chosen from the kind of
failure. The same French sentences describe a failed blocking check in the Dagster UI
(`check_next_action`, used by pipelines/defs/*/checks.py), so the two never disagree.

Nothing personal may reach it. Error messages are cut to one line and before anything quoted
(`one_line_reason`): DuckDB quotes input values in its errors, and an input value may be an
account id. The file names steps, checks, counts and days, never a row.

Each line is appended with one write and fsync'd: a crash leaves at worst a last line cut
short, which readers skip.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.adapters import ADAPTER_ASSET_NAMES

RUN_HISTORY_FILE = "run_history.jsonl"
SUCCESS, FAILURE = "success", "failure"

# Kinds of outcome, each with its own advice.
MISSING_KEY = "missing_key"
NO_INPUT = "no_input"
UNREADABLE_FILE = "unreadable_file"
BLOCKING_CHECK = "blocking_check"
PRIVACY_AUDIT = "privacy_audit"
LANDING_CLEANUP = "landing_cleanup"
OTHER = "other"
KINDS = (MISSING_KEY, NO_INPUT, UNREADABLE_FILE, BLOCKING_CHECK, PRIVACY_AUDIT, LANDING_CLEANUP, OTHER)

# The steps that read landing files (the source adapters' assets, stg_events_ode…, too; the
# directory's AAF files are read by stg_roster), and the ones that build and write the release.
INGESTION_STEPS = ("landing_files", "stg_events", "stg_roster", "stg_workshops", *ADAPTER_ASSET_NAMES)
RELEASE_ASSET = "release_candidate"
LANDING_DISPOSAL_STEP = "landing_disposals"
# Root causes that mean "a file could not be read" when an ingestion step raises them.
FILE_ERROR_CLASSES = (
    "OSError",
    "FileNotFoundError",
    "PermissionError",
    "IsADirectoryError",
    "UnicodeError",
    "UnicodeDecodeError",
)

MAX_REASON_CHARACTERS = 200
MAX_ITEMS = 10  # failed steps or checks kept per line: the line stays small
# Where an error message starts quoting what it read.
_QUOTED_INPUT = re.compile(r"""['"«»\[{]| Input:|Original Line|\bLINE \d""")
_QUALIFIED_CLASS = re.compile(r"^[A-Za-z_][\w.]*\.(\w+): ")

_LOGGER = logging.getLogger(__name__)

AFTER_A_FAILURE = (
    "Rien n'a été publié : la publication précédente reste en ligne et les fichiers déposés restent en place."
)
NEXT_ACTIONS = {
    MISSING_KEY: (
        "Aucune clé de pseudonymisation valide : donnez-la par la variable REPERES_PSEUDONYM_KEY "
        "(au moins 64 caractères hexadécimaux, par exemple `openssl rand -hex 32`) ou par "
        "--key-file, en la gardant hors du dossier des données, puis relancez `reperes run`. "
        + AFTER_A_FAILURE
    ),
    NO_INPUT: (
        "Aucun fichier d'événements à charger : déposez les fichiers livrés par l'ENT dans "
        "landing/events/, nommés par leur jour de livraison (AAAA-MM-JJ.csv, .jsonl ou .parquet, "
        "jamais dans le futur), puis relancez `reperes run`. La publication précédente reste en ligne."
    ),
    UNREADABLE_FILE: (
        "Un fichier déposé n'a pas pu être lu : vérifiez son format (CSV en UTF-8 ou "
        "Windows-1252, JSON Lines, Parquet) et les droits du dossier de dépôt, demandez au besoin "
        "une nouvelle livraison à l'ENT sous le même nom, puis relancez `reperes run`. " + AFTER_A_FAILURE
    ),
    BLOCKING_CHECK: (
        "Un contrôle bloquant a échoué : lisez ses métadonnées dans l'interface Dagster "
        "(`reperes ui`, onglet des contrôles du run), corrigez la cause, puis relancez "
        "`reperes run`. " + AFTER_A_FAILURE
    ),
    PRIVACY_AUDIT: (
        "La publication a été refusée par les contrôles de confidentialité : ne les contournez "
        "pas ; signalez-le à l'équipe technique avec l'identifiant du run (interface Dagster, "
        "`reperes ui`), qui corrigera la déclaration de models/marts/_privacy.yml ou le masquage. "
        + AFTER_A_FAILURE
    ),
    LANDING_CLEANUP: (
        "La publication est faite, mais des fichiers chargés n'ont pas pu être supprimés ou "
        "archivés : vérifiez le dossier d'archive et ses droits, puis retirez ces fichiers du "
        "dossier de dépôt à la main avant le prochain run."
    ),
    OTHER: (
        "Le run a échoué : ouvrez-le dans l'interface Dagster (`reperes ui`) pour lire le journal "
        "de l'étape en échec, corrigez la cause, puis relancez `reperes run`. " + AFTER_A_FAILURE
    ),
}
UNREADABLE_AFTER_SUCCESS = (
    "Publication faite, mais {files} fichier(s) n'ont pas pu être lus : ils sont restés dans le "
    "dossier de dépôt et ne comptent dans aucun indicateur. Voyez leur erreur dans le tableau des "
    "fichiers chargés, demandez une nouvelle livraison sous le même nom, puis relancez `reperes run`."
)

# What to do when a blocking check fails, by check name; on the release candidate, the
# privacy checks (DESIGN.md §4 rules 5 to 7) have their own wording.
CHECK_ACTIONS = {
    "staged_events_meet_contract": (
        "des événements chargés ne respectent pas le contrat (pseudonymes, heures entières, "
        "valeurs permises) : lisez les attentes en échec (failed_expectations), corrigez "
        "l'ingestion ou data_contracts/, puis relancez `reperes run`"
    ),
    "staged_snapshot_meets_contract": (
        "l'annuaire ou le journal des ateliers chargé ne respecte pas son contrat (pseudonymes, "
        "valeurs permises, codes UAI) : lisez les attentes en échec (failed_expectations), "
        "corrigez l'ingestion ou data_contracts/, puis relancez `reperes run`"
    ),
    "every_row_accounted_for": (
        "des lignes lues d'un fichier d'événements ne sont ni chargées, ni en quarantaine, ni en "
        "doublon : relancez `reperes run` ; si l'écart demeure, signalez le fichier à l'équipe "
        "technique (tableau des fichiers chargés)"
    ),
    "cells_respect_minimum_group_size": (
        "des lignes de l'indicateur n'ont pas de population, ou ses nombres ne respectent pas les "
        "relations déclarées dans models/marts/_privacy.yml : corrigez son modèle SQL "
        "(models/marts/), puis relancez `reperes run`"
    ),
    "published_tables_meet_their_contract": (
        "une table publiée contiendrait un chiffre impossible (clé en double, code UAI invalide, "
        "nombre négatif, taux hors de 0 à 1) : lisez les échecs (failures), corrigez le modèle SQL "
        "en cause, puis relancez `reperes run`"
    ),
}
RELEASE_CHECK_ACTIONS = {
    "cells_respect_minimum_group_size": (
        "une ligne publiée reposerait sur moins de k personnes, ou une ligne masquée garderait des chiffres"
    ),
    "small_group_rates_are_banded": (
        "un taux extrême d'un petit groupe serait publié sans tranche, ou avec les nombres qui le redonnent"
    ),
    "no_recovery_by_subtraction": (
        "l'audit montre qu'une case masquée se recalculerait à partir de ce qui est publié "
        "(premières cases exposées : métadonnée first_exposed)"
    ),
}


@dataclass(frozen=True)
class FailedStep:
    step: str
    reason: str


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str


@dataclass(frozen=True)
class RunRecord:
    """One line of the history; every field is non-personal by construction."""

    started_at: str
    ended_at: str
    status: str
    run_id: str | None = None  # the Dagster run; None when the run stopped before Dagster
    kind: str | None = None  # what went wrong (KINDS); None for a clean success
    next_action: str | None = None  # in French, for the dashboard
    failed_steps: tuple[FailedStep, ...] = field(default_factory=tuple)
    failed_checks: tuple[FailedCheck, ...] = field(default_factory=tuple)
    first_day: str | None = None  # the delivery days of the run
    last_day: str | None = None
    files_unreadable: int | None = None  # files quarantined whole, still waiting for a new delivery

    def to_json(self) -> str:
        fields = asdict(self)
        fields["failed_steps"] = [asdict(step) for step in self.failed_steps]
        fields["failed_checks"] = [asdict(check) for check in self.failed_checks]
        return json.dumps(fields, ensure_ascii=False, separators=(", ", ": "))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def one_line_reason(message: str, class_name: str | None = None) -> str:
    """The first line of an error, with a short class name, cut before anything it quotes.

    "duckdb.ConversionException: Could not convert string 'x42' to INT32" gives
    "ConversionException: Could not convert string": whatever follows a quote, a bracket or
    DuckDB's "Input:" may be a value read from a file.
    """
    lines = [line.strip() for line in (message or "").strip().splitlines() if line.strip()]
    text = lines[0] if lines else (class_name or "unknown error")
    text = _QUALIFIED_CLASS.sub(lambda match: f"{match.group(1)}: ", text, count=1)
    quoted = _QUOTED_INPUT.search(text)
    if quoted:
        text = text[: quoted.start()]
    text = text.strip().rstrip(":,;(").strip()
    if class_name and not text.startswith(class_name):
        text = f"{class_name}: {text}" if text else class_name
    return text[:MAX_REASON_CHARACTERS]


def check_next_action(asset: str, check: str) -> str:
    """What to do when the blocking check `check` of `asset` fails, in French."""
    if asset == RELEASE_ASSET and check in RELEASE_CHECK_ACTIONS:
        return (
            f"Publication refusée par le contrôle de confidentialité « {check} » : "
            f"{RELEASE_CHECK_ACTIONS[check]}. " + NEXT_ACTIONS[PRIVACY_AUDIT]
        )
    if check in CHECK_ACTIONS:
        return (
            f"Le contrôle bloquant « {check} » de {asset} a échoué : {CHECK_ACTIONS[check]}. "
            + AFTER_A_FAILURE
        )
    return f"Le contrôle bloquant « {check} » de {asset} a échoué. " + NEXT_ACTIONS[BLOCKING_CHECK]


def classify_failure(steps: Sequence[FailedStep], checks: Sequence[FailedCheck]) -> tuple[str, str]:
    """(kind, French next action) of a failed Dagster run, from its failed steps and its failed
    blocking checks. A step's reason starts with its root cause's class (`one_line_reason`)."""
    for check in checks:
        if check.asset == RELEASE_ASSET and check.check in RELEASE_CHECK_ACTIONS:
            return PRIVACY_AUDIT, check_next_action(check.asset, check.check)
    if checks:
        return BLOCKING_CHECK, check_next_action(checks[0].asset, checks[0].check)
    names = [step.step.split("[")[0] for step in steps]
    if steps and all(name == LANDING_DISPOSAL_STEP for name in names):
        return LANDING_CLEANUP, NEXT_ACTIONS[LANDING_CLEANUP]
    for step, name in zip(steps, names, strict=True):
        if name == RELEASE_ASSET:
            return PRIVACY_AUDIT, NEXT_ACTIONS[PRIVACY_AUDIT]
        if name in INGESTION_STEPS and _is_file_error(step.reason.split(":")[0]):
            return UNREADABLE_FILE, NEXT_ACTIONS[UNREADABLE_FILE]
    return OTHER, NEXT_ACTIONS[OTHER]


def _is_file_error(class_name: str | None) -> bool:
    # DuckDB's errors (IOException, InvalidInputException, ...) all end in "Exception".
    return bool(class_name) and (class_name in FILE_ERROR_CLASSES or class_name.endswith("Exception"))


def failure_record(
    started_at: str,
    kind: str,
    *,
    reason: str | None = None,
    run_id: str | None = None,
    next_action: str | None = None,
    failed_steps: Iterable[FailedStep] = (),
    failed_checks: Iterable[FailedCheck] = (),
    first_day: str | None = None,
    last_day: str | None = None,
) -> RunRecord:
    steps = tuple(failed_steps)[:MAX_ITEMS]
    if not steps and reason:
        steps = (FailedStep("", reason),)
    return RunRecord(
        started_at=started_at,
        ended_at=now(),
        status=FAILURE,
        run_id=run_id,
        kind=kind,
        next_action=next_action or NEXT_ACTIONS[kind],
        failed_steps=steps,
        failed_checks=tuple(failed_checks)[:MAX_ITEMS],
        first_day=first_day,
        last_day=last_day,
    )


def success_record(
    started_at: str, run_id: str, first_day: str, last_day: str, files_unreadable: int | None
) -> RunRecord:
    warned = bool(files_unreadable)
    return RunRecord(
        started_at=started_at,
        ended_at=now(),
        status=SUCCESS,
        run_id=run_id,
        kind=UNREADABLE_FILE if warned else None,
        next_action=UNREADABLE_AFTER_SUCCESS.format(files=files_unreadable) if warned else None,
        first_day=first_day,
        last_day=last_day,
        files_unreadable=files_unreadable,
    )


def history_path(data_dir: Path) -> Path:
    return data_dir / RUN_HISTORY_FILE


def append_record(path: Path, record: RunRecord) -> None:
    """Append one line with a single write, then fsync: a reader never sees half a record
    unless the machine stopped mid-write, and then only on the last line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (record.to_json() + "\n").encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def record_quietly(path: Path, record: RunRecord) -> None:
    """Append, but never let the history hide the run's own outcome (a full disk, say)."""
    try:
        append_record(path, record)
    except OSError as error:
        _LOGGER.warning("The run history %s could not be written: %s", path, error.strerror)


def read_records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded runs, newest first; a line that is not a JSON object is skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    records = []
    for line in reversed(text.splitlines()):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("status") in (SUCCESS, FAILURE):
            records.append(record)
            if limit is not None and len(records) >= limit:
                break
    return records
