"""Decide what a release hides, from the exact marts (DESIGN.md §4 rules 5, 6 and 7).

In order, over every table published together:
1. primary suppression (rule 5): a row whose population is below the k of its audience is
   hidden whole (k_school inside one school, k_department across schools);
2. successive releases (rule 6): a row whose population differs by 1 to k-1 persons from a
   population an earlier release published for the same row is hidden, since the difference
   would describe those few persons;
3. bands (rule 7): on a population under BAND_POPULATION, an extreme rate is replaced by its
   band and the counts that would give it back are withheld;
4. complementary suppression (rule 6): a greedy pass over the declared relations, then repairs
   driven by the audit until it passes. This is the scheme of sdcTable's SIMPLEHEURISTIC
   (sdcTools/sdcTable, R/utils_simpleheuristic.R: suppress along the constraints, then solve
   the attacker problems and suppress again until every primary cell is safe).

The greedy pass, for each relation instance (a total and its parts, unions treated as sums
where the data makes them exact, since an attacker may assume so):
- exactly one hidden member: it equals the total minus the others, so hide one more member;
- hidden parts under a published total whose sum is below the k of a small hidden part: the
  sum caps every hidden part below k, so hide one more;
- hidden counts of small groups that add up to 0, or to all of their denominators: "none" or
  "everyone" is certain, so hide one more.
The member hidden is the cheapest that helps: a part before a total (totals are what readers
want), the smallest population first (the least information lost, as in the usual
"minimum suppressed value" cost), and one large enough to lift the hidden sum to k when one is.
A population is hidden with its whole row; another count is withheld with what gives it back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipelines.privacy.audit import PreviousPopulations, audit, cell_key
from pipelines.privacy.bands import Band, band_for
from pipelines.privacy.catalog import (
    AT_MOST,
    EQUAL,
    IS_SUPPRESSED,
    UNION,
    Catalog,
    CountRef,
    Link,
    Tables,
    Thresholds,
    holds_as_sum,
    instantiate,
    relation_violations,
    row_key,
    value_of,
)

PRIMARY = "k"
BETWEEN_RELEASES = "release"
COMPLEMENTARY = "complementary"
BANDED = "band"
SUPPRESSION_REASON = "suppression_reason"
MAX_REPAIR_ROUNDS = 200


class ProtectionError(RuntimeError):
    """The figures cannot be published safely as declared; nothing is published."""


@dataclass
class Protection:
    """What one release hides. Rows are (table, row index) of the exact marts."""

    suppressed: dict[tuple[str, int], str] = field(default_factory=dict)
    withheld: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    withheld_reason: dict[tuple[str, int, str], str] = field(default_factory=dict)
    bands: dict[tuple[str, int, str], Band] = field(default_factory=dict)
    repair_rounds: int = 0

    def is_hidden(self, ref: CountRef) -> bool:
        return (ref.table, ref.row) in self.suppressed or ref.column in self.withheld.get(
            (ref.table, ref.row), ()
        )

    def suppress(self, table: str, row: int, reason: str) -> None:
        self.suppressed.setdefault((table, row), reason)

    def withhold(self, table: str, row: int, columns: Iterable[str], reason: str) -> None:
        for column in columns:
            if column not in self.withheld[(table, row)]:
                self.withheld[(table, row)].add(column)
                self.withheld_reason[(table, row, column)] = reason

    def count(self, reason: str) -> int:
        return sum(1 for value in self.suppressed.values() if value == reason)


def primary_suppression(
    truth: Tables, catalog: Catalog, thresholds: Thresholds, protection: Protection
) -> None:
    for table, rows in truth.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        k = thresholds.k(spec.audience)
        for index, row in enumerate(rows):
            if row[spec.population] < k:
                protection.suppress(table, index, PRIMARY)


def suppression_between_releases(
    truth: Tables,
    catalog: Catalog,
    thresholds: Thresholds,
    previous: PreviousPopulations,
    protection: Protection,
) -> None:
    for table, rows in truth.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        k = thresholds.k(spec.audience)
        for index, row in enumerate(rows):
            old = previous.get((table, cell_key(row_key(spec, row))), ())
            if any(0 < abs(row[spec.population] - value) < k for value in old):
                protection.suppress(table, index, BETWEEN_RELEASES)


def band_small_group_rates(
    truth: Tables, catalog: Catalog, thresholds: Thresholds, protection: Protection
) -> None:
    for table, rows in truth.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        for index, row in enumerate(rows):
            if (table, index) in protection.suppressed or row[spec.population] >= thresholds.band_population:
                continue
            for rate in spec.rates:
                band = band_for(sum(row[column] for column in rate.numerator), row[rate.denominator])
                if band is not None:
                    protection.bands[(table, index, rate.name)] = band
                    protection.withhold(table, index, rate.withhold, BANDED)


class _Complements:
    """Hides one more member of a relation, the cheapest that helps."""

    def __init__(
        self,
        truth: Tables,
        catalog: Catalog,
        thresholds: Thresholds,
        protection: Protection,
        links: Sequence[Link],
    ):
        self.truth, self.catalog, self.thresholds, self.protection = truth, catalog, thresholds, protection
        self.links = list(links)
        self.links_by_ref: dict[CountRef, list[Link]] = defaultdict(list)
        for link in self.links:
            for member in link.members:
                self.links_by_ref[member].append(link)

    def value(self, ref: CountRef) -> int:
        return value_of(self.truth, ref)

    def population(self, ref: CountRef) -> int:
        spec = self.catalog.tables[ref.table]
        return self.truth[ref.table][ref.row][spec.population]

    def small(self, ref: CountRef) -> bool:
        """A count of a group the rules protect: below k, or the numerator of a banded rate."""
        spec = self.catalog.tables[ref.table]
        if self.population(ref) < self.thresholds.k(spec.audience):
            return True
        return any(
            ref.column in rate.numerator and (ref.table, ref.row, rate.name) in self.protection.bands
            for rate in spec.rates
        )

    def slack(self, ref: CountRef) -> int | None:
        """How far a rate's single-count numerator is from its denominator ("everyone did")."""
        rates = [rate for rate in self.catalog.tables[ref.table].rates if rate.numerator == (ref.column,)]
        if not rates:
            return None
        return self.value(CountRef(ref.table, ref.row, rates[0].denominator)) - self.value(ref)

    def hidden_with(self, ref: CountRef) -> list[CountRef]:
        """What hiding `ref` hides: its whole row for a population, else what gives it back."""
        spec = self.catalog.tables[ref.table]
        columns = spec.counts if ref.column == spec.population else spec.columns_to_withhold(ref.column)
        return [CountRef(ref.table, ref.row, column) for column in columns]

    def hide(self, ref: CountRef) -> list[CountRef]:
        """Hide `ref`; returns the counts newly hidden."""
        newly = [other for other in self.hidden_with(ref) if not self.protection.is_hidden(other)]
        spec = self.catalog.tables[ref.table]
        if ref.column == spec.population:
            self.protection.suppress(ref.table, ref.row, COMPLEMENTARY)
        else:
            self.protection.withhold(ref.table, ref.row, spec.columns_to_withhold(ref.column), COMPLEMENTARY)
        return newly

    def cascade(self, link: Link, ref: CountRef) -> int:
        """Relations that hiding `ref` would leave exposed in turn, each asking for one more
        suppression (the "fewest secondary suppressions" cost of sdcTable's HYPERCUBE)."""
        newly = {other for other in self.hidden_with(ref) if not self.protection.is_hidden(other)}
        exposed = set()
        for other in newly:
            for other_link in self.links_by_ref.get(other, ()):
                if other_link is link or id(other_link) in exposed:
                    continue
                if other_link.kind == UNION and not holds_as_sum(other_link, self.truth):
                    total = self.value(other_link.total)
                    if other_link.total in newly and any(
                        part not in newly
                        and not self.protection.is_hidden(part)
                        and self.value(part) == total
                        for part in other_link.parts
                    ):
                        exposed.add(id(other_link))
                elif not any(self.protection.is_hidden(member) for member in other_link.members):
                    exposed.add(id(other_link))
        return len(exposed)

    def cost(self, link: Link, ref: CountRef) -> tuple:
        """Withholding a count costs less than a whole row; then the fewest suppressions it
        entails; a part less than a total; a small population less than a large one."""
        return (
            self.catalog.is_population(ref),
            self.cascade(link, ref),
            ref == link.total,
            self.population(ref),
            ref.table,
            ref.row,
            ref.column,
        )

    def choose(self, link: Link, at_least: int = 0, with_slack: bool = False) -> CountRef | None:
        candidates = [member for member in link.members if not self.protection.is_hidden(member)]
        if not candidates:
            return None
        helpful = [
            member
            for member in candidates
            if self.value(member) >= at_least and (not with_slack or (self.slack(member) or 0) > 0)
        ]
        if helpful:
            return min(helpful, key=lambda member: self.cost(link, member))
        return max(candidates, key=lambda member: (member != link.total, self.value(member)))

    def nearest_published(self, refs: Sequence[CountRef]) -> CountRef | None:
        """The cheapest published count in a relation with `refs`, or, when all of those are
        hidden, in a relation with those, and so on outwards."""
        frontier, seen = list(refs), set(refs)
        while frontier:
            choices, outer = [], []
            for ref in frontier:
                for link in self.links_by_ref.get(ref, ()):
                    for member in link.members:
                        if not self.protection.is_hidden(member):
                            choices.append((self.cost(link, member), member))
                        elif member not in seen:
                            seen.add(member)
                            outer.append(member)
            if choices:
                return min(choices)[1]
            frontier = outer
        return None

    def need(self, link: Link) -> CountRef | None:
        """The member to hide so that `link` recomputes no protected value, or None."""
        members = link.members
        hidden = [member for member in members if self.protection.is_hidden(member)]
        if not hidden or len(hidden) == len(members):
            return None
        if link.kind == UNION and not holds_as_sum(link, self.truth):
            return self._attained_union_part(link)
        if len(hidden) == 1:
            return self.choose(link)
        if self.protection.is_hidden(link.total):
            return None
        hidden_parts = [part for part in link.parts if self.protection.is_hidden(part)]
        small_parts = [part for part in hidden_parts if self.small(part)]
        if not small_parts:
            return None
        hidden_sum = sum(self.value(part) for part in hidden_parts)
        if self.catalog.is_population(link.total):
            k = max(self.thresholds.k(self.catalog.tables[part.table].audience) for part in small_parts)
            if hidden_sum < k:
                return self.choose(link, at_least=k - hidden_sum)
            return None
        if hidden_sum == 0:
            return self.choose(link, at_least=1)
        slacks = [self.slack(part) for part in hidden_parts]
        if all(slack is not None for slack in slacks) and sum(slacks) == 0:
            return self.choose(link, with_slack=True)
        return None

    def _attained_union_part(self, link: Link) -> CountRef | None:
        """A hidden union whose largest published part equals it: `total >= part` gives it back
        (the users of the portal are, in practice, all the active users)."""
        if not self.protection.is_hidden(link.total):
            return None
        total = self.value(link.total)
        for part in link.parts:
            if not self.protection.is_hidden(part) and self.value(part) == total:
                return part
        return None


def _greedy_links(links: Sequence[Link], truth: Tables) -> list[Link]:
    """The relations the greedy pass walks: sums and unions, and each part of an `equal` relation
    with its total. Bounds within a row are left to the audit."""
    walked = []
    for link in links:
        if link.kind == EQUAL:
            walked.extend(Link(link.relation, link.kind, link.total, (part,)) for part in link.parts)
        elif link.kind != AT_MOST:
            walked.append(link)
    return walked


def complementary_suppression(
    truth: Tables, catalog: Catalog, thresholds: Thresholds, links: Sequence[Link], protection: Protection
) -> None:
    complements = _Complements(truth, catalog, thresholds, protection, _greedy_links(links, truth))
    pending = list(complements.links)
    while pending:
        link = pending.pop()
        member = complements.need(link)
        while member is not None:
            for ref in complements.hide(member):
                pending.extend(complements.links_by_ref.get(ref, ()))
            member = complements.need(link)


def repair_until_audited(
    truth: Tables,
    catalog: Catalog,
    thresholds: Thresholds,
    links: Sequence[Link],
    previous: PreviousPopulations,
    protection: Protection,
) -> None:
    """Solve the attacker problems; where a value is still exposed, hide one more member of a
    relation around it, and again, until nothing is exposed."""
    complements = _Complements(truth, catalog, thresholds, protection, _greedy_links(links, truth))
    solved: dict = {}  # components left unchanged by a repair are not solved again
    for round_number in range(1, MAX_REPAIR_ROUNDS + 1):
        report = audit(
            published_tables(truth, catalog, protection), truth, catalog, thresholds, previous, solved
        )
        if report.passed:
            protection.repair_rounds = round_number - 1
            return
        progressed = False
        for finding in report.failures:
            member = complements.nearest_published(finding.target.refs)
            if member is not None:
                complements.hide(member)
                progressed = True
        if not progressed:
            break
    exposed = [finding.target.describe() for finding in report.failures[:5]]
    raise ProtectionError(f"the release cannot be protected; still exposed: {exposed}")


def protect(
    truth: Tables,
    catalog: Catalog,
    thresholds: Thresholds,
    previous: PreviousPopulations | None = None,
) -> Protection:
    """Everything a release hides, given its exact tables (rows as dicts, every table published
    together) and the populations earlier releases published."""
    undeclared = set(truth) - set(catalog.tables)
    if undeclared:
        raise ProtectionError(f"tables without privacy declaration: {sorted(undeclared)}")
    links = instantiate(catalog, truth)
    broken = relation_violations(links, truth)
    if broken:
        raise ProtectionError(f"declared relations do not hold: {broken[:5]}")
    protection = Protection()
    primary_suppression(truth, catalog, thresholds, protection)
    suppression_between_releases(truth, catalog, thresholds, previous or {}, protection)
    band_small_group_rates(truth, catalog, thresholds, protection)
    complementary_suppression(truth, catalog, thresholds, links, protection)
    repair_until_audited(truth, catalog, thresholds, links, previous or {}, protection)
    return protection


def published_tables(
    truth: Tables, catalog: Catalog, protection: Protection
) -> dict[str, list[dict[str, Any]]]:
    """The rows as they leave: hidden counts and rates NULL, bands, is_suppressed, and the
    suppression_reason the warehouse keeps (it is not published: it would tell which hidden
    rows are the small ones)."""
    published: dict[str, list[dict[str, Any]]] = {}
    for table, rows in truth.items():
        spec = catalog.tables[table]
        rate_names = {rate.name: rate for rate in spec.rates}
        out_rows = []
        for index, row in enumerate(rows):
            reason = protection.suppressed.get((table, index))
            withheld = protection.withheld.get((table, index), set())
            out: dict[str, Any] = {}
            for column, value in row.items():
                if column in spec.grain or column in spec.attributes:
                    out[column] = value
                elif column in spec.counts:
                    out[column] = None if reason or column in withheld else value
                elif column in rate_names:
                    rate = rate_names[column]
                    hidden = reason or withheld.intersection((*rate.numerator, rate.denominator))
                    out[column] = None if hidden else value
                elif column in spec.derived:
                    hidden = reason or withheld.intersection(spec.derived[column])
                    out[column] = None if hidden else value
                else:
                    raise ProtectionError(
                        f"{table}.{column} is not declared in _privacy.yml (grain, attribute, count, rate or derived)"
                    )
            for rate in spec.rates:
                band = protection.bands.get((table, index, rate.name))
                out[rate.band_column] = band.label if band is not None and not reason else None
            out[IS_SUPPRESSED] = reason is not None
            out[SUPPRESSION_REASON] = reason
            out_rows.append(out)
        published[table] = out_rows
    return published
