"""What a release publishes and how its counts relate, from models/marts/_privacy.yml.

The same declarations drive the suppression and the audit, so the audit attacks exactly the
relations the suppression defended against. A relation declared here that the data breaks is a
bug in the declaration, and `relation_violations` finds it before anything is published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from pipelines.settings import BAND_POPULATION, K_DEPARTMENT, K_MINIMUM, K_SCHOOL, MODELS_DIR

CATALOG_PATH = MODELS_DIR / "marts" / "_privacy.yml"

AUDIENCES = ("school", "department", "none")
SUM, UNION, EQUAL, AT_MOST = "sum", "union", "equal", "at_most"
RELATION_KINDS = (SUM, UNION, EQUAL, AT_MOST)
BAND_SUFFIX = "_band"
IS_SUPPRESSED = "is_suppressed"

Row = Mapping[str, Any]
Tables = Mapping[str, Sequence[Row]]


class CountRef(NamedTuple):
    """One published count: a column of one row of one table."""

    table: str
    row: int
    column: str


@dataclass(frozen=True)
class Thresholds:
    """k per audience and the population under which rates are banded (DESIGN.md §4 rules 5, 7)."""

    k_school: int = K_SCHOOL
    k_department: int = K_DEPARTMENT
    band_population: int = BAND_POPULATION

    def __post_init__(self) -> None:
        for name in ("k_school", "k_department"):
            if getattr(self, name) < K_MINIMUM:
                raise ValueError(f"{name}={getattr(self, name)} is below the floor of {K_MINIMUM}.")
        if self.k_department < self.k_school:
            raise ValueError("k_department cannot be below k_school: views across schools need more.")

    def k(self, audience: str) -> int:
        return self.k_department if audience == "department" else self.k_school


@dataclass(frozen=True)
class RateSpec:
    name: str
    numerator: tuple[str, ...]
    denominator: str
    withhold: tuple[str, ...]

    @property
    def band_column(self) -> str:
        return self.name + BAND_SUFFIX


@dataclass(frozen=True)
class TableSpec:
    name: str
    audience: str
    grain: tuple[str, ...]
    population: str | None
    counts: tuple[str, ...]
    rates: tuple[RateSpec, ...]
    attributes: tuple[str, ...] = ()
    derived: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def protected(self) -> bool:
        return self.population is not None

    def rates_using(self, column: str) -> tuple[RateSpec, ...]:
        return tuple(rate for rate in self.rates if column in (*rate.numerator, rate.denominator))

    def columns_to_withhold(self, column: str) -> set[str]:
        """`column` and what would give it back through a rate: the withhold lists that hold it."""
        withheld = {column}
        for rate in self.rates:
            if column in rate.numerator or column in rate.withhold:
                withheld.update(rate.withhold)
        return withheld


@dataclass(frozen=True)
class RelationSpec:
    name: str
    kind: str
    total: str
    parts: str
    columns: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Link:
    """One instance of a relation: a total count and the part counts it relates to."""

    relation: str
    kind: str
    total: CountRef
    parts: tuple[CountRef, ...]

    @property
    def members(self) -> tuple[CountRef, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class DerivedTableSpec:
    """A table computed at release time from published tables only (models/release/)."""

    name: str
    grain: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    tables: Mapping[str, TableSpec]
    relations: tuple[RelationSpec, ...]
    derived_tables: Mapping[str, DerivedTableSpec] = field(default_factory=dict)

    def k(self, table: str, thresholds: Thresholds) -> int:
        return thresholds.k(self.tables[table].audience)

    def is_population(self, ref: CountRef) -> bool:
        return self.tables[ref.table].population == ref.column


def _as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def parse_catalog(document: Mapping[str, Any]) -> Catalog:
    tables: dict[str, TableSpec] = {}
    for name, table in document["tables"].items():
        audience = table["audience"]
        if audience not in AUDIENCES:
            raise ValueError(f"{name}: audience {audience!r} is not one of {AUDIENCES}")
        counts = tuple(table["counts"])
        population = table.get("population")
        if audience == "none" and population is not None:
            raise ValueError(f"{name}: a table without audience has no population")
        if audience != "none" and population not in counts:
            raise ValueError(f"{name}: its population must be one of its counts")
        rates = []
        for rate_name, rate in (table.get("rates") or {}).items():
            numerator = _as_tuple(rate["numerator"])
            withhold = _as_tuple(rate.get("withhold", numerator))
            unknown = {*numerator, rate["denominator"], *withhold} - set(counts)
            if unknown:
                raise ValueError(f"{name}.{rate_name} refers to undeclared counts {sorted(unknown)}")
            if not set(numerator) <= set(withhold):
                raise ValueError(f"{name}.{rate_name}: its numerator must be withheld with its band")
            rates.append(RateSpec(rate_name, numerator, rate["denominator"], withhold))
        derived = {column: _as_tuple(sources) for column, sources in (table.get("derived") or {}).items()}
        for column, sources in derived.items():
            if not sources or not set(sources) <= set(counts):
                raise ValueError(f"{name}.{column} must be derived from declared counts")
        tables[name] = TableSpec(
            name=name,
            audience=audience,
            grain=tuple(table["grain"]),
            population=population,
            counts=counts,
            rates=tuple(rates),
            attributes=tuple(table.get("attributes") or ()),
            derived=derived,
        )
    relations = []
    for relation in document.get("relations") or []:
        kind = relation["kind"]
        if kind not in RELATION_KINDS:
            raise ValueError(f"{relation['name']}: kind {kind!r} is not one of {RELATION_KINDS}")
        total, parts = tables[relation["total"]], tables[relation["parts"]]
        if not set(total.grain) <= set(parts.grain):
            raise ValueError(f"{relation['name']}: the parts' grain must contain the total's grain")
        columns = tuple((column, _as_tuple(part)) for column, part in relation["columns"].items())
        for column, part_columns in columns:
            if column not in total.counts or not set(part_columns) <= set(parts.counts):
                raise ValueError(f"{relation['name']}: relations are between declared counts")
        relations.append(RelationSpec(relation["name"], kind, total.name, parts.name, columns))
    derived_tables = {}
    for name, table in (document.get("derived_tables") or {}).items():
        sources = _as_tuple(table["from"])
        if not set(sources) <= set(tables):
            raise ValueError(
                f"{name} must be derived from declared marts, not {sorted(set(sources) - set(tables))}"
            )
        derived_tables[name] = DerivedTableSpec(name, tuple(table["grain"]), sources)
    return Catalog(tables=tables, relations=tuple(relations), derived_tables=derived_tables)


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    return parse_catalog(yaml.safe_load(path.read_text(encoding="utf-8")))


def row_key(spec: TableSpec, row: Row) -> tuple:
    return tuple(row[column] for column in spec.grain)


def instantiate(catalog: Catalog, tables: Tables) -> list[Link]:
    """Every declared relation on every row of `tables` (tables absent from it are skipped)."""
    links: list[Link] = []
    for relation in catalog.relations:
        if relation.total not in tables or relation.parts not in tables:
            continue
        total_spec = catalog.tables[relation.total]
        total_rows = tables[relation.total]
        if relation.total == relation.parts:
            for index in range(len(total_rows)):
                for column, part_columns in relation.columns:
                    links.append(
                        Link(
                            relation.name,
                            relation.kind,
                            CountRef(relation.total, index, column),
                            tuple(CountRef(relation.parts, index, part) for part in part_columns),
                        )
                    )
            continue
        parts_by_key: dict[tuple, list[int]] = defaultdict(list)
        for index, row in enumerate(tables[relation.parts]):
            parts_by_key[row_key(total_spec, row)].append(index)
        for index, row in enumerate(total_rows):
            part_rows = parts_by_key.get(row_key(total_spec, row), [])
            for column, part_columns in relation.columns:
                links.append(
                    Link(
                        relation.name,
                        relation.kind,
                        CountRef(relation.total, index, column),
                        tuple(
                            CountRef(relation.parts, part_row, part)
                            for part_row in part_rows
                            for part in part_columns
                        ),
                    )
                )
    return links


def value_of(tables: Tables, ref: CountRef) -> Any:
    return tables[ref.table][ref.row][ref.column]


def holds_as_sum(link: Link, truth: Tables) -> bool:
    """A sum, or a union whose parts happen to be disjoint: total = sum of parts, exactly."""
    if link.kind == SUM:
        return True
    if link.kind != UNION:
        return False
    return value_of(truth, link.total) == sum(value_of(truth, part) for part in link.parts)


def relation_violations(links: Sequence[Link], truth: Tables) -> list[str]:
    """Links whose declared relation the exact figures break: the declaration is wrong."""
    problems = []
    for link in links:
        total = value_of(truth, link.total)
        parts = [value_of(truth, part) for part in link.parts]
        if total is None or any(part is None for part in parts):
            problems.append(f"{link.relation}: a count is missing at {link.total}")
            continue
        if link.kind == SUM:
            holds = total == sum(parts)
        elif link.kind == UNION:
            holds = not parts or max(parts) <= total <= sum(parts)
        elif link.kind == EQUAL:
            holds = all(part == total for part in parts)
        else:
            holds = all(part <= total for part in parts)
        if not holds:
            problems.append(f"{link.relation} does not hold at {link.total}")
    return problems
