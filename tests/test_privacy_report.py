"""Rule 10, transparency: one notice, generated from the contracts, the settings and the release."""

from __future__ import annotations

from datetime import date

from data_contracts.contracts import load_contract
from pipelines.privacy_report import ReleaseFacts, render_privacy_report


def test_notice_states_purpose_fields_retention_k_and_release_figures():
    report = render_privacy_report(
        ReleaseFacts(
            data_through=date(2025, 11, 23),
            k_school=5,
            k_department=10,
            cells_published=3991,
            cells_suppressed=57,
            cells_suppressed_primary=40,
            cells_suppressed_complementary=17,
            last_purge_on=date(2025, 11, 30),
        )
    )
    assert "## Finalité" in report
    for contract in ("events", "roster"):
        for column in load_contract(contract).columns:
            assert f"| {column.business_name} |" in report
    assert "| Identifiant du compte ENT | journaux de l'ENT | remplacé par un pseudonyme" in report
    assert "| Date et heure de l'action | journaux de l'ENT | arrondi à l'heure |" in report
    assert "adresse IP, navigateur, nom, prénom, courriel, numéro INE" in report
    assert "conservés **365 jours** au plus" in report
    assert "au plus tard **90 jours** après sa date de départ" in report
    assert "au moins **5 personnes** dans un établissement" in report
    assert "au moins **10 personnes** pour les vues qui couvrent plusieurs établissements" in report
    assert "nouvelle clé est utilisée à chaque année scolaire" in report
    assert "- Données jusqu'au **23 novembre 2025**." in report
    assert "- **3\u202f991** cellules publiées." in report
    assert (
        "- **57** cellules masquées : 40 parce que le groupe compte moins de k personnes, "
        "17 pour empêcher de retrouver une cellule masquée par soustraction." in report
    )
    assert "- Dernière purge des données anciennes : 30 novembre 2025." in report


def test_notice_without_a_release_says_so():
    report = render_privacy_report(None)
    assert "Aucune publication n'a encore été produite." in report
