"""The académie directory (AAF, "annuaire académique fédérateur"): the XML files of a complete
AAF export (`ficAlimMENESR`), mapped into the roster contract.

An AAF delivery is a set of files, one kind each, named like ENT_<…>_Complet_<…>_Eleve_0000.xml:
`EtabEducNat` (structures: `ENTStructureJointure` -> `ENTStructureUAI`), `Eleve` (pupils),
`PersRelEleve` (parents), `PersEducNat` (teachers and staff), `MatiereEducNat`, `MefEducNat`.
Each holds one `<addRequest>` per record: `<identifier><id>`, then `<attr name="…"><value>`
elements. What is read, from the attribute names of the AAF (those Edifice's feeder maps too):
- every person: `ENTPersonJointure` (the id; `identifier/id` if missing), `categoriePersonne`,
  `ENTPersonStructRattach` (structure jointures);
- pupils: `ENTEleveClasses` (`STRUCTURE$CLASS`), `ENTElevePersRelEleve`
  (`PARENT$LINK$FINANCIAL$LEGAL$CONTACT$PAYMENT`; a bare id is taken too);
- teachers and staff: `ENTPersonFonctions` (`STRUCTURE$CODE$LABEL$DISCIPLINE_CODE$DISCIPLINE`),
  `ENTAuxEnsClassesMatieres` / `ENTAuxEnsClasses` (`STRUCTURE$CLASS[$SUBJECT]`),
  `PersEducNatPresenceDevantEleves`.
Names, birth dates, addresses, phones, mails and the rest are never read.

Rows (memberships, the roster's grain), each with the record's number and line:
- a pupil: one row per class (`ENTEleveClasses`), else one per attached structure;
- a parent: one row per class of each child whose `ENTElevePersRelEleve` names them (legal
  representatives only, as Edifice's feeder does, unless `legal_representatives_only` is
  false), with child_id: the parents' own `PersRelEleve` records give no row;
- a teacher or staff member: one row per class taught, else one per attached structure;
  `enseignant` when a function is mapped to it (ENS, DOC) or they teach in front of pupils,
  else `personnel`; a teacher's discipline is the label of their first ENS function there;
- structure, subject and MEF records give no row: they are lookups.
A structure jointure becomes a UAI through `structures` in data_contracts/mappings/aaf.yaml,
else the `EtabEducNat` files of the same folder, else itself when it is a UAI.

Quarantined on purpose, each with its rule: a `modifyRequest` or `deleteRequest` (a delta
export: deliver a complete one), a person without id, a `categoriePersonne` the adapter does
not know, a malformed `ENTEleveClasses` or `ENTElevePersRelEleve` value, a structure that is
not mapped (named), a person attached to no structure. A file that is not well-formed XML is
quarantined whole (a directory cut short must not replace a whole one).

The XML is streamed (SAX, no external entities); the rows go to DuckDB as an Arrow table
registered on the connection, never a stored table, and are pseudonymized by staging.
"""

from __future__ import annotations

import xml.sax
import xml.sax.handler
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from data_contracts.contracts import is_valid_uai
from pipelines.adapters.base import RULE_VALUE_CHARS, Adapter, UnreadableExport

REQUESTS = ("addRequest", "modifyRequest", "deleteRequest")
PUPIL, PARENT, STAFF = "Eleve", "PersRelEleve", "PersEducNat"
# File-name markers of the kinds whose records carry no categoriePersonne.
FILE_KINDS = (PUPIL, PARENT, STAFF, "EtabEducNat", "MatiereEducNat", "MefEducNat")
LOOKUP_KINDS = ("EtabEducNat", "MatiereEducNat", "MefEducNat")
ROSTER_COLUMNS = (
    "user_id",
    "role",
    "school_uai",
    "class_id",
    "discipline",
    "start_date",
    "end_date",
    "child_id",
)
READ_ATTRIBUTES = {
    "ENTPersonJointure",
    "categoriePersonne",
    "ENTPersonStructRattach",
    "ENTEleveClasses",
    "ENTElevePersRelEleve",
    "ENTPersonFonctions",
    "ENTAuxEnsClassesMatieres",
    "ENTAuxEnsClasses",
    "PersEducNatPresenceDevantEleves",
    "ENTStructureJointure",
    "ENTStructureUAI",
}


@dataclass
class Record:
    request: str
    number: int
    line: int
    identifier: str | None
    attributes: dict[str, list[str]]

    def values(self, name: str) -> list[str]:
        return [value for value in self.attributes.get(name, []) if value]

    def first(self, name: str) -> str | None:
        values = self.values(name)
        return values[0] if values else None


class _RecordReader(xml.sax.handler.ContentHandler):
    """Streams the requests of a ficAlimMENESR file to `on_record`, keeping only READ_ATTRIBUTES."""

    def __init__(self, on_record: Callable[[Record], None]) -> None:
        super().__init__()
        self.on_record = on_record
        self.locator = None
        self.record: Record | None = None
        self.attribute: str | None = None
        self.text: list[str] | None = None
        self.count = 0

    def setDocumentLocator(self, locator) -> None:  # noqa: N802 (SAX's name)
        self.locator = locator

    def startElement(self, name, attrs) -> None:  # noqa: N802
        local = name.rsplit(":", 1)[-1]
        if local in REQUESTS:
            self.count += 1
            line = self.locator.getLineNumber() if self.locator else None
            self.record = Record(local, self.count, line, None, {})
        elif self.record is None:
            return
        elif local == "attr":
            name_value = attrs.get("name")
            self.attribute = name_value if name_value in READ_ATTRIBUTES else None
        elif local in ("value", "id") and (local == "id" or self.attribute is not None):
            self.text = []

    def characters(self, content) -> None:
        if self.text is not None:
            self.text.append(content)

    def endElement(self, name) -> None:  # noqa: N802
        local = name.rsplit(":", 1)[-1]
        if self.record is None:
            return
        if local in REQUESTS:
            self.on_record(self.record)
            self.record = None
        elif local == "attr":
            self.attribute = None
        elif local in ("value", "id") and self.text is not None:
            value = "".join(self.text).strip()
            self.text = None
            if local == "id" and self.attribute is None:
                self.record.identifier = self.record.identifier or value
            elif self.attribute is not None:
                self.record.attributes.setdefault(self.attribute, []).append(value)


def read_records(path: Path, on_record: Callable[[Record], None]) -> None:
    """Stream the file's requests; a file that is not well-formed XML raises UnreadableExport."""
    parser = xml.sax.make_parser()
    # Never fetch or expand anything outside the file (XXE).
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setFeature(xml.sax.handler.feature_namespaces, False)
    parser.setContentHandler(_RecordReader(on_record))
    try:
        parser.parse(str(path))
    except xml.sax.SAXParseException as failure:
        raise UnreadableExport(
            f"not well-formed XML (line {failure.getLineNumber()}): {failure.getMessage()}"
        ) from None


def file_kind(path: Path) -> str | None:
    """The AAF kind in the file's name (…_Eleve_0000.xml), or None."""
    parts = path.stem.split("_")
    return next((kind for kind in FILE_KINDS if kind in parts), None)


def structure_uais(folder: Path, mapping: dict) -> dict[str, str]:
    """Structure jointure -> UAI: the EtabEducNat files of the delivery, then aaf.yaml's table."""
    found: dict[str, str] = {}

    def keep(record: Record) -> None:
        uai = record.first("ENTStructureUAI")
        for jointure in record.values("ENTStructureJointure") or [record.identifier or ""]:
            if jointure and uai:
                found[jointure] = uai.upper()

    for path in sorted(folder.glob("*.xml")):
        if file_kind(path) == "EtabEducNat":
            try:
                read_records(path, keep)
            except UnreadableExport:
                continue  # that file is quarantined whole when its own turn comes
    found.update({str(key): str(value) for key, value in (mapping.get("structures") or {}).items()})
    return found


def _cut(value: str) -> str:
    return value[:RULE_VALUE_CHARS]


class _Rows:
    """Turns records into roster rows (text columns, file_row, file_line, record_error)."""

    def __init__(self, mapping: dict, uais: dict[str, str], kind: str | None) -> None:
        self.uais = uais
        self.kind = kind
        self.legal_only = mapping.get("legal_representatives_only", True) is not False
        self.function_roles = {
            str(code): str(role) for code, role in (mapping.get("function_roles") or {}).items()
        }
        self.staff_default_role = str(mapping.get("staff_default_role") or "personnel")
        self.rows: dict[str, list] = {
            name: [] for name in ("file_row", "file_line", *ROSTER_COLUMNS, "record_error")
        }

    def add(self, record: Record, error: str | None = None, **values: str | None) -> None:
        self.rows["file_row"].append(record.number)
        self.rows["file_line"].append(record.line)
        for column in ROSTER_COLUMNS:
            self.rows[column].append(values.get(column))
        self.rows["record_error"].append(error)

    def uai(self, jointure: str) -> str | None:
        if jointure in self.uais:
            return self.uais[jointure]
        return jointure.upper() if is_valid_uai(jointure.upper()) else None

    def record(self, record: Record) -> None:
        if record.request != "addRequest":
            self.add(record, f"AAF delta record ({record.request}): deliver a complete export (Complet)")
            return
        category = record.first("categoriePersonne") or self.kind
        if category in LOOKUP_KINDS or category == PARENT:
            return  # lookups, and parents (their rows come from their children's records)
        person = record.first("ENTPersonJointure") or record.identifier
        if not person:
            self.add(record, "person without ENTPersonJointure")
        elif category == PUPIL:
            self.pupil(record, person)
        elif category == STAFF:
            self.staff(record, person)
        else:
            self.add(record, "categoriePersonne not mapped: " + _cut(category or "(none)"))

    def places(self, record: Record, classes: list[str]) -> tuple[list[tuple[str, str | None]], str | None]:
        """(structure jointure, class) pairs from STRUCTURE$CLASS[$…] values, else the attached
        structures with no class; or the rule that refuses the record."""
        pairs: list[tuple[str, str | None]] = []
        for value in classes:
            parts = value.split("$")
            if len(parts) < 2 or not parts[0] or not parts[1]:
                return [], "class value not of the form STRUCTURE$CLASS"
            if (parts[0], parts[1]) not in pairs:
                pairs.append((parts[0], parts[1]))
        if not pairs:
            pairs = [(jointure, None) for jointure in dict.fromkeys(record.values("ENTPersonStructRattach"))]
        if not pairs:
            return [], "person attached to no structure (no ENTPersonStructRattach)"
        return pairs, None

    def pupil(self, record: Record, pupil: str) -> None:
        pairs, error = self.places(record, record.values("ENTEleveClasses"))
        parents, parent_error = [], None
        for value in record.values("ENTElevePersRelEleve"):
            parts = value.split("$")
            if len(parts) == 1:
                parents.append(parts[0])
            elif len(parts) == 6 and parts[0]:
                if not self.legal_only or parts[3] != "0":
                    parents.append(parts[0])
            else:
                parent_error = "ENTElevePersRelEleve value not of the form ID$LINK$FIN$LEGAL$CONTACT$PAY"
        if error:
            self.add(record, error)
            return
        for jointure, class_id in pairs:
            uai = self.uai(jointure)
            rule = None if uai else "structure not mapped: " + _cut(jointure)
            self.add(record, rule, user_id=pupil, role="eleve", school_uai=uai, class_id=class_id)
            for parent in dict.fromkeys(parents):
                self.add(
                    record,
                    rule,
                    user_id=parent,
                    role="parent",
                    school_uai=uai,
                    class_id=class_id,
                    child_id=pupil,
                )
        if parent_error:
            self.add(record, parent_error)

    def staff(self, record: Record, person: str) -> None:
        functions = [value.split("$") for value in record.values("ENTPersonFonctions")]
        roles = {self.function_roles.get(parts[1]) for parts in functions if len(parts) > 1}
        teaches = (record.first("PersEducNatPresenceDevantEleves") or "").upper() in ("O", "OUI", "TRUE", "1")
        role = "enseignant" if "enseignant" in roles or teaches else self.staff_default_role
        disciplines: dict[str, str] = {}
        for parts in functions:
            if len(parts) == 5 and self.function_roles.get(parts[1]) == "enseignant" and parts[4]:
                disciplines.setdefault(parts[0], parts[4])
        classes = record.values("ENTAuxEnsClassesMatieres") + record.values("ENTAuxEnsClasses")
        pairs, error = self.places(record, classes if role == "enseignant" else [])
        if error:
            self.add(record, error)
            return
        for jointure, class_id in pairs:
            uai = self.uai(jointure)
            rule = None if uai else "structure not mapped: " + _cut(jointure)
            discipline = disciplines.get(jointure) if role == "enseignant" else None
            self.add(
                record,
                rule,
                user_id=person,
                role=role,
                school_uai=uai,
                class_id=class_id,
                discipline=discipline,
            )

    def table(self) -> pa.Table:
        types = {"file_row": pa.int64(), "file_line": pa.int64()}
        return pa.table(
            {name: pa.array(values, type=types.get(name, pa.string())) for name, values in self.rows.items()}
        )


@dataclass(frozen=True)
class AafAdapter(Adapter):
    def accepts(self, path: Path) -> bool:
        return path.is_file() and path.suffix.lower() == ".xml"

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        mapping = self.mapping
        rows = _Rows(mapping, structure_uais(path.parent, mapping), file_kind(path))
        read_records(path, rows.record)
        connection.register("aaf_rows", rows.table())
        connection.execute(self.landed_view("select * from aaf_rows"))


AAF = AafAdapter(
    source="aaf",
    mapping_name="aaf",
    suffixes=(".xml",),
    description="Académie directory (AAF ficAlimMENESR XML files of a complete export)",
    contract="roster",
)
