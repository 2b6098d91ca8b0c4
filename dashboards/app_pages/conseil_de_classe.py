"""Conseil de classe — Devoirs: for one class, how homework handed in online came back."""

import streamlit as st

from dashboards import charts, data, labels, session

st.title("Conseil de classe — Devoirs")
school_uai = st.session_state["ecole"]  # chosen in the sidebar, see app.py
entitlement = session.entitlement()  # what the signed-in account may read
class_ids = data.classes(entitlement, school_uai)

if not class_ids:
    st.info("Aucun devoir à rendre en ligne n'est publié pour cet établissement.")
else:
    class_id = st.selectbox("Classe", class_ids)
    weekly = data.homework_class_weekly(entitlement, school_uai, class_id)
    st.plotly_chart(charts.homework_figure(weekly), width="stretch")
    st.caption(
        "Chaque barre compte les **rendus attendus** des devoirs dont l'échéance tombe dans "
        "la semaine : un élève de la classe × un devoir à rendre en ligne. **À l'heure** : "
        "premier dépôt avant l'échéance ; **en retard** : après ; **non rendu** : aucun dépôt "
        "une fois l'échéance passée ; **à venir** : l'échéance n'est pas encore passée. "
        + labels.SUPPRESSED_GAP_CAPTION
    )
    with st.expander("Voir les données"):
        st.dataframe(
            labels.french_table(weekly, "homework_class_weekly"),
            column_config=labels.column_help(weekly, "homework_class_weekly"),
            hide_index=True,
            width="stretch",
        )
