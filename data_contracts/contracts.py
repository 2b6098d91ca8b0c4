"""Load the input contracts from their ODCS YAML files.

The YAML is the single source of each contract: the ingestion rules, the Great
Expectations suites and the documentation are all derived from it, so a change to
a contract is made in one place and reviewed by non-developers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent

UAI_KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class Column:
    name: str
    logical_type: str
    required: bool
    business_name: str = ""
    description: str = ""
    valid_values: tuple[str, ...] = ()
    uai_key_letter: bool = False
    pseudonymized: bool = False
    minimum: float | None = None  # rule minimumValue: the value must be at least this


@dataclass(frozen=True)
class Contract:
    name: str
    version: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"contract {self.name!r} has no column {name!r}")


def _parse_column(spec: dict) -> Column:
    valid_values: tuple[str, ...] = ()
    uai_key_letter = False
    minimum = None
    for rule in spec.get("quality", []) or []:
        if rule.get("rule") == "validValues":
            valid_values = tuple(rule["validValues"])
        elif rule.get("rule") == "uaiKeyLetter":
            uai_key_letter = True
        elif rule.get("rule") == "minimumValue":
            minimum = rule["mustBeGreaterOrEqualTo"]
    custom = {item["property"]: item["value"] for item in spec.get("customProperties", []) or []}
    return Column(
        name=spec["name"],
        logical_type=spec["logicalType"],
        required=bool(spec.get("required", False)),
        business_name=spec.get("businessName", ""),
        description=spec.get("description", ""),
        valid_values=valid_values,
        uai_key_letter=uai_key_letter,
        pseudonymized=bool(custom.get("pseudonymized", False)),
        minimum=minimum,
    )


@cache
def load_contract(name: str) -> Contract:
    document = yaml.safe_load((CONTRACTS_DIR / f"{name}.odcs.yaml").read_text(encoding="utf-8"))
    (table,) = document["schema"]
    return Contract(
        name=document["name"],
        version=document["version"],
        columns=tuple(_parse_column(spec) for spec in table["properties"]),
    )


def is_valid_uai(code: str) -> bool:
    """A UAI is 7 digits and the key letter computed from them (the national rule)."""
    if len(code) != 8 or not code[:7].isdigit():
        return False
    return code[7] == UAI_KEY_LETTERS[int(code[:7]) % 23]
