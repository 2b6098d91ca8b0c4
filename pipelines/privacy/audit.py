"""The attacker's problem: what can be recomputed from everything a release publishes (rule 6).

An attacker knows every published count, rate and band, every relation declared in
_privacy.yml (totals of parts, unions of persons, one population repeated in two tables, counts
within a row) and that counts are ≥ 0. The hidden counts are the variables of that linear
system. For each protected value, `scipy.optimize.linprog` finds the smallest and the largest
value the system allows (Fischetti & Salazar-González, "Models and algorithms for optimizing
cell suppression in tabular data with linear constraints", JASA 95, 2000; the "attacker
problem" that sdcTable's `attack()` solves). The LP relaxation is then rounded inwards to
integers. The protected values and what each must keep:

- population of a suppressed row whose group is below k (rule 5): the interval holds a value
  below k and a value of at least k, so no one can tell the group is small, let alone its size;
- population of a row that moved by fewer than k persons since a published release (rule 6,
  successive releases): the interval holds the old value or a value at least k away from every
  old one, so no one can tell that only a few persons came or went;
- a rate of a group under BAND_POPULATION whose exact count is extreme, whether banded or
  hidden (rule 7): the interval of its count holds the extreme (0, or all) and another value,
  so "none did" / "everyone did" is never certain.

Complementary suppressions (rows hidden only to protect others) need no interval of their own:
that is the usual definition of protection (Hundepool et al., Statistical Disclosure Control,
Wiley 2012, §4.2); which rows are primary is not published (only `is_suppressed`).

Unions that the data makes exact sums (no person in two parts) are audited as sums. The LP is
solved per connected component of the hidden counts, which keeps a département-size release fast.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linprog

from pipelines.privacy.bands import LOW, band_for, parse_band
from pipelines.privacy.catalog import (
    AT_MOST,
    EQUAL,
    UNION,
    Catalog,
    CountRef,
    Link,
    Tables,
    Thresholds,
    holds_as_sum,
    instantiate,
    row_key,
    value_of,
)

MINIMUM_GROUP_SIZE = "minimum_group_size"
RELEASE_DIFFERENCE = "release_difference"
SMALL_GROUP_RATE = "small_group_rate"
TOLERANCE = 1e-6

# Populations published by earlier releases: (table, cell key) -> every population published.
PreviousPopulations = Mapping[tuple[str, str], frozenset[int]]


def cell_key(values: Sequence[object]) -> str:
    """A row's grain as one string, stable across releases (dates as ISO text)."""
    return "|".join("" if value is None else str(value) for value in values)


@dataclass(frozen=True)
class Expression:
    """constant + sum of coefficient × hidden count."""

    coefficients: tuple[tuple[CountRef, float], ...]
    constant: float = 0.0


@dataclass(frozen=True)
class Target:
    kind: str
    table: str
    row: int
    key: str  # the row's grain, for people reading a report
    subject: str  # the population column, or the rate
    expression: Expression
    k: int = 0
    previous: frozenset[int] = frozenset()
    refs: tuple[CountRef, ...] = ()  # the hidden counts to protect (for the repair step)
    expression_at_truth: Expression | None = (
        None  # before merging equal counts: evaluable on the exact figures
    )

    def describe(self) -> str:
        return f"{self.kind}: {self.table}({self.key}).{self.subject}"


@dataclass(frozen=True)
class Finding:
    """lower and upper bound what the attacker can recompute. Where the rule needs only one of
    them (the exact figure being a value the attacker cannot exclude), the other is the exact
    figure, not solved."""

    target: Target
    lower: float
    upper: float
    passed: bool


@dataclass
class AuditReport:
    findings: list[Finding] = field(default_factory=list)
    hidden_counts: int = 0
    constraints: int = 0
    components: int = 0
    solves: int = 0
    seconds: float = 0.0

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def counts_by_kind(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for finding in self.findings:
            counts[finding.target.kind] += 1
        return dict(counts)


def _integer_interval(lower: float, upper: float) -> tuple[float, float]:
    low = math.ceil(lower - TOLERANCE)
    high = upper if math.isinf(upper) else math.floor(upper + TOLERANCE)
    return low, high


def target_passes(target: Target, lower: float, upper: float) -> bool:
    low, high = _integer_interval(lower, upper)
    if target.kind == MINIMUM_GROUP_SIZE:
        return low < target.k <= high
    if target.kind == RELEASE_DIFFERENCE:
        if any(low <= old <= high for old in target.previous):
            return True
        return high >= max(target.previous) + target.k or low <= min(target.previous) - target.k
    # SMALL_GROUP_RATE: the expression counts the distance to the extreme (0 for "none did").
    return low <= 0 < high


class _System:
    """The linear constraints an attacker knows, over the hidden counts."""

    def __init__(self) -> None:
        self.rows: list[tuple[dict[CountRef, float], str, float]] = []  # (coefficients, "eq"|"le", rhs)
        # Hidden counts known to be equal (one population in two tables) share one variable.
        self.alias: dict[CountRef, CountRef] = {}

    def canonical(self, ref: CountRef) -> CountRef:
        while ref in self.alias:
            ref = self.alias[ref]
        return ref

    def same(self, first: CountRef, second: CountRef) -> None:
        first, second = self.canonical(first), self.canonical(second)
        if first != second:
            self.alias[second] = first

    def expression(self, expression: Expression) -> Expression:
        coefficients: dict[CountRef, float] = defaultdict(float)
        for ref, coefficient in expression.coefficients:
            coefficients[self.canonical(ref)] += coefficient
        kept = tuple(sorted((ref, value) for ref, value in coefficients.items() if value))
        return Expression(kept, expression.constant)

    def add(self, terms: Sequence[tuple[float, object]], sense: str, rhs: float = 0.0) -> None:
        """terms: (coefficient, CountRef for a hidden count or a known number)."""
        coefficients: dict[CountRef, float] = defaultdict(float)
        for coefficient, term in terms:
            if isinstance(term, CountRef):
                coefficients[self.canonical(term)] += coefficient
            else:
                rhs -= coefficient * float(term)
        coefficients = {ref: value for ref, value in coefficients.items() if value != 0}
        if coefficients:
            self.rows.append((coefficients, sense, rhs))


def _known_or_ref(published: Tables, ref: CountRef) -> object:
    value = value_of(published, ref)
    return ref if value is None else value


def build_system(
    published: Tables, truth: Tables, catalog: Catalog, links: Sequence[Link]
) -> tuple[_System, set[CountRef]]:
    system = _System()
    hidden: set[CountRef] = {
        CountRef(table, index, column)
        for table, rows in published.items()
        if catalog.tables[table].protected
        for index, row in enumerate(rows)
        for column in catalog.tables[table].counts
        if row[column] is None
    }
    for link in links:
        if link.kind == EQUAL and link.total in hidden:
            for part in link.parts:
                if part in hidden:
                    system.same(link.total, part)
    for table, rows in published.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        for index, row in enumerate(rows):
            for rate in spec.rates:
                numerator = [_known_or_ref(published, CountRef(table, index, c)) for c in rate.numerator]
                denominator = _known_or_ref(published, CountRef(table, index, rate.denominator))
                if not any(isinstance(term, CountRef) for term in (*numerator, denominator)):
                    continue
                if row[rate.name] is not None:  # rate × denominator = numerator
                    terms = [(1.0, term) for term in numerator] + [(-float(row[rate.name]), denominator)]
                    system.add(terms, "eq")
                label = row.get(rate.band_column)
                if label is not None:
                    band = parse_band(label)
                    share = band.width_percent / 100 if band.side == LOW else 1 - band.width_percent / 100
                    terms = [(1.0, term) for term in numerator] + [(-share, denominator)]
                    if band.side == LOW:
                        system.add(terms, "le")
                    else:
                        system.add([(-coefficient, term) for coefficient, term in terms], "le")
    for link in links:
        if not any(member in hidden for member in link.members):
            continue
        total = _known_or_ref(published, link.total)
        parts = [_known_or_ref(published, part) for part in link.parts]
        if holds_as_sum(link, truth):
            system.add([(1.0, total)] + [(-1.0, part) for part in parts], "eq")
        elif link.kind == EQUAL:
            for part in parts:
                system.add([(1.0, total), (-1.0, part)], "eq")
        elif link.kind in (UNION, AT_MOST):
            for part in parts:
                system.add([(1.0, part), (-1.0, total)], "le")
            if link.kind == UNION:
                system.add([(1.0, total)] + [(-1.0, part) for part in parts], "le")
    return system, hidden


def _expression(terms: Sequence[tuple[float, object]]) -> Expression:
    coefficients: dict[CountRef, float] = defaultdict(float)
    constant = 0.0
    for coefficient, term in terms:
        if isinstance(term, CountRef):
            coefficients[term] += coefficient
        else:
            constant += coefficient * float(term)
    return Expression(tuple((ref, value) for ref, value in coefficients.items() if value), constant)


def build_targets(
    published: Tables,
    truth: Tables,
    catalog: Catalog,
    thresholds: Thresholds,
    previous: PreviousPopulations,
) -> tuple[list[Target], list[Finding]]:
    """Values to protect, and the breaches visible without solving anything."""
    targets: list[Target] = []
    direct: list[Finding] = []
    for table, rows in published.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        k = thresholds.k(spec.audience)
        for index, row in enumerate(rows):
            true_row = truth[table][index]
            population_ref = CountRef(table, index, spec.population)
            true_population = true_row[spec.population]
            key = cell_key(row_key(spec, true_row))
            old = previous.get((table, key), frozenset())
            moved = frozenset(value for value in old if 0 < abs(value - true_population) < k)
            if row[spec.population] is None:
                population = Expression(((population_ref, 1.0),))
                if true_population < k:
                    targets.append(
                        Target(
                            MINIMUM_GROUP_SIZE, table, index, key, spec.population, population, k=k,
                            refs=(population_ref,),
                        )
                    )  # fmt: skip
                if moved:
                    targets.append(
                        Target(
                            RELEASE_DIFFERENCE, table, index, key, spec.population, population, k=k,
                            previous=old, refs=(population_ref,),
                        )
                    )  # fmt: skip
            else:
                if row[spec.population] < k:
                    target = Target(
                        MINIMUM_GROUP_SIZE, table, index, key, spec.population, Expression(()), k=k
                    )
                    direct.append(Finding(target, row[spec.population], row[spec.population], False))
                if moved:
                    target = Target(
                        RELEASE_DIFFERENCE,
                        table,
                        index,
                        key,
                        spec.population,
                        Expression(()),
                        k=k,
                        previous=old,
                    )
                    direct.append(Finding(target, row[spec.population], row[spec.population], False))
            if true_population >= thresholds.band_population:
                continue
            for rate in spec.rates:
                count = sum(true_row[column] for column in rate.numerator)
                band = band_for(count, true_row[rate.denominator])
                if band is None:
                    continue
                numerator = [_known_or_ref(published, CountRef(table, index, c)) for c in rate.numerator]
                denominator = _known_or_ref(published, CountRef(table, index, rate.denominator))
                refs = tuple(term for term in (*numerator, denominator) if isinstance(term, CountRef))
                if band.side == LOW:  # distance to "none did": the count itself
                    expression = _expression([(1.0, term) for term in numerator])
                else:  # distance to "everyone did": denominator - count
                    expression = _expression([(1.0, denominator)] + [(-1.0, term) for term in numerator])
                target = Target(SMALL_GROUP_RATE, table, index, key, rate.name, expression, refs=refs)
                if not expression.coefficients or row[rate.name] is not None:
                    distance = expression.constant
                    direct.append(Finding(target, distance, distance, False))
                else:
                    targets.append(target)
    return targets, direct


class _Components:
    def __init__(self) -> None:
        self.parent: dict[CountRef, CountRef] = {}

    def find(self, ref: CountRef) -> CountRef:
        self.parent.setdefault(ref, ref)
        while self.parent[ref] != ref:
            self.parent[ref] = self.parent[self.parent[ref]]
            ref = self.parent[ref]
        return ref

    def union(self, first: CountRef, second: CountRef) -> None:
        self.parent[self.find(first)] = self.find(second)


def _solve(objective, matrices, presolve: bool):
    a_ub, b_ub, a_eq, b_eq = matrices
    return linprog(
        objective,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
        options={"presolve": presolve},
    )


def _extreme(objective: np.ndarray, matrices, sign: float) -> float:
    result = _solve(sign * objective, matrices, presolve=True)
    if result.status == 4:  # HiGHS' presolve cannot tell unbounded from infeasible
        result = _solve(sign * objective, matrices, presolve=False)
    if result.status == 3:
        return -sign * math.inf
    if result.status == 0:
        return sign * result.fun
    raise RuntimeError(f"the published figures contradict the declared relations: {result.message}")


def _sides_to_solve(target: Target, exact: float) -> tuple[bool, bool]:
    """The exact figures satisfy every constraint, so they already show one side of the interval."""
    if target.kind == MINIMUM_GROUP_SIZE:  # exact < k: a value below k is possible
        return False, True
    if target.kind == SMALL_GROUP_RATE:  # exact 0 shows the extreme is possible, else the other
        return exact > TOLERANCE, exact <= TOLERANCE
    return True, True


def _bounds(
    target: Target, exact: float, variables: dict[CountRef, int], matrices
) -> tuple[float, float, int]:
    expression = target.expression
    objective = np.zeros(len(variables))
    for ref, coefficient in expression.coefficients:
        objective[variables[ref]] += coefficient
    solve_lower, solve_upper = _sides_to_solve(target, exact)
    if all(matrix is None for matrix in matrices):  # nothing constrains these counts but >= 0
        signs = {coefficient > 0 for _, coefficient in expression.coefficients}
        lower = expression.constant if signs == {True} else -math.inf
        upper = expression.constant if signs == {False} else math.inf
        return (lower if solve_lower else exact), (upper if solve_upper else exact), 0
    lower = _extreme(objective, matrices, 1.0) + expression.constant if solve_lower else exact
    upper = _extreme(objective, matrices, -1.0) + expression.constant if solve_upper else exact
    return lower, upper, solve_lower + solve_upper


def audit(
    published: Tables,
    truth: Tables,
    catalog: Catalog,
    thresholds: Thresholds,
    previous: PreviousPopulations | None = None,
    solved: dict | None = None,
) -> AuditReport:
    """Attack `published` (a release, NULL = hidden) knowing its relations; `truth` holds the
    exact figures, row for row, to tell which hidden values need protecting. `solved` may carry
    the intervals of identical components from an earlier call."""
    started = time.perf_counter()
    for table, rows in published.items():
        spec = catalog.tables[table]
        if len(rows) != len(truth[table]) or any(
            row_key(spec, row) != row_key(spec, true_row)
            for row, true_row in zip(rows, truth[table], strict=True)
        ):
            raise ValueError(f"{table}: the published rows are not the exact rows, in the same order")
    links = instantiate(catalog, truth)
    system, hidden = build_system(published, truth, catalog, links)
    targets, findings = build_targets(published, truth, catalog, thresholds, previous or {})
    targets = [
        replace(
            target, expression=system.expression(target.expression), expression_at_truth=target.expression
        )
        for target in targets
    ]
    solved = {} if solved is None else solved
    report = AuditReport(findings=findings, hidden_counts=len(hidden), constraints=len(system.rows))

    components = _Components()
    for coefficients, _, _ in system.rows:
        refs = list(coefficients)
        for ref in refs[1:]:
            components.union(refs[0], ref)
    targets_by_component: dict[CountRef, list[Target]] = defaultdict(list)
    for target in targets:
        refs = [ref for ref, _ in target.expression.coefficients]
        for ref in refs[1:]:
            components.union(refs[0], ref)
    for target in targets:
        targets_by_component[components.find(target.expression.coefficients[0][0])].append(target)
    rows_by_component: dict[CountRef, list[int]] = defaultdict(list)
    for position, (coefficients, _, _) in enumerate(system.rows):
        root = components.find(next(iter(coefficients)))
        if root in targets_by_component:
            rows_by_component[root].append(position)

    for root, component_targets in targets_by_component.items():
        variables: dict[CountRef, int] = {}
        for position in rows_by_component[root]:
            for ref in system.rows[position][0]:
                variables.setdefault(ref, len(variables))
        for target in component_targets:
            for ref, _ in target.expression.coefficients:
                variables.setdefault(ref, len(variables))
        matrices = _matrices(system, rows_by_component[root], variables)
        report.components += 1
        shape = _component_shape(system, rows_by_component[root])
        for target in component_targets:
            exact = _value(target.expression_at_truth, truth)
            key = (
                target.kind,
                shape,
                tuple(sorted(target.expression.coefficients)),
                target.expression.constant,
                exact,
            )
            if key not in solved:
                lower, upper, solves = _bounds(target, exact, variables, matrices)
                solved[key] = (lower, upper)
                report.solves += solves
            lower, upper = solved[key]
            report.findings.append(Finding(target, lower, upper, target_passes(target, lower, upper)))
    report.seconds = time.perf_counter() - started
    return report


def _value(expression: Expression, truth: Tables) -> float:
    return expression.constant + sum(
        coefficient * value_of(truth, ref) for ref, coefficient in expression.coefficients
    )


def _component_shape(system: _System, positions: Sequence[int]) -> tuple:
    return tuple(
        sorted(
            (
                tuple(sorted(system.rows[position][0].items())),
                system.rows[position][1],
                system.rows[position][2],
            )
            for position in positions
        )
    )


def _matrices(system: _System, positions: Sequence[int], variables: dict[CountRef, int]):
    upper_rows = [system.rows[position] for position in positions if system.rows[position][1] == "le"]
    equal_rows = [system.rows[position] for position in positions if system.rows[position][1] == "eq"]

    def dense(rows):
        if not rows:
            return None, None
        matrix = np.zeros((len(rows), len(variables)))
        for line, (coefficients, _, _) in enumerate(rows):
            for ref, coefficient in coefficients.items():
                matrix[line, variables[ref]] = coefficient
        return matrix, np.array([rhs for _, _, rhs in rows])

    a_ub, b_ub = dense(upper_rows)
    a_eq, b_eq = dense(equal_rows)
    return a_ub, b_ub, a_eq, b_eq
