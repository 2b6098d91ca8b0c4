"""The académie directory (AAF): tests/fixtures/adapters/aaf/, a complete export written from
the AAF attribute names (those Edifice's feeder maps): EtabEducNat (jointure 1234 = 0920001B,
5678 = 0920002C), Eleve, PersEducNat and PersRelEleve files, with names, birth dates,
addresses and mails as canaries.

Hand-checked, Eleve file (record: line of its <addRequest>):
1 (line 3): pupil 1001 in 1234$6A, parents 2001 (legal: 4th field 1) and 2002 (not legal)
  -> pupil row + one parent row for 2001 with child 1001;
2 (20): pupil 1002 in 1234$6A and 5678$6B (two schools) -> two rows;
3 (36): pupil 1003 in 9999$5C, parent 2003 -> both rows quarantined, structure 9999 named;
4 (53): no ENTPersonJointure and no identifier -> quarantined;
5 (67): ENTEleveClasses "6A" without its structure -> quarantined;
6 (83): no class, attached to 0920002C (a jointure that is a UAI) -> one row without class;
7 (98): a modifyRequest (a delta export) -> quarantined;
8 (113): pupil 1008 in 1234$6B with a relative "2004$10$1" (3 fields) -> pupil row, plus a
  quarantined row for the malformed relative.
PersEducNat: 1 (3) teacher 3001, ENS MATHEMATIQUES, classes 6A and 6B -> two rows with the
discipline; 2 (22) 3002, DIR -> personnel, one row for 1234; 3 (39) categoriePersonne PersAL
-> quarantined; 4 (54) 3004 teaches in front of pupils, no class, 5678 -> enseignant, no class.
EtabEducNat and PersRelEleve give no row (lookups; parents come from their children).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb

from data_contracts.contracts import load_contract
from pipelines.adapters import ADAPTERS, check_file
from pipelines.adapters.base import load_mapping
from pipelines.adapters.ingest import ingest
from pipelines.ingestion import ensure_staging_table, load_file
from pipelines.pseudonymization import install_pseudonym_macro, pseudonym
from pipelines.warehouse import connect_warehouse
from tests.test_adapters_common import CANARIES, FIXTURES, KEY

AAF = ADAPTERS["aaf"]
PREFIX = "ENT2025_Complet_20250901_"
ELEVE, PERS = PREFIX + "Eleve_0000.xml", PREFIX + "PersEducNat_0000.xml"
RELATIVE_RULE = "ENTElevePersRelEleve value not of the form ID$LINK$FIN$LEGAL$CONTACT$PAY"


def load_directory(tmp_path: Path, folder: Path, adapter=AAF) -> dict:
    """Load every XML file of `folder` into stg_roster as stg_roster does (one snapshot)."""
    roster = load_contract("roster")
    with connect_warehouse(tmp_path / "warehouse.duckdb", k_school=5) as connection:
        install_pseudonym_macro(connection, KEY)
        ensure_staging_table(connection, roster, "stg_roster")
        loads = {
            path.name: load_file(
                connection,
                path,
                f"aaf/{path.name}",
                roster,
                "stg_roster",
                adapter.pseudonym_source,
                None,
                open_landed=adapter.open_landed,
            )
            for path in sorted(folder.glob("*.xml"))
        }
        staged = connection.execute(
            """
            select split_part(file_name, '_', 4), file_row, user_key, role, school_uai, class_id,
                discipline, child_key
            from staging.stg_roster order by file_name, file_row, role desc, school_uai, class_id
            """
        ).fetchall()
        quarantined = connection.execute(
            """
            select split_part(file_name, '_', 4), file_row, file_line, rule
            from staging.quarantine order by file_name, file_row, rule
            """
        ).fetchall()
    return {"loads": loads, "staged": staged, "quarantined": quarantined}


def key(user: str) -> str:
    return pseudonym(KEY, "aaf", user)


def test_pupils_parents_and_staff_become_memberships(tmp_path):
    result = load_directory(tmp_path, FIXTURES / "aaf")
    assert result["staged"] == [
        # The parent under their own pseudonym, the child under the pupil's: the same key as
        # the pupil's own row, so "pupils with a parent active" can be counted.
        ("Eleve", 1, key("2001"), "parent", "0920001B", "6A", None, key("1001")),
        ("Eleve", 1, key("1001"), "eleve", "0920001B", "6A", None, None),
        ("Eleve", 2, key("1002"), "eleve", "0920001B", "6A", None, None),
        ("Eleve", 2, key("1002"), "eleve", "0920002C", "6B", None, None),
        ("Eleve", 6, key("1006"), "eleve", "0920002C", None, None, None),
        ("Eleve", 8, key("1008"), "eleve", "0920001B", "6B", None, None),
        ("PersEducNat", 1, key("3001"), "enseignant", "0920001B", "6A", "MATHEMATIQUES", None),
        ("PersEducNat", 1, key("3001"), "enseignant", "0920001B", "6B", "MATHEMATIQUES", None),
        ("PersEducNat", 2, key("3002"), "personnel", "0920001B", None, None, None),
        ("PersEducNat", 4, key("3004"), "enseignant", "0920002C", None, None, None),
    ]


def test_directory_quarantines_by_rule_with_record_and_line(tmp_path):
    result = load_directory(tmp_path, FIXTURES / "aaf")
    assert result["quarantined"] == [
        ("Eleve", 3, 36, "structure not mapped: 9999"),  # the pupil's row
        ("Eleve", 3, 36, "structure not mapped: 9999"),  # and their parent's
        ("Eleve", 4, 53, "person without ENTPersonJointure"),
        ("Eleve", 5, 67, "class value not of the form STRUCTURE$CLASS"),
        ("Eleve", 7, 98, "AAF delta record (modifyRequest): deliver a complete export (Complet)"),
        ("Eleve", 8, 113, RELATIVE_RULE),
        ("PersEducNat", 3, 39, "categoriePersonne not mapped: PersAL"),
    ]
    counts = {
        name: (load.rows_read, load.rows_loaded, load.rows_quarantined)
        for name, load in result["loads"].items()
    }
    assert counts == {
        PREFIX + "EtabEducNat_0000.xml": (0, 0, 0),
        ELEVE: (12, 6, 6),
        PERS: (5, 4, 1),
        PREFIX + "PersRelEleve_0000.xml": (0, 0, 0),
    }


def test_structures_of_the_mapping_file_come_before_the_delivery(tmp_path):
    """aaf.yaml maps 9999 (unknown to the EtabEducNat file) and re-maps 1234."""
    mapping = {**load_mapping("aaf"), "structures": {"9999": "0920002C", "1234": "0920002C"}}
    adapter = dataclasses.replace(AAF, mapping_override=mapping)
    folder = tmp_path / "delivery"
    folder.mkdir()
    for name in (ELEVE, PREFIX + "EtabEducNat_0000.xml"):
        shutil.copyfile(FIXTURES / "aaf" / name, folder / name)
    result = load_directory(tmp_path, folder, adapter)
    assert {row[4] for row in result["staged"]} == {"0920002C"}
    assert ("Eleve", 3, key("1003"), "eleve", "0920002C", "5C", None, None) in result["staged"]


def test_a_file_that_is_not_well_formed_xml_is_quarantined_whole(tmp_path):
    folder = tmp_path / "aaf"
    folder.mkdir()
    text = (FIXTURES / "aaf" / ELEVE).read_text(encoding="utf-8")
    (folder / ELEVE).write_text(text[: len(text) // 2], encoding="utf-8")  # cut short mid-delivery
    result = load_directory(tmp_path, folder)
    load = result["loads"][ELEVE]
    assert (load.rows_read, load.rows_loaded, load.rows_quarantined) == (0, 0, 0)
    assert load.error.startswith("unreadable file: not well-formed XML (line ")
    assert result["staged"] == []
    assert [row[3] for row in result["quarantined"]] == [load.error]


def test_no_name_id_or_address_of_the_directory_is_stored(tmp_path):
    load_directory(tmp_path, FIXTURES / "aaf")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        for schema, table in connection.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall():
            for row in connection.execute(f'select * from "{schema}"."{table}"').fetchall():
                text = "|".join(str(value) for value in row)
                for forbidden in (*CANARIES, "canary.prof", "1001", "2001", "3001"):
                    assert forbidden not in text, (table, forbidden)


def test_check_and_ingest_of_a_directory_file(tmp_path):
    """--check reads the roster contract's rules; ingest keeps the AAF name (no delivery day)."""
    report = check_file(AAF, FIXTURES / "aaf" / ELEVE)
    assert (report.rows_read, report.rows_mapped) == (12, 6)
    assert report.unmapped == {"structure not mapped: 9999": 2}
    target = ingest("aaf", FIXTURES / "aaf" / ELEVE, tmp_path / "landing")
    assert target == tmp_path / "landing" / "aaf" / ELEVE
