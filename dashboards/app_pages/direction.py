"""Direction — Adoption: each week, the share of each role that logged in to the ENT."""

import streamlit as st

from dashboards import charts, data, labels, session

st.title("Direction — Adoption")
school_uai = st.session_state["ecole"]  # chosen in the sidebar, see app.py
entitlement = session.entitlement()  # what the signed-in account may read
release = data.release_info()
all_weeks = data.adoption_weekly(entitlement, school_uai)
weekly = charts.complete_weeks(all_weeks, release.data_through)

if weekly.empty:
    st.info("Aucune semaine complète publiée pour cet établissement.")
else:
    st.plotly_chart(charts.adoption_figure(weekly), width="stretch")
    st.caption(
        "**Taux d'adoption** : part des inscrits de l'établissement (annuaire), par profil, "
        "qui se sont connectés au moins une fois à l'ENT dans la semaine (du lundi au "
        "dimanche). Les connexions de comptes absents de l'annuaire ne sont pas comptées. "
        + labels.SUPPRESSED_GAP_CAPTION
    )
    if len(weekly) < len(all_weeks):
        st.caption(
            "La semaine en cours n'est pas affichée : les données s'arrêtent au "
            f"{labels.format_date(release.data_through)}."
        )
    with st.expander("Voir les données"):
        st.dataframe(
            labels.french_table(weekly, "adoption_weekly"),
            column_config=labels.column_help(weekly, "adoption_weekly"),
            hide_index=True,
            width="stretch",
        )
