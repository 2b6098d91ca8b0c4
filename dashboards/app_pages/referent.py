"""Référent ENT — Usage des services: which services each role uses, week after week."""

import streamlit as st

from dashboards import charts, data, labels, session

WEEKS_SHOWN = 8

st.title("Référent ENT — Usage des services")
school_uai = st.session_state["ecole"]  # chosen in the sidebar, see app.py
entitlement = session.entitlement()  # what the signed-in account may read
release = data.release_info()
roles = [role for role in labels.ROLES if role in data.roles_with_service_usage(entitlement, school_uai)]

if not roles:
    st.info("Aucun usage des services n'est publié pour cet établissement.")
else:
    role = st.radio("Profil", roles, format_func=labels.ROLE_TITLES.get, horizontal=True)
    usage = data.service_usage_weekly(entitlement, school_uai, role)
    weekly = charts.recent_weeks(charts.complete_weeks(usage, release.data_through), WEEKS_SHOWN)
    if weekly.empty:
        st.info("Aucune semaine complète publiée pour ce profil.")
    else:
        st.plotly_chart(charts.service_reach_figure(weekly, role), width="stretch")
        st.caption(
            "**Taux d'usage** : part des inscrits de ce profil qui ont utilisé le service au "
            f"moins une fois dans la semaine ({WEEKS_SHOWN} dernières semaines complètes). "
            "Le portail, point d'entrée de toute visite, et les autres services ne sont pas "
            "retenus dans le titre. Une case « masqué » concerne moins de 5 personnes : sa "
            "valeur n'est pas publiée, elle ne vaut pas zéro."
        )
        with st.expander("Voir les données"):
            st.dataframe(
                labels.french_table(weekly, "service_usage_weekly"),
                column_config=labels.column_help(weekly, "service_usage_weekly"),
                hide_index=True,
                width="stretch",
            )

    quality = charts.complete_weeks(data.data_quality_weekly(entitlement, school_uai), release.data_through)
    if not quality.empty:
        latest = quality.iloc[-1]
        st.caption(
            f"Qualité des données, {labels.format_week(latest['week_start'])} : "
            f"{labels.format_count(latest['events_unmatched'])} événements sur "
            f"{labels.format_count(latest['events'])} viennent de comptes absents de "
            "l'annuaire de l'établissement ; ils ne sont comptés dans aucun taux."
        )
