"""The transparency notice (DESIGN.md §4 rule 10), written once for the page and the file.

`reperes privacy-report` writes it to a file and the dashboard's "Données et confidentialité"
page shows it: both call `render_privacy_report`, so a DPO reads the same text in both. The
facts come from the contracts, the settings and the release's own `release_info` row, never
from hand-typed numbers. In French: its readers are school staff and parents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from data_contracts.contracts import Contract, load_contract
from pipelines.settings import (
    BAND_POPULATION,
    K_DEPARTMENT,
    K_SCHOOL,
    LEAVER_GRACE_DAYS,
    RETENTION_DAYS,
)

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


@dataclass(frozen=True)
class ReleaseFacts:
    """What one published release says about itself; None where the release does not say."""

    data_through: date | None = None
    k_school: int = K_SCHOOL
    k_department: int = K_DEPARTMENT
    cells_published: int | None = None
    cells_suppressed: int | None = None
    cells_suppressed_primary: int | None = None
    cells_suppressed_complementary: int | None = None
    last_purge_on: date | None = None


def read_release_facts(published_path: Path) -> ReleaseFacts | None:
    """The release_info row of a published file, or None when there is no release yet."""
    if not published_path.exists():
        return None
    with duckdb.connect(str(published_path), read_only=True) as connection:
        cursor = connection.execute("select * from release_info")
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(names, row, strict=True))
    known = ReleaseFacts.__dataclass_fields__
    return ReleaseFacts(**{name: value for name, value in values.items() if name in known})


def french_date(day: date) -> str:
    return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _treatment(contract: Contract, column_name: str) -> str:
    column = contract.column(column_name)
    if column.pseudonymized:
        return "remplacé par un pseudonyme (HMAC-SHA256 à clé secrète)"
    if column.logical_type == "timestamp":
        return "arrondi à l'heure" if column_name == "occurred_at" else "conservé à la minute"
    return "conservé"


def _fields_table() -> list[str]:
    lines = ["| Donnée | Source | Traitement |", "|---|---|---|"]
    for source_label, name in (("journaux de l'ENT", "events"), ("annuaire", "roster")):
        contract = load_contract(name)
        for column in contract.columns:
            lines.append(f"| {column.business_name} | {source_label} | {_treatment(contract, column.name)} |")
    return lines


def _release_lines(facts: ReleaseFacts | None) -> list[str]:
    if facts is None:
        return ["Aucune publication n'a encore été produite."]
    lines = []
    if facts.data_through is not None:
        lines.append(f"- Données jusqu'au **{french_date(facts.data_through)}**.")
    if facts.cells_published is not None:
        lines.append(f"- **{_number(facts.cells_published)}** cellules publiées.")
    if facts.cells_suppressed is not None:
        detail = ""
        if facts.cells_suppressed_primary is not None and facts.cells_suppressed_complementary is not None:
            detail = (
                f" : {_number(facts.cells_suppressed_primary)} parce que le groupe compte moins de "
                f"k personnes, {_number(facts.cells_suppressed_complementary)} pour empêcher de "
                "retrouver une cellule masquée par soustraction"
            )
        lines.append(f"- **{_number(facts.cells_suppressed)}** cellules masquées{detail}.")
    purge = french_date(facts.last_purge_on) if facts.last_purge_on else "aucune purge enregistrée"
    lines.append(f"- Dernière purge des données anciennes : {purge}.")
    return lines


def render_privacy_report(facts: ReleaseFacts | None) -> str:
    k_school = facts.k_school if facts else K_SCHOOL
    k_department = facts.k_department if facts else K_DEPARTMENT
    sections = [
        "# Données et confidentialité",
        "",
        "## Finalité",
        "Repères mesure l'usage de l'espace numérique de travail (ENT) par les élèves, les parents "
        "et les personnels, pour aider l'établissement à accompagner son adoption : qui l'utilise, "
        "quels services, et comment se passent les devoirs à rendre en ligne. Les journaux de l'ENT "
        "concernent des mineurs : le responsable du traitement est le chef d'établissement. "
        "Repères ne produit que des statistiques sur des groupes, jamais de suivi individuel.",
        "",
        "## Données utilisées",
        *_fields_table(),
        "",
        "Toute autre donnée présente dans les exports (adresse IP, navigateur, nom, prénom, courriel, "
        "numéro INE, texte libre…) est écartée à la lecture et n'est jamais enregistrée.",
        "",
        "## Pseudonymisation",
        "Chaque identifiant de compte est remplacé, dès la lecture, par un pseudonyme calculé avec "
        "une clé secrète d'au moins 256 bits (HMAC-SHA256). La clé n'est jamais enregistrée avec "
        "les données ; une nouvelle clé est utilisée à chaque année scolaire, ce qui rend impossible "
        "tout rapprochement d'une année sur l'autre.",
        "",
        "## Durée de conservation",
        "- Les fichiers déposés par l'ENT sont supprimés (ou archivés hors de Repères) une fois chargés et vérifiés.",
        f"- Les événements pseudonymisés sont conservés **{RETENTION_DAYS} jours** au plus, puis purgés ; "
        "le fichier est compacté pour que les données purgées disparaissent réellement.",
        f"- Les données d'une personne qui a quitté l'établissement sont purgées au plus tard "
        f"**{LEAVER_GRACE_DAYS} jours** après sa date de départ.",
        "- Les statistiques publiées (agrégées et masquées) sont conservées.",
        "",
        "## Protection des petits groupes",
        f"- Un chiffre n'est publié que s'il porte sur au moins **{k_school} personnes** dans un "
        f"établissement, et au moins **{k_department} personnes** pour les vues qui couvrent "
        "plusieurs établissements ou les données ouvertes. En dessous, la cellule est masquée : "
        "elle est affichée comme « masqué », jamais comme zéro.",
        "- D'autres cellules sont masquées si nécessaire pour qu'une cellule masquée ne puisse pas "
        "être retrouvée par différence avec un total.",
        f"- Sur les groupes de moins de {BAND_POPULATION} personnes, les taux extrêmes sont publiés "
        "en tranches (« ≥ 95 % », « ≤ 5 % ») pour ne pas révéler que tous ou aucun ont agi.",
        "- Aucun indicateur ne nomme ni ne classe un enseignant : l'activité des enseignants est "
        "montrée par classe, toutes disciplines confondues, ou par équipe d'au moins "
        f"{k_school} enseignants.",
        "",
        "## Accès",
        "Les tableaux de bord lisent uniquement un fichier de statistiques publiées, en lecture "
        "seule, qui ne contient aucun identifiant ni pseudonyme.",
        "",
        "## Cette publication",
        *_release_lines(facts),
        "",
        "## Vos droits",
        "Pour vous opposer au traitement ou demander l'effacement des données d'un compte, "
        "adressez-vous au chef d'établissement ; l'équipe technique retire alors les événements "
        "de ce compte et recalcule les statistiques concernées.",
    ]
    return "\n".join(sections) + "\n"
