"""Direction — Adoption après un mois: who uses the ENT in one school, week by week since its start.

What changed since last week (one sentence), the share of each role active each week, the
first month's figures, which services each role uses, and where the school stands among the
département's schools. The school, the period and the role are the sidebar's filters, kept
in the URL (dashboards/filters.py).
"""

import streamlit as st

from dashboards import charts, data, filters, labels, sections, session


def adoption_after_one_month() -> None:
    """The page, top to bottom; it ends early (the footer still shown) when nothing is published."""
    st.title("Direction — Adoption après un mois")
    school_uai = st.session_state[filters.SCHOOL]  # chosen in the sidebar, see app.py
    entitlement = session.entitlement()  # what the signed-in account may read
    release = data.release_info()
    period = filters.period_picker(data.school_terms(entitlement, school_uai))
    if period is None:
        st.info("Aucune semaine publiée pour cet établissement.")
        return

    weekly = charts.complete_weeks(
        data.adoption_weekly_between(entitlement, school_uai, period.first_day, period.last_day),
        release.data_through,
    )
    roles = [role for role in labels.ROLES if not weekly.empty and role in set(weekly["role"])]
    role = filters.role_picker(roles, labels.ROLE_TITLES)
    first_month = data.adoption_first_month(entitlement, school_uai)
    start_week = min(first_month["start_week"]) if not first_month.empty else None

    if weekly.empty:
        st.info(f"Aucune semaine complète publiée pour cet établissement sur la période « {period.label} ».")
        return

    trends = charts.complete_weeks(
        data.adoption_trends(entitlement, school_uai, period.first_day, period.last_day), release.data_through
    )
    st.info(charts.change_sentence(trends, weekly), icon=":material/update:")

    sections.heading("Chaque semaine, qui utilise l'ENT ?", "adoption_weekly", "adoption_rate", "enrolled")
    sections.chart(charts.adoption_figure(weekly, start_week), f"Adoption par semaine — {school_uai}")
    st.caption(
        f"{period.label}. **Taux d'adoption** : part des inscrits de l'établissement (annuaire), par profil, "
        "qui ont utilisé l'ENT au moins une fois dans la semaine (du lundi au dimanche). "
        + (f"Démarrage de l'ENT : {labels.format_week(start_week)}. " if start_week else "")
        + "En gris : les semaines de vacances scolaires, qui ne comptent pas dans les évolutions. "
        + labels.SUPPRESSED_GAP_CAPTION
    )
    sections.data_view(weekly, "adoption_weekly", f"Adoption par semaine — {school_uai}")

    sections.heading(
        "Le premier mois",
        "adoption_first_month",
        "start_week",
        "active_share",
        "regular_share",
        "weeks_observed",
    )
    if first_month.empty:
        st.info("Le premier mois de cet établissement n'est pas publié.")
    else:
        sections.chart(charts.first_month_figure(first_month), f"Premier mois — {school_uai}")
        st.caption(
            "Les quatre premières semaines de classe à partir de la première semaine où l'ENT de "
            "l'établissement a été utilisé (vacances exclues). **Régulier** : actif au moins trois de ces "
            "quatre semaines. Une part proche de 0 ou de 100 % d'un petit groupe est donnée en tranche."
        )
        sections.data_view(first_month, "adoption_first_month", f"Premier mois — {school_uai}")

    last_week = (charts.school_weeks(weekly) or [max(weekly["week_start"])])[-1]
    sections.heading("Quels services, pour qui ?", "service_usage_weekly", "reach")
    usage = data.service_usage_in_week(entitlement, school_uai, last_week)
    if usage.empty:
        st.info(f"Aucun usage des services publié pour la {labels.format_week(last_week)}.")
    else:
        sections.chart(charts.services_by_role_figure(usage, role), f"Services par profil — {school_uai}")
        st.caption(
            f"{labels.format_week(last_week).capitalize()}, dernière semaine de classe complète de la période. "
            "Le titre porte sur le profil choisi dans la barre latérale ; le portail, point d'entrée de "
            "toute visite, et les autres services n'y sont pas retenus. Une case « masqué » ne vaut pas zéro."
        )
        sections.data_view(usage, "service_usage_weekly", f"Services par profil — {school_uai}")

    sections.heading(
        "Parmi les établissements du département",
        "adoption_position",
        "department_median",
        "department_q1",
        "department_q3",
        "schools",
    )
    position = charts.complete_weeks(
        data.adoption_position(entitlement, school_uai, role, period.first_day, period.last_day),
        release.data_through,
    )
    if position.empty or position["department_median"].isna().all():
        st.info(
            f"Pas assez d'établissements comparables pour les {labels.ROLE_IN_SENTENCE[role]} sur cette "
            "période : il en faut au moins cinq dont le taux porte sur dix inscrits ou plus (k = 10)."
        )
    else:
        sections.chart(charts.position_figure(position, role), f"Position dans le département — {school_uai}")
        st.caption(
            "Établissements comparables : tous ceux du département qui publient un taux sur au moins dix "
            "inscrits de ce profil la semaine donnée (les contrats ne donnent pas encore le type "
            "d'établissement). La bande couvre la moitié centrale des établissements (du 1er au 3e "
            "quartile), calculée à partir des seuls chiffres publiés."
        )
        sections.data_view(position, "adoption_position", f"Position dans le département — {school_uai}")


adoption_after_one_month()
