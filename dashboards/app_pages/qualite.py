"""Qualité des données: did the last runs succeed, is each source fresh and whole, what was set aside and why."""

import datetime as dt

import streamlit as st

from dashboards import charts_quality, data, exports, labels, sections, session

st.title("Qualité des données")
entitlement = session.entitlement()  # what the signed-in account may read
release = data.release_info()
st.caption(
    "Ces tableaux comptent des fichiers, des lignes et des actions, jamais des personnes : ils sont "
    "publiés sans masquage. Aucune valeur d'une ligne mise de côté n'est montrée."
)

st.header("Derniers runs")
runs = data.recent_runs()
if not runs:
    st.info(
        "Aucun run enregistré : le premier `reperes run` écrira son résultat ici.", icon=":material/info:"
    )
else:
    latest = runs[0]
    when = charts_quality.run_time(latest.get("ended_at"))
    if latest.get("status") == "failure":
        st.error(
            f"Le dernier run ({when}) a échoué : {charts_quality.run_problem(latest)}.\n\n"
            f"**Que faire** : {latest.get('next_action')}",
            icon=":material/error:",
        )
    elif latest.get("next_action"):
        st.warning(f"Le dernier run ({when}) a réussi, avec une alerte.\n\n{latest['next_action']}")
    else:
        st.success(f"Le dernier run ({when}) a réussi : la publication est à jour.", icon=":material/check:")
    st.dataframe(charts_quality.runs_table(runs), hide_index=True, width="stretch")

sources = data.data_quality_sources(entitlement)
if sources is None:
    st.info(
        "Cette publication ne contient pas encore les tableaux de qualité des données : relancez "
        "`reperes run`, puis rechargez cette page.",
        icon=":material/info:",
    )
    st.stop()

st.header("Fraîcheur des sources")
for verdict in charts_quality.freshness(sources, dt.date.today()):
    if verdict.stale:
        st.warning(verdict.message, icon=":material/schedule:")
    else:
        st.caption(verdict.message)
st.dataframe(charts_quality.sources_table(sources), hide_index=True, width="stretch")
sections.download_buttons(sources, "data_quality_sources", "Qualité des données — sources")

st.header("Fichiers chargés")
files = data.data_quality_files(entitlement)
unreadable = charts_quality.unreadable_files(files)
if not unreadable.empty:
    st.error(
        f"{labels.format_count(len(unreadable))} fichier(s) n'ont pas pu être lus : ils ne comptent dans "
        "aucun indicateur et sont restés dans le dossier de dépôt. Demandez-en une nouvelle livraison sous "
        "le même nom, puis relancez `reperes run`.",
        icon=":material/block:",
    )
    st.dataframe(charts_quality.files_table(unreadable), hide_index=True, width="stretch")
if files.empty:
    st.info("Aucun fichier chargé.")
else:
    st.plotly_chart(
        charts_quality.file_balance_figure(files),
        width="stretch",
        config=exports.chart_config("Qualité des données — lignes par livraison"),
    )
    st.caption(
        "Pour chaque fichier, **lignes lues = chargées + en quarantaine + doublons** : aucune ligne ne se "
        "perd entre le dépôt et l'entrepôt (un contrôle bloquant le vérifie à chaque run). Un doublon est "
        "un événement déjà livré, compté une seule fois."
    )
    with st.expander("Voir les fichiers"):
        st.dataframe(charts_quality.files_table(files), hide_index=True, width="stretch")
        sections.download_buttons(files, "data_quality_files", "Qualité des données — fichiers")

st.header("Lignes mises en quarantaine")
rules = data.data_quality_rules(entitlement)
if rules.empty:
    st.success("Aucune ligne mise en quarantaine : chaque ligne lue respecte le contrat de données.")
else:
    st.plotly_chart(
        charts_quality.quarantine_figure(rules),
        width="stretch",
        config=exports.chart_config("Qualité des données — quarantaine par règle"),
    )
    st.caption(
        "Une ligne qui enfreint une règle du contrat de données (data_contracts/) est mise de côté : elle "
        "ne compte dans aucun indicateur. La première occurrence indique où la trouver dans le fichier ; "
        "sa valeur n'est jamais publiée (elle pourrait être une donnée personnelle)."
    )
    st.dataframe(charts_quality.rules_table(rules), hide_index=True, width="stretch")
    sections.download_buttons(rules, "data_quality_rules", "Qualité des données — quarantaine")

st.header("Couverture de l'annuaire")
coverage = charts_quality.roster_coverage(data.roster_coverage(entitlement), release.data_through)
if coverage.empty:
    st.info("Aucune semaine complète publiée.")
else:
    st.plotly_chart(
        charts_quality.coverage_figure(coverage),
        width="stretch",
        config=exports.chart_config("Qualité des données — couverture de l'annuaire"),
    )
    st.caption(
        f"Sur les {charts_quality.COVERAGE_WEEKS} dernières semaines complètes : part des actions faites "
        "par des comptes absents de l'annuaire de l'établissement, ou hors de leur période d'inscription. "
        "Elles ne comptent dans aucun taux ; au-delà de "
        f"{charts_quality.share_text(charts_quality.COVERAGE_WARNING_SHARE)}, faites livrer un annuaire "
        "à jour."
    )
    st.dataframe(charts_quality.coverage_table(coverage), hide_index=True, width="stretch")
