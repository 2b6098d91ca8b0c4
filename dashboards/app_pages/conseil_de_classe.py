"""Conseil de classe: for one class and one term, homework, cahier de textes, load per day, parents.

Everything is counted for the class as a whole, all disciplines together: no pupil and no
teacher is named or singled out (DESIGN.md §4 rules 5 and 8). The one-page PDF summary and
the CSV of each table are for the meeting.
"""

import pandas as pd
import streamlit as st

from dashboards import charts, data, exports, filters, labels, sections, session

NO_DISCIPLINE_HELP = (
    "**Par discipline : non disponible.** Les indicateurs publiés ne descendent jamais sous la "
    "classe, toutes disciplines confondues : dans une classe, une discipline correspond le plus "
    "souvent à un seul enseignant, et la détailler reviendrait à suivre cet enseignant. La règle 8 "
    "de Repères (pas de suivi individuel des personnels, DESIGN.md §4) l'interdit."
)


def regularity_row(terms: pd.DataFrame) -> pd.DataFrame:
    """The PDF's one regularity row: the term's, or the year's terms added up (masked if one is)."""
    if len(terms) <= 1:
        return terms
    if terms["is_suppressed"].astype(bool).any():
        return pd.DataFrame([{"school_weeks": None, "weeks_with_entries": None, "regularity": None}])
    weeks, with_entries = int(terms["school_weeks"].sum()), int(terms["weeks_with_entries"].sum())
    return pd.DataFrame(
        [{"school_weeks": weeks, "weeks_with_entries": with_entries, "regularity": with_entries / weeks}]
    )


def class_council(period: filters.Period, class_id: str) -> None:
    """The page for one class and one period: its summary to download, then its four sections."""
    between = (period.first_day, period.last_day)
    homework = data.homework_class_between(entitlement, school_uai, class_id, *between)
    daily = data.homework_load_class(entitlement, school_uai, class_id, *between)
    load = exports.weekday_load(daily)
    cdt_weekly = data.cdt_class_weekly(entitlement, school_uai, class_id, *between)
    terms = data.cdt_class_term(entitlement, school_uai, class_id, period.school_year, period.term)
    reach = data.parent_reach_monthly(entitlement, school_uai, class_id, *between)

    summary = exports.ClassCouncilSummary(
        school_uai=school_uai,
        class_id=class_id,
        school_year=period.school_year,
        term=period.term or "Année",
        data_through=release.data_through,
        homework=homework,
        regularity=regularity_row(terms),
        homework_load=load,
        parent_reach=reach,
        k=release.k_school,
    )
    stem = exports.file_stem(f"conseil de classe {class_id} {period.key}")
    left, right = st.columns([2, 1])
    left.caption(
        f"Classe {class_id} · {period.label} · données jusqu'au "
        f"{labels.format_date(release.data_through) if release.data_through else 'date inconnue'}. "
        "Chiffres de la classe entière, toutes disciplines confondues : aucun élève ni enseignant n'est nommé."
    )
    right.download_button(
        "Synthèse (PDF)",
        data=lambda: exports.class_council_pdf(summary),  # built when clicked, not at every run
        file_name=f"{stem}.pdf",
        mime=exports.PDF_MIME,
        key=f"pdf-{stem}",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        type="primary",
    )

    sections.heading(
        "Devoirs rendus à l'heure, en retard, non rendus",
        "homework_class_weekly",
        "expected",
        "on_time",
        "late",
        "missing",
        note=NO_DISCIPLINE_HELP,
    )
    if homework.empty:
        st.info("Aucun devoir à rendre en ligne pour cette classe sur la période.")
    else:
        sections.chart(charts.homework_figure(homework), f"Devoirs {class_id} {period.key}")
        st.caption(
            "Chaque barre compte les **rendus attendus** des devoirs dont l'échéance tombe dans la "
            "semaine : un élève de la classe × un devoir à rendre en ligne. **À l'heure** : premier dépôt "
            "avant l'échéance ; **en retard** : après ; **non rendu** : aucun dépôt une fois l'échéance "
            "passée ; **à venir** : l'échéance n'est pas encore passée. Par discipline : non disponible "
            "(voir l'aide « ? » du titre). " + labels.SUPPRESSED_GAP_CAPTION
        )
        sections.data_view(homework, "homework_class_weekly", f"Devoirs {class_id} {period.key}")

    sections.heading("Régularité du cahier de textes", "cdt_class_term", "regularity", "school_weeks")
    if cdt_weekly.empty and terms.empty:
        st.info("Aucune semaine publiée pour le cahier de textes de cette classe sur la période.")
    else:
        sections.chart(
            charts.cdt_figure(cdt_weekly, terms, period.label), f"Cahier de textes {class_id} {period.key}"
        )
        st.caption(
            "Entrées du cahier de textes écrites pour la classe chaque semaine, toutes disciplines "
            "confondues ; les semaines de vacances (en gris) ne comptent pas dans la régularité. "
            + labels.SUPPRESSED_GAP_CAPTION
        )
        sections.data_view(
            cdt_weekly, "cdt_class_weekly", f"Cahier de textes par semaine {class_id} {period.key}"
        )
        sections.data_view(
            terms,
            "cdt_class_term",
            f"Cahier de textes par trimestre {class_id} {period.key}",
            label="Voir les données par trimestre",
        )

    sections.heading("Charge de devoirs par jour", "homework_load_class_daily", "homework_due", "weekday")
    if daily.empty:
        st.info("Aucun devoir à rendre en ligne pour cette classe sur la période.")
    else:
        sections.chart(charts.homework_load_figure(load), f"Charge par jour {class_id} {period.key}")
        st.caption(
            "Devoirs à rendre en ligne, additionnés par jour de la semaine sur la période. Un jour de la "
            "semaine dont une date est masquée est masqué en entier : la somme des autres ne serait pas le total."
        )
        sections.data_view(
            load,
            "homework_load_class_daily",
            f"Charge par jour de la semaine {class_id} {period.key}",
            label="Voir les données par jour de la semaine",
        )
        sections.data_view(daily, "homework_load_class_daily", f"Charge par jour {class_id} {period.key}")

    sections.heading("Parents touchés", "parent_reach_monthly", "reach", "pupils_with_parent")
    if reach.empty:
        st.info("Aucun mois publié pour les parents de cette classe sur la période.")
    else:
        sections.chart(charts.parent_reach_figure(reach), f"Parents touchés {class_id} {period.key}")
        st.caption(
            "Part des élèves de la classe dont au moins un parent a utilisé l'ENT de l'établissement dans "
            "le mois. Sans lien parent-élève dans l'annuaire, la part est inconnue, pas nulle."
        )
        sections.data_view(reach, "parent_reach_monthly", f"Parents touchés {class_id} {period.key}")


st.title("Conseil de classe")
school_uai = st.session_state[filters.SCHOOL]  # chosen in the sidebar, see app.py
entitlement = session.entitlement()  # what the signed-in account may read
release = data.release_info()
period = filters.period_picker(data.school_terms(entitlement, school_uai))
class_ids = data.classes(entitlement, school_uai)

if period is None or not class_ids:
    st.info("Aucun devoir à rendre en ligne n'est publié pour cet établissement.")
else:
    class_council(period, filters.picker(filters.CLASS, "Classe", class_ids, container=st))
