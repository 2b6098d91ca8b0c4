"""Great Expectations suites guarding the staged snapshots, staging.stg_roster and
staging.stg_workshops, derived from their ODCS contracts (roster.odcs.yaml, workshops.odcs.yaml).

Like the staged-events suite, they check the result of ingestion from the outside: a
pseudonymized column holds keyed pseudonyms only, a required column is never empty, enums and
UAI codes hold, counts are not negative. The expectations come from the contract's columns, so a
new rule in a contract is checked here without a line of code. Both snapshots are small (one
row per membership, one per workshop): the suite reads them whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data_contracts.contracts import load_contract
from data_contracts.gx_suites import SuiteOutcome, run_suite
from data_contracts.staged_events_suite import PSEUDONYM_PATTERN, UAI_PATTERN


@dataclass(frozen=True)
class SnapshotSuite:
    contract: str
    table: str  # the staging table the suite reads
    # Contract column -> staged column, where ingestion renamed it (pseudonyms are `<name>_key`).
    staged_names: dict[str, str]

    def staged_name(self, column: str) -> str:
        return self.staged_names.get(column, column)

    @property
    def query(self) -> str:
        """The contract's columns, as staged: what the suite reads."""
        columns = ", ".join(
            f'"{self.staged_name(name)}"' for name in load_contract(self.contract).column_names
        )
        return f"select {columns} from staging.{self.table}"


ROSTER = SnapshotSuite("roster", "stg_roster", {"user_id": "user_key", "child_id": "child_key"})
WORKSHOPS = SnapshotSuite("workshops", "stg_workshops", {})


def build_expectations(suite: SnapshotSuite) -> list:
    import great_expectations as gx

    expectations = []
    for column in load_contract(suite.contract).columns:
        name = suite.staged_name(column.name)
        if column.required:
            expectations.append(gx.expectations.ExpectColumnValuesToNotBeNull(column=name))
        if column.pseudonymized:
            expectations.append(
                gx.expectations.ExpectColumnValuesToMatchRegex(column=name, regex=PSEUDONYM_PATTERN)
            )
        if column.valid_values:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeInSet(column=name, value_set=list(column.valid_values))
            )
        if column.uai_key_letter:
            expectations.append(
                gx.expectations.ExpectColumnValuesToMatchRegex(column=name, regex=UAI_PATTERN)
            )
        if column.minimum is not None:
            expectations.append(
                gx.expectations.ExpectColumnValuesToBeBetween(column=name, min_value=column.minimum)
            )
    return expectations


def validate_snapshot(suite: SnapshotSuite, rows: pd.DataFrame) -> SuiteOutcome:
    if rows.empty:
        # Nothing delivered (the workshop log is optional): nothing can break the contract.
        return SuiteOutcome(success=True, evaluated_rows=0, failures=())
    return run_suite(suite.table, build_expectations(suite), rows)
