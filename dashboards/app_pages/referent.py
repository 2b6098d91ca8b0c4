"""Référent ENT — Plan de formation: where teachers under-use a service, what past workshops did,
and which short workshops to offer next.

Training needs cover every school of the account (not only the one chosen in the sidebar);
the département's teams are disciplines counted across all schools (k = 10), never a teacher
(DESIGN.md §4 rule 8). The chosen school and role drive the last section, the use of each service.
"""

import streamlit as st

from dashboards import charts, data, filters, labels, sections, session

WEEKS_SHOWN = 8

st.title("Référent ENT — Plan de formation")
school_uai = st.session_state[filters.SCHOOL]  # chosen in the sidebar, see app.py
entitlement = session.entitlement()  # what the signed-in account may read
release = data.release_info()
period = filters.period_picker(data.school_terms(entitlement, school_uai))
roles = [role for role in labels.ROLES if role in data.roles_with_service_usage(entitlement, school_uai)]
role = filters.role_picker(roles, labels.ROLE_TITLES)
needs = data.training_needs(entitlement)
reference = (
    f" ({labels.format_week(needs['week_start'].iloc[0])} et les trois précédentes)"
    if not needs.empty
    else ""
)

sections.heading("Services à renforcer, par priorité", "training_needs", "priority", "share")
if needs.empty:
    st.info("Aucun besoin de formation publié pour vos établissements.")
else:
    sections.chart(charts.training_needs_figure(needs), "Services à renforcer")
    st.caption(
        f"Vos établissements, quatre dernières semaines de classe{reference}. **Priorité** : nombre "
        "d'enseignants de plus qui devraient utiliser le service pour atteindre la part observée dans "
        f"l'ensemble du département ; les {charts.NEEDS_SHOWN} premières lignes sont tracées, toutes "
        "sont dans le tableau. " + labels.SUPPRESSED_GAP_CAPTION
    )
    sections.data_view(needs, "training_needs", "Besoins de formation par établissement")

sections.heading("Ateliers proposés", "training_needs", "priority")
workshops = charts.suggested_workshops(needs)
if workshops.empty:
    st.info(
        "Aucun atelier à proposer : chaque service atteint la part du département dans vos établissements."
    )
else:
    st.caption(
        "Un atelier court par service en retrait, pour les enseignants des établissements listés (leur "
        "priorité entre parenthèses, la plus forte d'abord) ; les ateliers qui gagneraient le plus "
        "d'enseignants viennent en premier."
    )
    sections.plain_table(workshops, "Ateliers proposés", "training_needs")

sections.heading("Équipes disciplinaires du département", "training_needs_discipline", "priority", "share")
teams = data.training_needs_discipline(entitlement)
if teams.empty:
    st.info("Aucun besoin de formation publié par discipline.")
else:
    sections.chart(charts.discipline_needs_figure(teams), "Équipes disciplinaires")
    st.caption(
        "Tous les établissements du département ensemble : une discipline n'est publiée qu'à partir de "
        "dix enseignants (k = 10), jamais au sein d'un établissement, où elle désignerait souvent une "
        "seule personne. " + labels.SUPPRESSED_GAP_CAPTION
    )
    sections.data_view(teams, "training_needs_discipline", "Besoins de formation par discipline")

sections.heading("Effet des ateliers passés", "workshop_effects", "effect", "share_before", "share_after")
effects = data.workshop_effects(entitlement)
if effects.empty:
    st.info("Aucun atelier de formation enregistré pour vos établissements.")
else:
    sections.chart(charts.workshop_effects_figure(effects), "Effet des ateliers")
    st.caption(
        "Pour chaque atelier : l'évolution de la part des enseignants de l'établissement qui utilisent le "
        "service, quatre semaines de classe avant et après, moins la même évolution dans les "
        "établissements sans atelier (différence de différences). Un atelier récent n'a pas encore "
        "d'effet mesurable ; il figure dans le tableau."
    )
    sections.data_view(effects, "workshop_effects", "Effet des ateliers")

sections.heading("Usage des services, semaine par semaine", "service_usage_weekly", "reach")
if role is None or period is None:
    st.info("Aucun usage des services n'est publié pour cet établissement.")
else:
    usage = data.service_usage_weekly(entitlement, school_uai, role)
    in_period = usage[[period.holds_week(week) for week in usage["week_start"]]] if not usage.empty else usage
    weekly = charts.recent_weeks(charts.complete_weeks(in_period, release.data_through), WEEKS_SHOWN)
    if weekly.empty:
        st.info(f"Aucune semaine complète publiée pour ce profil sur la période « {period.label} ».")
    else:
        sections.chart(charts.service_reach_figure(weekly, role), f"Usage des services — {school_uai}")
        st.caption(
            f"{school_uai}, {labels.ROLE_IN_SENTENCE[role]}, {WEEKS_SHOWN} dernières semaines complètes de "
            "la période. **Taux d'usage** : part des inscrits de ce profil qui ont utilisé le service au "
            "moins une fois dans la semaine. Une case « masqué » ne vaut pas zéro."
        )
        sections.data_view(weekly, "service_usage_weekly", f"Usage des services — {school_uai}")
