"""French wording of the dashboard: roles, services, columns, and how values are written.

Identifiers stay as the marts spell them (`eleve`, `cahier_de_textes`, …); everything a reader
sees goes through this module so the wording is the same on every page and in every table.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

from pipelines import metrics
from pipelines.privacy_report import FRENCH_MONTHS

MINIMUM_GROUP_SIZE = 5

# One wording for every hidden cell: saying which ones are the small groups would undo the
# complementary suppression that hides others beside them (DESIGN.md §4 rule 6).
SUPPRESSED_TEXT = "masqué (secret statistique)"
PRIVACY_FOOTER = f"Les groupes de moins de {MINIMUM_GROUP_SIZE} personnes sont masqués (RGPD)."
SUPPRESSED_GAP_CAPTION = (
    "Un trou dans une courbe ou une barre absente signale une valeur masquée (secret statistique : "
    f"un groupe de moins de {MINIMUM_GROUP_SIZE} personnes, ou une case qui permettrait de le "
    "retrouver par soustraction) ; elle ne vaut pas zéro."
)
MISSING_PUBLICATION_MESSAGE = (
    "Aucune publication trouvée : lancez `reperes run` pour produire les indicateurs, "
    "puis rechargez cette page."
)
EMPTY_PUBLICATION_MESSAGE = (
    "La publication ne contient aucun établissement : vérifiez les fichiers déposés, "
    "puis relancez `reperes run`."
)
UNREADABLE_PUBLICATION_MESSAGE = (
    "La publication n'a pas pu être lue : relancez `reperes run`, puis rechargez cette page."
)

ROLES = ("eleve", "parent", "enseignant", "personnel")
ROLE_TITLES = {
    "eleve": "Élèves",
    "parent": "Parents",
    "enseignant": "Enseignants",
    "personnel": "Personnels",
}
# The plural noun used inside a sentence: "62 % des élèves …".
ROLE_IN_SENTENCE = {
    "eleve": "élèves",
    "parent": "parents",
    "enseignant": "enseignants",
    "personnel": "personnels",
}

SERVICES = (
    "portail",
    "cahier_de_textes",
    "devoirs",
    "messagerie",
    "espace_cours",
    "calendrier",
    "actualites",
    "ressources",
    "autre",
)
SERVICE_TITLES = {
    "portail": "Portail",
    "cahier_de_textes": "Cahier de textes",
    "devoirs": "Devoirs",
    "messagerie": "Messagerie",
    "espace_cours": "Espace de cours",
    "calendrier": "Calendrier",
    "actualites": "Actualités",
    "ressources": "Ressources",
    "autre": "Autres services",
}
# Subject of a sentence, with whether the verb takes the plural: "la messagerie a touché …".
SERVICE_AS_SUBJECT = {
    "portail": ("le portail", False),
    "cahier_de_textes": ("le cahier de textes", False),
    "devoirs": ("les devoirs", True),
    "messagerie": ("la messagerie", False),
    "espace_cours": ("l'espace de cours", False),
    "calendrier": ("le calendrier", False),
    "actualites": ("les actualités", True),
    "ressources": ("les ressources", True),
    "autre": ("les autres services", True),
}

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
TERM_TITLES = {"T1": "1er trimestre", "T2": "2e trimestre", "T3": "3e trimestre"}
# How the pages name the audience of a suggested workshop (training_needs counts teachers only).
WORKSHOP_AUDIENCE = "enseignants"

HOMEWORK_STATUSES = ("on_time", "late", "missing", "pending")
HOMEWORK_STATUS_TITLES = {
    "on_time": "À l'heure",
    "late": "En retard",
    "missing": "Non rendu",
    "pending": "À venir",
}

# Column titles and which columns are rates come from the metrics dictionary
# (models/marts/_metrics.yml), so a header here, a comment in published.duckdb and a line of
# docs/indicators.md say the same thing.
COLUMN_TITLES = metrics.column_labels()
RATE_COLUMNS = metrics.rate_columns()
VALUE_TITLES = {"role": ROLE_TITLES, "service": SERVICE_TITLES}

MONTHS = FRENCH_MONTHS  # one list of month names, shared with the transparency notice

# French typography puts a non-breaking space before "%".
PERCENT = "\u00a0%"
# Rule 7 of DESIGN §4: "every pupil did / none did" is not spelled out in words.
HIGH_BAND, LOW_BAND = 0.95, 0.05
# The release publishes a small group's extreme rate as a band ("≥ 95 %") in `<rate>_band`.
BAND_SUFFIX = "_band"
_BAND_LABEL = re.compile(r"^(≤|≥) (\d+)\u00a0%$")


def is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA: the ways a NULL comes out of DuckDB."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def format_date(day: dt.date | pd.Timestamp) -> str:
    """`2 juin 2025`, without depending on the machine's locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def format_short_date(day: dt.date | pd.Timestamp) -> str:
    """`2 juin`, for axis ticks."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def format_week(week_start: dt.date | pd.Timestamp) -> str:
    return f"semaine du {format_date(week_start)}"


def band_bound(band: object) -> float | None:
    """Where a published band is drawn: at its bound ("≥ 90 %" at 0.90, "≤ 5 %" at 0.05)."""
    if is_missing(band):
        return None
    match = _BAND_LABEL.match(str(band))
    return int(match.group(2)) / 100 if match else None


def format_rate(rate: float | None, band: object = None) -> str:
    """A rate for a sentence or a table; extremes are given as bands, NULL as masked."""
    if not is_missing(band):
        return str(band)
    if is_missing(rate):
        return SUPPRESSED_TEXT
    if rate >= HIGH_BAND:
        return f"≥ 95{PERCENT}"
    if rate <= LOW_BAND:
        return f"≤ 5{PERCENT}"
    return f"{round(rate * 100)}{PERCENT}"


def format_count(count: int | None) -> str:
    if is_missing(count):
        return SUPPRESSED_TEXT
    return f"{int(count):,}".replace(",", "\u202f")


def format_month(month_start: dt.date | pd.Timestamp) -> str:
    """`mai 2025`."""
    return f"{MONTHS[month_start.month - 1]} {month_start.year}"


def format_points(change: float | None) -> str:
    """A change of rate in percentage points: `+4 points`, `−1 point`, `stable`."""
    if is_missing(change):
        return ""
    points = round(change * 100)
    if points == 0:
        return "stable"
    sign = "+" if points > 0 else "\u2212"
    return f"{sign}{abs(points)} point{'s' if abs(points) > 1 else ''}"


# A missing value is not always a masked one: these columns are empty for a reason of their own
# (a holiday week, no previous year, an effect not yet measurable), said instead of "masqué"
# unless the row itself is masked.
NOT_APPLICABLE_TEXTS = {
    "school_week_number": "vacances",
    "previous_rate": "non publié la semaine de classe précédente",
    "change": "non calculable (une des deux semaines est masquée ou en tranche)",
    "last_year_rate": "pas de donnée un an plus tôt",
    "change_since_last_year": "pas de donnée un an plus tôt",
    "quartile": "taux de l'établissement non publié",
    "effect": "pas encore mesurable (4 semaines de classe avant et après l'atelier)",
    "control_share_before": "non publié (moins de 10 établissements de comparaison)",
    "control_share_after": "non publié (moins de 10 établissements de comparaison)",
}


def explain_not_applicable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where the empty cells of NOT_APPLICABLE_TEXTS columns say why they are empty.

    Cells of masked rows (`is_suppressed`) stay empty: they are shown as masked. Give the result
    to `french_table` and to the exports alike, so that screen and files say the same thing.
    """
    if not any(column in frame for column in NOT_APPLICABLE_TEXTS):
        return frame
    shown = frame.copy()
    masked = shown["is_suppressed"].fillna(False).astype(bool) if "is_suppressed" in shown else None
    for column, text in NOT_APPLICABLE_TEXTS.items():
        if column not in shown:
            continue
        values = shown[column].astype(object)
        empty = values.map(is_missing)
        if masked is not None:
            empty &= ~masked
        shown[column] = values.where(~empty, text)
    return shown


def _shown_columns(frame: pd.DataFrame) -> list[str]:
    """What a reader's table shows: bands are written in their rate's cell, suppression as text."""
    return [
        column for column in frame.columns if column != "is_suppressed" and not column.endswith(BAND_SUFFIX)
    ]


def column_title(column: str, mart: str | None = None) -> str:
    """The French title of a column: the mart's own wording when it is known, else the shared one."""
    item = metrics.find_indicator(mart, column) if mart else None
    return item.label if item else COLUMN_TITLES.get(column, column)


def help_text(mart: str, column: str) -> str:
    """The dictionary's one-sentence definition, for `help=` tooltips."""
    return metrics.indicator(mart, column).definition


def column_help(frame: pd.DataFrame, mart: str) -> dict[str, dict[str, str]]:
    """`st.dataframe(french_table(frame, mart), column_config=column_help(frame, mart))`: each
    header's definition as a tooltip (a plain dict is a valid Streamlit column config)."""
    return {
        column_title(column, mart): {"help": item.definition}
        for column in _shown_columns(frame)
        if (item := metrics.find_indicator(mart, column)) is not None
    }


def export_frame(frame: pd.DataFrame, mart: str) -> pd.DataFrame:
    """The rows for a CSV download: values unchanged, headers the dictionary's French labels."""
    return frame.rename(columns={column: column_title(column, mart) for column in frame.columns})


DATE_COLUMNS = ("week_start", "due_on", "start_week")
# Changes of a rate, in points (`+4 points`), from the dictionary's unit.
CHANGE_COLUMNS = frozenset(
    column for column, entry in metrics.load_dictionary().columns.items() if entry.unit == "écart de part"
)
# Shares of weeks, not of persons: rule 7's bands do not apply, 100 % is said as such.
WEEK_SHARE_COLUMNS = frozenset({"regularity"})


def _figure_text(column: str, value: object, band: object = None) -> str:
    if isinstance(value, str):  # explain_not_applicable has said why the cell is empty
        return value
    if column in CHANGE_COLUMNS:
        return format_points(value) or SUPPRESSED_TEXT
    if column in WEEK_SHARE_COLUMNS and not is_missing(value):
        return f"{round(float(value) * 100)}{PERCENT}"
    if column in RATE_COLUMNS:
        return format_rate(None if is_missing(value) else float(value), band)
    return format_count(value)


def french_table(frame: pd.DataFrame, mart: str | None = None) -> pd.DataFrame:
    """The rows as a reader sees them: French headers and values, masked cells spelled out.

    Every column becomes text so that a masked cell can say why it is empty instead of
    showing a blank or a zero. With `mart`, headers use that mart's wording.
    """
    shown = pd.DataFrame(index=frame.index)
    for column in _shown_columns(frame):
        values = frame[column]
        bands = frame[column + BAND_SUFFIX] if column + BAND_SUFFIX in frame else [None] * len(frame)
        if column in DATE_COLUMNS:
            text = [
                SUPPRESSED_TEXT if is_missing(value) else format_date(pd.Timestamp(value)) for value in values
            ]
        elif column == "month_start":
            text = [format_month(pd.Timestamp(value)) for value in values]
        elif column == "weekday":
            text = [WEEKDAYS[int(value) - 1].capitalize() for value in values]
        elif pd.api.types.is_bool_dtype(values):
            text = ["oui" if value else "non" for value in values]
        elif column in VALUE_TITLES:
            text = [VALUE_TITLES[column].get(value, value) for value in values]
        elif column in RATE_COLUMNS or column in CHANGE_COLUMNS or column in NOT_APPLICABLE_TEXTS:
            text = [_figure_text(column, value, band) for value, band in zip(values, bands, strict=True)]
        elif pd.api.types.is_numeric_dtype(values):
            text = [format_count(value) for value in values]
        else:
            text = [str(value) for value in values]
        shown[column_title(column, mart)] = text
    return shown.reset_index(drop=True)


# Data quality ("Qualité des données" page) ------------------------------------------------

CONTRACT_TITLES = {
    "events": "Événements (journal de l'ENT)",
    "roster": "Annuaire",
    "workshops": "Ateliers de formation",
}
WHOLE_RECORD_TITLE = "ligne entière"
# The rules ingestion writes in staging.quarantine (pipelines/ingestion.py), said in French.
RULE_TEXTS = {
    "required value is missing": "Valeur obligatoire manquante.",
    "not an ISO 8601 timestamp": (
        "Horodatage illisible : attendu au format ISO 8601 (par exemple 2025-09-03T08:42:00+02:00)."
    ),
    "ambiguous local time (the hour repeated when clocks go back): give a UTC offset": (
        "Heure locale ambiguë (l'heure répétée au passage à l'heure d'hiver) : l'export doit "
        "donner le décalage UTC."
    ),
    "local time that does not exist (the hour skipped when clocks go forward)": (
        "Heure locale qui n'existe pas (l'heure sautée au passage à l'heure d'été)."
    ),
    "timestamp before 2000": "Date antérieure à 2000 : sans doute une horloge mal réglée.",
    "timestamp after the file's delivery day": "Action datée après le jour de livraison du fichier.",
    "not an ISO 8601 date": "Date illisible : attendu AAAA-MM-JJ.",
    "not an integer": "Nombre entier attendu.",
    "not a UAI code (7 digits and the matching key letter)": (
        "Code d'établissement (UAI) invalide : 7 chiffres et la lettre clé qui leur correspond."
    ),
    "not a JSON object": "Ligne JSON qui n'est pas un objet (ligne coupée ou mal formée).",
    "empty file": "Fichier vide.",
}
# DuckDB's CSV reader names the lines it could not split by their error type.
UNREADABLE_LINE_TEXTS = {
    "too many columns": "plus de colonnes que l'en-tête",
    "missing columns": "moins de colonnes que l'en-tête",
    "unquoted value": "guillemet ouvert jamais fermé",
    "line size over maximum": "ligne trop longue",
    "invalid unicode": "caractères invalides",
    "invalid encoding": "caractères invalides",
    "cast": "valeur d'un type inattendu",
}


def rule_text(rule: str) -> str:
    """A quarantine rule as a French sentence; an unknown rule is shown as ingestion wrote it."""
    if rule in RULE_TEXTS:
        return RULE_TEXTS[rule]
    if rule.startswith("not one of: "):
        return f"Valeur hors de la liste permise ({rule.removeprefix('not one of: ')})."
    if rule.startswith("less than "):
        return f"Valeur inférieure au minimum permis ({rule.removeprefix('less than ')})."
    if rule.startswith("unreadable line: "):
        kind = rule.removeprefix("unreadable line: ").split(" (")[0]
        return f"Ligne que le lecteur n'a pas pu découper : {UNREADABLE_LINE_TEXTS.get(kind, kind)}."
    if rule.startswith("unreadable file: "):
        reason = rule.removeprefix("unreadable file: ")
        return f"Fichier illisible : aucun lecteur n'a pu l'ouvrir ({reason})."
    return rule


RUN_STATUS_TITLES = {"success": "Réussi", "failure": "Échec"}
RUN_KIND_TITLES = {
    "missing_key": "Clé de pseudonymisation absente",
    "no_input": "Aucun fichier à charger",
    "unreadable_file": "Fichier illisible",
    "blocking_check": "Contrôle bloquant en échec",
    "privacy_audit": "Publication refusée (confidentialité)",
    "landing_cleanup": "Fichiers déposés non retirés",
    "other": "Autre erreur",
}
