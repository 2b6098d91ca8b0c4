"""Département — Adoption: each week, the share of each role that logged in, all schools together.

Published at k = 10 (a view across schools): the only kind of table a département account reads.
Like every section, its numbers are one click away as a table, with their CSV and Excel files.
"""

import streamlit as st

from dashboards import charts, data, labels, sections, session

st.title("Département — Adoption")
entitlement = session.entitlement()
release = data.release_info()
all_weeks = data.adoption_department_weekly(entitlement)
weekly = charts.complete_weeks(all_weeks, release.data_through)

if weekly.empty:
    st.info("Aucune semaine complète publiée pour le département.")
else:
    sections.chart(charts.adoption_figure(weekly), "Adoption du département")
    st.caption(
        "**Taux d'adoption** : part des personnes inscrites dans au moins un établissement du "
        "département (un parent de deux collèges compte une fois), par profil, qui se sont "
        "connectées au moins une fois à l'ENT dans la semaine. Les groupes de moins de 10 "
        "personnes sont masqués. " + labels.SUPPRESSED_GAP_CAPTION
    )
    sections.data_view(weekly, "adoption_department_weekly", "Adoption du département")
