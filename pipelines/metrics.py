"""The metrics dictionary: one definition per indicator, read by everything that shows one.

An indicator's French label and definition are written once, in models/marts/_metrics.yml, so
that the published file's column comments, the dashboard's titles, help texts and export headers
and docs/indicators.md cannot drift apart: change the sentence there and every reader of it
changes. What _privacy.yml already says (the grain of a row, who may see it and so its k) is
read from there rather than written twice, and the columns the release adds to every published
table (`<rate>_band`, `is_suppressed`) are described from the rate they belong to.

tests/test_metrics_dictionary.py holds the dictionary and the marts to each other: a column
described nowhere, or an entry describing nothing, fails the suite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pipelines.privacy.catalog import BAND_SUFFIX, IS_SUPPRESSED, Catalog, TableSpec, load_catalog
from pipelines.settings import BAND_POPULATION, K_DEPARTMENT, K_SCHOOL, MODELS_DIR

DICTIONARY_PATH = MODELS_DIR / "marts" / "_metrics.yml"
REGENERATE_COMMAND = "reperes indicators --output docs/indicators.md"

RATE_UNIT = "part (0–1)"
# A closed list, so that a typo ("personne", "part") is caught when the dictionary loads.
UNITS = (
    "code",
    "date",
    "personnes",
    "devoirs",
    "rendus",
    "événements",
    "entrées",
    "disciplines",
    "semaines",
    "rang",
    "jour",
    "mois",
    "établissements",
    "écart de part",
    "score",
    RATE_UNIT,
    "tranche",
    "oui/non",
    # The data-quality tables count rows and files of the deliveries.
    "lignes",
    "fichiers",
)
ENTRY_KEYS = ("label", "definition", "unit")

AUDIENCE_TEXT = {
    "school": (
        f"au sein d'un établissement ; une ligne qui compte moins de {K_SCHOOL} personnes est masquée "
        f"(k = {K_SCHOOL})"
    ),
    "department": (
        "plusieurs établissements ou données ouvertes ; une ligne qui compte moins de "
        f"{K_DEPARTMENT} personnes est masquée (k = {K_DEPARTMENT})"
    ),
    "none": (
        "ne compte pas de personnes (des actions, des fichiers ou des lignes livrées) ; publiée "
        "telle quelle, sans masquage"
    ),
    "derived": (
        "calculée à la publication à partir des seuls chiffres publiés (déjà masqués) : elle ne "
        "révèle rien de plus qu'eux"
    ),
}


@dataclass(frozen=True)
class Entry:
    label: str
    definition: str
    unit: str


@dataclass(frozen=True)
class MartEntry:
    label: str
    definition: str
    columns: Mapping[str, Entry]  # the shared entries, with this mart's overrides applied
    overrides: frozenset[str]  # the columns this mart describes itself
    listed: tuple[str, ...] = ()  # in the order written: a derived table lists all its columns


@dataclass(frozen=True)
class Dictionary:
    columns: Mapping[str, Entry]
    marts: Mapping[str, MartEntry]


@dataclass(frozen=True)
class Indicator:
    """One published column of one mart, as a reader needs it described."""

    mart: str
    column: str
    label: str
    definition: str
    unit: str
    grain: tuple[str, ...]
    audience: str


def _text(where: str, fields: Mapping[str, Any], keys: Sequence[str]) -> list[str]:
    """The values of `keys`, on one line each (YAML folds long sentences); none may be missing."""
    unknown = set(fields) - set(keys) - {"columns"}
    missing = [key for key in keys if not str(fields.get(key) or "").strip()]
    if unknown or missing:
        raise ValueError(
            f"{DICTIONARY_PATH.name}: {where} needs exactly {', '.join(keys)} "
            f"(missing {missing}, unknown {sorted(unknown)})."
        )
    return [" ".join(str(fields[key]).split()) for key in keys]


def _entry(where: str, fields: Mapping[str, Any]) -> Entry:
    entry = Entry(*_text(where, fields, ENTRY_KEYS))
    if entry.unit not in UNITS:
        raise ValueError(
            f"{DICTIONARY_PATH.name}: {where} has unit {entry.unit!r}, not one of {UNITS} "
            "(a new unit goes into UNITS in pipelines/metrics.py)."
        )
    return entry


def parse_dictionary(document: Mapping[str, Any], catalog: Catalog) -> Dictionary:
    shared = {column: _entry(f"columns.{column}", fields) for column, fields in document["columns"].items()}
    marts = {}
    for mart, fields in document["marts"].items():
        if mart not in catalog.tables and mart not in catalog.derived_tables:
            raise ValueError(f"{DICTIONARY_PATH.name}: mart {mart} is not declared in _privacy.yml.")
        label, definition = _text(f"marts.{mart}", fields, ("label", "definition"))
        overrides = fields.get("columns") or {}
        columns = dict(shared)
        for column, override in overrides.items():
            base = vars(shared[column]) if column in shared else {}
            columns[column] = _entry(f"marts.{mart}.columns.{column}", {**base, **override})
        marts[mart] = MartEntry(label, definition, columns, frozenset(overrides), tuple(overrides))
    return Dictionary(shared, marts)


@cache
def load_dictionary(path: Path = DICTIONARY_PATH) -> Dictionary:
    return parse_dictionary(yaml.safe_load(path.read_text(encoding="utf-8")), load_catalog())


def table_spec(mart: str) -> TableSpec:
    catalog = load_catalog()
    if mart in catalog.derived_tables:
        # Computed from published tables only: nothing of its own to protect.
        derived = catalog.derived_tables[mart]
        return TableSpec(mart, "derived", derived.grain, None, (), ())
    spec = catalog.tables.get(mart)
    if spec is None:
        raise ValueError(f"mart {mart} is not declared in models/marts/_privacy.yml.")
    return spec


def mart_entry(mart: str) -> MartEntry:
    entry = load_dictionary().marts.get(mart)
    if entry is None:
        raise ValueError(f"mart {mart} has no entry under `marts:` in models/marts/_metrics.yml.")
    return entry


def mart_columns(mart: str) -> tuple[str, ...]:
    """The mart's own columns, in the order _privacy.yml declares them (grain first); a
    derived table's, as its dictionary entry lists them."""
    spec = table_spec(mart)
    if spec.audience == "derived":
        return mart_entry(mart).listed
    return (
        *spec.grain,
        *spec.attributes,
        *spec.counts,
        *(rate.name for rate in spec.rates),
        *spec.derived,
    )


def published_columns(mart: str) -> tuple[str, ...]:
    """What the release publishes: the mart's columns, a band per rate and `is_suppressed`."""
    if table_spec(mart).audience == "derived":
        return mart_columns(mart)
    return (*mart_columns(mart), *(rate.band_column for rate in table_spec(mart).rates), IS_SUPPRESSED)


def _lowercase_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _describe(mart: str, column: str) -> Entry:
    columns = mart_entry(mart).columns
    if column in columns:
        return columns[column]
    rate = column.removesuffix(BAND_SUFFIX)
    if column.endswith(BAND_SUFFIX) and rate in {spec.name for spec in table_spec(mart).rates}:
        rate_label = _describe(mart, rate).label
        return Entry(
            label=f"Tranche de {_lowercase_first(rate_label)}",
            definition=(
                f"Tranche publiée à la place de la valeur exacte de « {rate_label} » (par exemple "
                f"« ≥ 95\u00a0% ») quand le groupe compte moins de {BAND_POPULATION} personnes et que "
                "la valeur est proche de 0 ou de 100\u00a0% ; vide sinon."
            ),
            unit="tranche",
        )
    if column == IS_SUPPRESSED:
        return Entry(
            label="Masqué (secret statistique)",
            definition=(
                "Oui quand les nombres de la ligne sont masqués, parce que le groupe est trop petit "
                "ou qu'ils permettraient de retrouver un petit groupe par soustraction."
            ),
            unit="oui/non",
        )
    raise ValueError(
        f"{mart}.{column} is not described in models/marts/_metrics.yml "
        f"(add it under `columns:`, or under `marts: {mart}: columns:` if it means something else there)."
    )


def indicator(mart: str, column: str) -> Indicator:
    """The description of one published column; a ValueError names what the dictionary lacks."""
    spec = table_spec(mart)
    entry = _describe(mart, column)
    return Indicator(mart, column, entry.label, entry.definition, entry.unit, spec.grain, spec.audience)


def find_indicator(mart: str, column: str) -> Indicator | None:
    """`indicator`, or None: for readers that show a column as is rather than fail a page or a
    release over a missing label (tests/test_metrics_dictionary.py fails in CI instead)."""
    try:
        return indicator(mart, column)
    except ValueError:
        return None


def indicators() -> list[Indicator]:
    """Every published column of every mart the dictionary describes, in its order."""
    return [indicator(mart, column) for mart in load_dictionary().marts for column in published_columns(mart)]


def rate_columns() -> frozenset[str]:
    """Columns that hold a rate: declared as a rate in _privacy.yml, or measured as a part."""
    declared = {rate.name for spec in load_catalog().tables.values() for rate in spec.rates}
    parts = {column for column, entry in load_dictionary().columns.items() if entry.unit == RATE_UNIT}
    return frozenset(declared | parts)


def column_labels() -> dict[str, str]:
    """The shared French title of every column name, for readers that do not know the mart."""
    labels = {column: entry.label for column, entry in load_dictionary().columns.items()}
    for mart in load_dictionary().marts:
        for column in published_columns(mart):
            item = find_indicator(mart, column)
            if item is not None:
                labels.setdefault(column, item.label)
    return labels


def sql_string(text: str) -> str:
    """A SQL string literal; COMMENT ON takes no parameters, and French is full of apostrophes."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_statements(mart: str, columns: Sequence[str], target: str | None = None) -> list[str]:
    """COMMENT ON statements for a published table, "label — definition", so that whoever opens
    published.duckdb with any SQL client reads what each column means (duckdb_columns()).

    `target` is the table's qualified name (default: the mart's name). Columns the dictionary
    does not describe get no comment: a release is not held back for a label."""
    table = target or sql_identifier(mart)
    statements = []
    entry = load_dictionary().marts.get(mart)
    if entry is not None:
        statements.append(f"comment on table {table} is {sql_string(f'{entry.label} — {entry.definition}')}")
    for column in columns:
        item = find_indicator(mart, column)
        if item is not None:
            text = f"{item.label} — {item.definition}"
            statements.append(f"comment on column {table}.{sql_identifier(column)} is {sql_string(text)}")
    return statements


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    """docs/indicators.md: one section per mart, its grain, who may see it, and its columns."""
    lines = [
        "# Dictionnaire des indicateurs",
        "",
        "Ce que veut dire chaque colonne publiée par Repères (`published.duckdb`, tableaux de bord,",
        "exports). Page générée depuis `models/marts/_metrics.yml` et `models/marts/_privacy.yml`",
        f"par `{REGENERATE_COMMAND}` : ne pas la modifier à la main.",
        "",
        "Les taux sont des parts entre 0 et 1. Une ligne masquée (secret statistique) a ses nombres",
        f"vides ; sur un groupe de moins de {BAND_POPULATION} personnes, un taux proche de 0 ou de 1 est",
        "publié en tranche.",
    ]
    for mart, entry in load_dictionary().marts.items():
        spec = table_spec(mart)
        lines += [
            "",
            f"## {entry.label}",
            "",
            f"Table `{mart}`. {entry.definition}",
            "",
            f"- Une ligne par : {' × '.join(f'`{column}`' for column in spec.grain)}",
            f"- Audience : {AUDIENCE_TEXT[spec.audience]}",
            "",
            "| colonne | libellé | définition | unité |",
            "|---|---|---|---|",
        ]
        for column in published_columns(mart):
            item = indicator(mart, column)
            lines.append(
                f"| `{column}` | {_cell(item.label)} | {_cell(item.definition)} | {_cell(item.unit)} |"
            )
    return "\n".join(lines) + "\n"
