"""The output contract: what every published table promises, and the suite that checks it.

Written nowhere by hand: the tables, their grain and audience come from the privacy catalog
(models/marts/_privacy.yml), their French names and units from the metrics dictionary
(models/marts/_metrics.yml), k from the release thresholds. From those one place, this module
renders the human-readable contract (data_contracts/published.odcs.yaml, ODCS v3, regenerated
by `reperes contract`) and the Great Expectations suite that a blocking Dagster check runs on
the release candidate before anything is published. So the promise a reader sees and the
check that keeps it cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from data_contracts.gx_suites import SuiteOutcome, run_suite
from pipelines import metrics
from pipelines.privacy.catalog import IS_SUPPRESSED, Catalog, Thresholds, load_catalog

CONTRACT_PATH = Path(__file__).with_name("published.odcs.yaml")
REGENERATE_COMMAND = "reperes contract --output data_contracts/published.odcs.yaml"
UAI_PATTERN = r"^[0-9]{7}[A-Z]$"
# The privacy rules of the contract are kept by the release's own blocking check, in SQL; the
# GX suite checks the rest (keys, codes, ranges).
PRIVACY_CHECK = "asset check release_candidate/cells_respect_minimum_group_size"
LOGICAL_TYPES = {"date": "date", "code": "string", "oui/non": "boolean", "tranche": "string"}


def _logical_type(unit: str) -> str:
    if unit == metrics.RATE_UNIT or unit == "écart de part":
        return "number"
    return LOGICAL_TYPES.get(unit, "integer")


def _quality(table: str, column: str, catalog: Catalog, thresholds: Thresholds) -> list[dict]:
    """The rules a column keeps, in ODCS `quality` form; `expectations` turns them into GX."""
    spec = metrics.table_spec(table)
    unit = metrics.indicator(table, column).unit
    rules: list[dict] = []
    if column in spec.grain:
        rules.append({"type": "library", "rule": "notNull"})
    if column == "school_uai":
        rules.append({"type": "library", "rule": "pattern", "pattern": UAI_PATTERN})
    if unit == metrics.RATE_UNIT:
        rules.append({"type": "library", "rule": "between", "mustBeBetween": [0, 1]})
    elif unit == "écart de part":
        rules.append({"type": "library", "rule": "between", "mustBeBetween": [-1, 1]})
    elif _logical_type(unit) == "integer":
        rules.append({"type": "library", "rule": "between", "mustBeGreaterOrEqualTo": 0})
    if spec.protected and column == spec.population:
        k = catalog.k(table, thresholds)
        rules.append(
            {
                "type": "custom",
                "engine": "dagster",
                "implementation": PRIVACY_CHECK,
                "rule": "minimumGroupSize",
                "mustBeGreaterOrEqualTo": k,
                "description": f"Sur une ligne publiée (non masquée), au moins k = {k} personnes.",
            }
        )
    if spec.protected and column in (*spec.counts, *(rate.name for rate in spec.rates), *spec.derived):
        rules.append(
            {
                "type": "custom",
                "engine": "dagster",
                "implementation": PRIVACY_CHECK,
                "rule": "nullWhenSuppressed",
                "description": "Vide sur une ligne masquée (secret statistique).",
            }
        )
    return rules


def published_tables(catalog: Catalog | None = None) -> list[str]:
    catalog = catalog or load_catalog()
    return [*catalog.tables, *catalog.derived_tables]


def contract_document(thresholds: Thresholds | None = None) -> dict:
    """The output contract as an ODCS v3 document."""
    catalog, thresholds = load_catalog(), thresholds or Thresholds()
    schema = []
    for table in published_tables(catalog):
        spec = metrics.table_spec(table)
        entry = metrics.mart_entry(table)
        properties = []
        for column in metrics.published_columns(table):
            item = metrics.indicator(table, column)
            prop = {
                "name": column,
                "businessName": item.label,
                "logicalType": _logical_type(item.unit),
                "description": item.definition,
                "required": column in spec.grain,
                "primaryKey": column in spec.grain,
            }
            quality = _quality(table, column, catalog, thresholds)
            if quality:
                prop["quality"] = quality
            properties.append(prop)
        schema.append(
            {
                "name": table,
                "businessName": entry.label,
                "physicalType": "table",
                "description": entry.definition,
                "customProperties": [
                    {"property": "grain", "value": list(spec.grain)},
                    {"property": "audience", "value": spec.audience},
                ],
                "properties": properties,
            }
        )
    return {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": "reperes-published",
        "name": "published",
        "version": "1.0.0",
        "status": "active",
        "description": {
            "purpose": "Les tableaux publiés par Repères (published.duckdb), que lisent les tableaux de bord.",
            "usage": (
                "Ouvrir published.duckdb en lecture seule. Généré depuis models/marts/_privacy.yml et "
                f"models/marts/_metrics.yml par `{REGENERATE_COMMAND}` : ne pas modifier à la main."
            ),
        },
        "schema": schema,
    }


def render_contract(thresholds: Thresholds | None = None) -> str:
    header = (
        "# Output contract of the published release, in the Open Data Contract Standard (ODCS v3).\n"
        f"# Generated by `{REGENERATE_COMMAND}` from models/marts/_privacy.yml and _metrics.yml.\n"
    )
    return header + yaml.safe_dump(
        contract_document(thresholds), allow_unicode=True, sort_keys=False, width=100
    )


def expectations(table: str, thresholds: Thresholds | None = None) -> list:
    """The GX expectations of one published table, from the same rules as the contract."""
    import great_expectations as gx

    catalog, thresholds = load_catalog(), thresholds or Thresholds()
    spec = metrics.table_spec(table)
    suite = []
    if len(spec.grain) > 1:
        suite.append(gx.expectations.ExpectCompoundColumnsToBeUnique(column_list=list(spec.grain)))
    else:
        suite.append(gx.expectations.ExpectColumnValuesToBeUnique(column=spec.grain[0]))
    for column in metrics.published_columns(table):
        for rule in _quality(table, column, catalog, thresholds):
            if rule["type"] != "library":
                continue
            kind = rule["rule"]
            if kind == "notNull":
                suite.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
            elif kind == "pattern":
                suite.append(
                    gx.expectations.ExpectColumnValuesToMatchRegex(column=column, regex=rule["pattern"])
                )
            elif kind == "between":
                low, high = rule.get("mustBeBetween", [rule.get("mustBeGreaterOrEqualTo"), None])
                suite.append(
                    gx.expectations.ExpectColumnValuesToBeBetween(
                        column=column, min_value=low, max_value=high
                    )
                )
    if spec.audience != "derived":
        suite.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=IS_SUPPRESSED))
    return suite


def validate_published(
    frames: Mapping[str, pd.DataFrame], thresholds: Thresholds | None = None
) -> dict[str, SuiteOutcome]:
    """Each published table against its suite; an empty table passes (it promises nothing)."""
    return {
        table: run_suite(f"published_{table}", expectations(table, thresholds), frame)
        for table, frame in frames.items()
        if len(frame)
    }
