"""Rates of small groups as bands: "≥ 95 %" instead of an exact 100 % (DESIGN.md §4 rule 7).

A band must hold at least two possible counts, or it gives the count back: with 12 teachers,
"≤ 5 %" could only mean 0 (one teacher is already 8 %). So the band's width is the smallest of
5, 10, 20, 25 or 50 % that holds at least one person besides the extreme: "≤ 5 %" from 20
persons up, "≤ 10 %" from 10, "≤ 20 %" from 5. The reader then cannot tell "none did" from
"one did", nor "all did" from "all but one did".

The band is chosen on the counts (integers), never on a rounded rate, so it is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.privacy.catalog import IS_SUPPRESSED, Catalog, Tables, Thresholds, row_key

BAND_WIDTHS_PERCENT = (5, 10, 20, 25, 50)
LOW, HIGH = "low", "high"
# French typography: a non-breaking space before "%", as the dashboard writes rates.
PERCENT_SIGN = "\u00a0%"
_LABEL = re.compile(r"^(≤|≥) (\d+)\u00a0%$")


@dataclass(frozen=True)
class Band:
    side: str  # LOW: count <= width % of the denominator; HIGH: count >= (100 - width) %
    width_percent: int

    @property
    def label(self) -> str:
        if self.side == LOW:
            return f"≤ {self.width_percent}{PERCENT_SIGN}"
        return f"≥ {100 - self.width_percent}{PERCENT_SIGN}"

    def contains(self, count: int, denominator: int) -> bool:
        if self.side == LOW:
            return 100 * count <= self.width_percent * denominator
        return 100 * count >= (100 - self.width_percent) * denominator


def band_width_percent(denominator: int) -> int:
    """The narrowest band that holds at least one count besides the extreme (0 or all)."""
    for width in BAND_WIDTHS_PERCENT:
        if width * denominator >= 100:
            return width
    return 100  # one person: any band would be exact; everything is "≤ 100 %"


def band_for(count: int, denominator: int) -> Band | None:
    """The band an extreme count falls in, or None when the exact rate may be published."""
    if denominator <= 0:
        return None
    width = band_width_percent(denominator)
    for band in (Band(LOW, width), Band(HIGH, width)):
        if band.contains(count, denominator):
            return band
    return None


def parse_band(label: str) -> Band:
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(f"not a band label: {label!r}")
    sign, percent = match.group(1), int(match.group(2))
    return Band(LOW, percent) if sign == "≤" else Band(HIGH, 100 - percent)


def band_violations(published: Tables, truth: Tables, catalog: Catalog, thresholds: Thresholds) -> list[str]:
    """Published rows of small groups whose extreme rate shows, or whose band is not the right one."""
    problems = []
    for table, rows in published.items():
        spec = catalog.tables[table]
        if not spec.protected:
            continue
        for row, true_row in zip(rows, truth[table], strict=True):
            if row[IS_SUPPRESSED] or true_row[spec.population] >= thresholds.band_population:
                continue
            where = f"{table}({', '.join(str(value) for value in row_key(spec, row))})"
            for rate in spec.rates:
                band = band_for(
                    sum(true_row[column] for column in rate.numerator), true_row[rate.denominator]
                )
                label = row[rate.band_column]
                if band is None:
                    if label is not None:
                        problems.append(f"{where}.{rate.name}: banded though not extreme")
                    continue
                if row[rate.name] is not None:
                    problems.append(f"{where}.{rate.name}: an extreme rate is published exactly")
                if label != band.label:
                    problems.append(f"{where}.{rate.name}: band {label!r} instead of {band.label!r}")
                if all(row[column] is not None for column in rate.numerator):
                    problems.append(f"{where}.{rate.name}: its numerator is published, giving the rate back")
    return problems
