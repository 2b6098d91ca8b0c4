"""Figures and findings from small hand-made frames: values, gaps and titles checked by hand."""

import datetime as dt

import pandas as pd

from dashboards import charts, labels

WEEK_1, WEEK_2, WEEK_3 = (dt.date(2025, 5, 5) + dt.timedelta(weeks=n) for n in range(3))
NBSP_PERCENT = "\u00a0%"


def adoption_rows(rows: list[tuple]) -> pd.DataFrame:
    """(role, week, rate or None) → rows shaped like `data.adoption_weekly`."""
    return pd.DataFrame(
        [
            {
                "role": role,
                "week_start": week,
                "enrolled": None if rate is None else 100,
                "active_users": None if rate is None else round(rate * 100),
                "adoption_rate": rate,
                "is_suppressed": rate is None,
            }
            for role, week, rate in rows
        ]
    )


def trace(figure, name):
    return next(item for item in figure.data if item.name == name)


def test_adoption_figure_draws_one_line_per_role_with_the_given_rates():
    frame = adoption_rows(
        [
            ("eleve", WEEK_1, 0.40),
            ("eleve", WEEK_2, 0.58),
            ("eleve", WEEK_3, 0.62),
            ("parent", WEEK_1, 0.20),
            ("parent", WEEK_2, 0.25),
            ("parent", WEEK_3, 0.30),
        ]
    )
    figure = charts.adoption_figure(frame)
    assert [item.name for item in figure.data] == ["Élèves", "Parents"]
    assert list(trace(figure, "Élèves").y) == [0.40, 0.58, 0.62]
    assert list(trace(figure, "Parents").y) == [0.20, 0.25, 0.30]
    assert list(trace(figure, "Élèves").x) == [WEEK_1, WEEK_2, WEEK_3]
    assert charts.title_text(figure) == (
        f"Semaine du 19 mai 2025 : 62{NBSP_PERCENT} des élèves se sont connectés à l'ENT "
        "(+4 points en une semaine)"
    )


def test_a_masked_week_is_a_gap_not_a_zero():
    frame = adoption_rows(
        [
            ("eleve", WEEK_1, 0.40),
            ("eleve", WEEK_2, 0.50),
            ("eleve", WEEK_3, 0.60),
            ("personnel", WEEK_1, 0.50),
            ("personnel", WEEK_2, None),
            ("personnel", WEEK_3, 0.75),
        ]
    )
    personnel = trace(charts.adoption_figure(frame), "Personnels")
    assert list(personnel.y) == [0.50, None, 0.75]
    assert personnel.connectgaps is False
    assert personnel.customdata[1][1] == labels.SUPPRESSED_TEXT


def test_adoption_finding_falls_back_to_the_next_role_when_pupils_are_masked():
    frame = adoption_rows([("eleve", WEEK_1, None), ("parent", WEEK_1, 0.31)])
    assert charts.adoption_finding(frame) == (
        f"Semaine du 5 mai 2025 : 31{NBSP_PERCENT} des parents se sont connectés à l'ENT"
    )


def test_adoption_finding_gives_extreme_rates_as_bands():
    frame = adoption_rows([("enseignant", WEEK_1, 0.9), ("enseignant", WEEK_2, 1.0)])
    assert charts.adoption_finding(frame) == (
        f"Semaine du 12 mai 2025 : ≥ 95{NBSP_PERCENT} des enseignants se sont connectés à l'ENT"
    )


def test_complete_weeks_leaves_out_the_week_in_progress():
    frame = adoption_rows([("eleve", WEEK_1, 0.4), ("eleve", WEEK_2, 0.5)])
    sunday_of_week_1 = WEEK_1 + dt.timedelta(days=6)
    kept = charts.complete_weeks(frame, sunday_of_week_1)
    assert list(kept["week_start"]) == [WEEK_1]
    assert len(charts.complete_weeks(frame, None)) == 2


def homework_rows(rows: list[tuple]) -> pd.DataFrame:
    """(week, expected, on_time, late, missing, pending) or (week, None) for a masked week."""
    records = []
    for week, *counts in rows:
        if counts == [None]:
            counts = [None] * 5
        expected, on_time, late, missing, pending = counts
        records.append(
            {
                "week_start": week,
                "homework_count": None if expected is None else 1,
                "expected": expected,
                "on_time": on_time,
                "late": late,
                "missing": missing,
                "pending": pending,
                "submission_rate": None if expected is None else (on_time + late) / expected,
                "on_time_rate": None if expected is None else on_time / expected,
                "is_suppressed": expected is None,
            }
        )
    return pd.DataFrame(records)


def test_homework_figure_stacks_the_four_statuses_with_masked_weeks_as_gaps():
    frame = homework_rows(
        [(WEEK_1, 25, 18, 4, 3, 0), (WEEK_2, None), (WEEK_3, 25, 5, 0, 0, 20)],
    )
    figure = charts.homework_figure(frame)
    assert figure.layout.barmode == "stack"
    assert [item.name for item in figure.data] == ["À l'heure", "En retard", "Non rendu", "À venir"]
    assert list(trace(figure, "À l'heure").y) == [18, None, 5]
    assert list(trace(figure, "En retard").y) == [4, None, 0]
    assert list(trace(figure, "Non rendu").y) == [3, None, 0]
    assert list(trace(figure, "À venir").y) == [0, None, 20]
    assert [annotation.text for annotation in figure.layout.annotations] == ["masqué"]


def test_homework_finding_reads_the_last_week_whose_deadlines_have_passed():
    frame = homework_rows([(WEEK_1, 25, 18, 4, 3, 0), (WEEK_2, 25, 5, 0, 0, 20)])
    assert charts.title_text(charts.homework_figure(frame)) == (
        f"Semaine du 5 mai 2025 : 72{NBSP_PERCENT} des devoirs attendus ont été rendus à "
        f"l'heure, 16{NBSP_PERCENT} en retard"
    )


def test_homework_finding_when_every_week_is_masked():
    frame = homework_rows([(WEEK_1, None)])
    assert "masquées" in charts.homework_finding(frame)


def service_rows(rows: list[tuple]) -> pd.DataFrame:
    """(service, week, reach or None) → rows shaped like `data.service_usage_weekly`."""
    return pd.DataFrame(
        [
            {
                "service": service,
                "week_start": week,
                "enrolled": None if reach is None else 200,
                "users": None if reach is None else round(reach * 200),
                "reach": reach,
                "is_suppressed": reach is None,
            }
            for service, week, reach in rows
        ]
    )


def test_service_heatmap_has_services_as_rows_weeks_as_columns_and_masked_cells_empty():
    frame = service_rows(
        [
            ("messagerie", WEEK_1, 0.30),
            ("messagerie", WEEK_2, 0.45),
            ("portail", WEEK_1, 0.90),
            ("portail", WEEK_2, 0.92),
            ("ressources", WEEK_1, None),
            ("ressources", WEEK_2, 0.10),
        ]
    )
    figure = charts.service_reach_figure(frame, "parent")
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["Portail", "Messagerie", "Ressources"]
    assert [list(row) for row in heatmap.z] == [[0.90, 0.92], [0.30, 0.45], [None, 0.10]]
    assert heatmap.text[2][0] == "masqué"
    assert heatmap.text[1][1] == f"45{NBSP_PERCENT}"
    # The portal is every visit's door: the finding names the first service after it.
    assert charts.title_text(figure) == (
        f"Semaine du 12 mai 2025 : la messagerie a touché 45{NBSP_PERCENT} des parents, "
        "plus que tout autre service"
    )


def test_service_finding_agrees_the_verb_with_a_plural_service():
    frame = service_rows([("devoirs", WEEK_1, 0.5), ("messagerie", WEEK_1, 0.2)])
    assert charts.service_reach_finding(frame, "eleve") == (
        f"Semaine du 5 mai 2025 : les devoirs ont touché 50{NBSP_PERCENT} des élèves, "
        "plus que tout autre service"
    )


def test_recent_weeks_keeps_the_last_ones():
    frame = service_rows([("devoirs", week, 0.5) for week in (WEEK_1, WEEK_2, WEEK_3)])
    assert list(charts.recent_weeks(frame, 2)["week_start"]) == [WEEK_2, WEEK_3]


def test_french_table_spells_out_masked_cells_and_french_headers():
    frame = adoption_rows([("eleve", WEEK_1, 0.62), ("personnel", WEEK_1, None)])
    table = labels.french_table(frame)
    assert list(table.columns) == [
        "Profil",
        "Semaine du",
        "Inscrits",
        "Utilisateurs actifs",
        "Taux d'adoption",
    ]
    assert table.iloc[0].tolist() == ["Élèves", "5 mai 2025", "100", "62", f"62{NBSP_PERCENT}"]
    assert table.iloc[1].tolist() == [
        "Personnels",
        "5 mai 2025",
        *[labels.SUPPRESSED_TEXT] * 3,
    ]


# Every figure: valid for plotly, colours from the colour-blind-safe palette -----------------


def figure_colours(figure) -> set[str]:
    """Every colour a figure's traces use, apart from the heatmaps' continuous scale."""
    found = set()
    for item in figure.data:
        for part in ("line", "marker"):
            colour = getattr(getattr(item, part, None), "color", None)
            if isinstance(colour, str):
                found.add(colour)
            elif isinstance(colour, tuple | list):
                found.update(colour)
    return found


def assert_sound(figure) -> None:
    """Plotly accepts every property (the builders assemble the figure without its checks)."""
    import plotly.graph_objects as go

    go.Figure(figure.to_dict())
    assert figure_colours(figure) <= set(charts.OKABE_ITO.values())


# Direction — Adoption après un mois --------------------------------------------------------


def test_adoption_figure_marks_the_start_week_inside_the_period():
    frame = adoption_rows([("eleve", WEEK_1, 0.4), ("eleve", WEEK_2, 0.5), ("eleve", WEEK_3, 0.6)])
    figure = charts.adoption_figure(frame, start_week=WEEK_2)
    assert [shape.x0 for shape in figure.layout.shapes] == [WEEK_2]
    assert [annotation.text for annotation in figure.layout.annotations] == ["Démarrage"]
    assert not charts.adoption_figure(frame, start_week=WEEK_1 - dt.timedelta(weeks=10)).layout.shapes
    assert_sound(figure)


def test_long_titles_are_wrapped_but_read_as_one_sentence():
    title = "Semaine du 26 mai 2025 : 62 % des élèves actifs, au-dessus de la médiane du département (médiane 50 %)"
    wrapped = charts.wrap_title(title, width=40)
    assert "<br>" in wrapped and all(len(line) <= 40 for line in wrapped.split("<br>"))
    assert wrapped.replace("<br>", " ") == title


def trend_rows(rows: list[tuple]) -> pd.DataFrame:
    """(role, week, rate, change) → rows shaped like `data.adoption_trends`."""
    return pd.DataFrame(
        [
            {
                "role": role,
                "week_start": week,
                "school_year": "2024-2025",
                "school_week_number": 30,
                "adoption_rate": rate,
                "previous_rate": None if rate is None or change is None else rate - change,
                "change": change,
                "last_year_rate": None,
                "change_since_last_year": None,
            }
            for role, week, rate, change in rows
        ]
    )


def test_change_sentence_gives_each_role_its_rate_and_change_and_never_a_zero_for_a_masked_one():
    trends = trend_rows(
        [
            ("eleve", WEEK_1, 0.58, 0.02),
            ("eleve", WEEK_2, 0.62, 0.04),
            ("parent", WEEK_2, 0.30, -0.01),
            ("enseignant", WEEK_2, None, None),
            ("personnel", WEEK_2, 0.5, None),
        ]
    )
    weekly = adoption_rows([("enseignant", WEEK_2, None)])
    weekly["adoption_rate_band"] = ["≥ 95\u00a0%"]
    weekly["is_suppressed"] = False
    assert charts.change_sentence(trends, weekly) == (
        "Semaine du 12 mai 2025, par rapport à la semaine de classe précédente, part des inscrits actifs : "
        f"élèves 62{NBSP_PERCENT} (+4 points), parents 30{NBSP_PERCENT} (\u22121 point), "
        "enseignants ≥ 95\u00a0% (évolution non publiée), "
        f"personnels 50{NBSP_PERCENT} (évolution non publiée)."
    )
    masked = charts.change_sentence(trend_rows([("eleve", WEEK_2, None, None)]), adoption_rows([]))
    assert labels.SUPPRESSED_TEXT in masked and " 0" not in masked


def test_change_sentence_without_a_school_week():
    assert (
        charts.change_sentence(trend_rows([]))
        == "Pas encore de semaine de classe publiée à comparer à la précédente."
    )


def first_month_rows() -> pd.DataFrame:
    rows = [
        ("eleve", 400, 340, 240, None),
        ("enseignant", 38, None, 30, "≥ 95\u00a0%"),
        ("personnel", None, None, None, None),
    ]
    return pd.DataFrame(
        [
            {
                "role": role,
                "start_week": dt.date(2024, 9, 2),
                "weeks_observed": 4,
                "enrolled": enrolled,
                "active_once": active,
                "regular": regular,
                "active_share": None if active is None else active / enrolled,
                "regular_share": None if regular is None else regular / enrolled,
                "active_share_band": band,
                "regular_share_band": None,
                "is_suppressed": enrolled is None,
            }
            for role, enrolled, active, regular, band in rows
        ]
    )


def test_first_month_figure_draws_bands_at_their_bound_and_masked_roles_as_masked():
    figure = charts.first_month_figure(first_month_rows())
    active, regular = figure.data
    assert list(active.y) == ["Élèves", "Enseignants", "Personnels"]
    assert list(active.x) == [0.85, 0.95, None]
    assert list(active.customdata) == [f"85{NBSP_PERCENT}", "≥ 95\u00a0%", labels.SUPPRESSED_TEXT]
    assert list(regular.x)[:2] == [0.6, 30 / 38]
    assert [annotation.text for annotation in figure.layout.annotations] == ["masqué"]
    assert charts.title_text(figure) == (
        "Premier mois (4 semaines de classe à partir du 2 septembre 2024) : "
        f"85{NBSP_PERCENT} des élèves actifs au moins une fois, 60{NBSP_PERCENT} réguliers"
    )
    assert_sound(figure)


def test_first_month_finding_says_when_the_month_is_not_over():
    rows = first_month_rows()
    rows["weeks_observed"] = 2
    assert charts.first_month_finding(rows).startswith("Premier mois en cours (2 semaines de classe sur 4)")


def test_services_by_role_figure_is_a_service_by_role_grid_of_one_week():
    frame = pd.DataFrame(
        [
            {"role": role, "service": service, "week_start": WEEK_1, "enrolled": 100, "users": users,
             "reach": None if users is None else users / 100, "is_suppressed": users is None}
            for role, service, users in [
                ("parent", "messagerie", 60),
                ("eleve", "messagerie", 50),
                ("eleve", "devoirs", 70),
                ("parent", "devoirs", None),
            ]
        ]
    )  # fmt: skip
    figure = charts.services_by_role_figure(frame, "parent")
    heatmap = figure.data[0]
    assert list(heatmap.x) == ["Élèves", "Parents"]
    assert list(heatmap.y) == ["Devoirs", "Messagerie"]
    assert [list(row) for row in heatmap.z] == [[0.7, None], [0.5, 0.6]]
    assert heatmap.text[0][1] == "masqué"
    assert charts.title_text(figure) == (
        f"Semaine du 5 mai 2025 : la messagerie a touché 60{NBSP_PERCENT} des parents, plus que tout autre service"
    )
    assert_sound(figure)


def position_rows(rates: list[float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "week_start": week,
                "adoption_rate": rate,
                "schools": 42,
                "department_q1": 0.4,
                "department_median": 0.5,
                "department_q3": 0.6,
                "quartile": None if rate is None else 1 + sum(rate > bound for bound in (0.4, 0.5, 0.6)),
            }
            for week, rate in zip((WEEK_1, WEEK_2, WEEK_3), rates, strict=True)
        ]
    )


def test_position_figure_draws_the_quartile_band_the_median_and_the_school():
    figure = charts.position_figure(position_rows([0.45, 0.55, 0.62]), "eleve")
    q1, q3, median, school = figure.data
    assert list(q1.y) == [0.4] * 3 and list(q3.y) == [0.6] * 3 and q3.fill == "tonexty"
    assert list(median.y) == [0.5] * 3
    assert list(school.y) == [0.45, 0.55, 0.62] and school.name == "Votre établissement"
    assert charts.title_text(figure) == (
        f"Semaine du 19 mai 2025 : 62{NBSP_PERCENT} des élèves actifs, dans le quart des établissements du "
        f"département où ce taux est le plus haut (médiane 50{NBSP_PERCENT}, 42 établissements comparés)"
    )
    assert_sound(figure)


def test_position_finding_when_the_school_rate_is_masked():
    finding = charts.position_finding(position_rows([0.45, 0.55, None]), "parent")
    assert finding == (
        f"Semaine du 19 mai 2025 : taux des parents de l'établissement non publié ; médiane du département "
        f"50{NBSP_PERCENT} (42 établissements comparés)"
    )


# Conseil de classe -------------------------------------------------------------------------


def cdt_rows() -> tuple[pd.DataFrame, pd.DataFrame]:
    weekly = pd.DataFrame(
        [
            {"week_start": WEEK_1, "is_school_week": True, "teachers": 11, "teachers_posting": 6, "entries": 12,
             "disciplines_with_entries": 6, "is_suppressed": False},
            {"week_start": WEEK_2, "is_school_week": False, "teachers": 11, "teachers_posting": 0, "entries": 0,
             "disciplines_with_entries": 0, "is_suppressed": False},
            {"week_start": WEEK_3, "is_school_week": True, "teachers": None, "teachers_posting": None,
             "entries": None, "disciplines_with_entries": None, "is_suppressed": True},
        ]
    )  # fmt: skip
    terms = pd.DataFrame(
        [
            {"school_year": "2024-2025", "term": "T2", "teachers": 11, "school_weeks": 10, "weeks_with_entries": 9,
             "regularity": 0.9, "is_suppressed": False},
            {"school_year": "2024-2025", "term": "T3", "teachers": 11, "school_weeks": 8, "weeks_with_entries": 7,
             "regularity": 0.875, "is_suppressed": False},
        ]
    )  # fmt: skip
    return weekly, terms


def test_cdt_figure_counts_entries_and_says_holidays_and_masked_weeks():
    weekly, terms = cdt_rows()
    figure = charts.cdt_figure(weekly, terms, "Année 2024-2025")
    assert list(figure.data[0].y) == [12, 0, None]
    assert [annotation.text for annotation in figure.layout.annotations] == ["vacances", "masqué"]
    assert charts.title_text(figure) == (
        f"Année 2024-2025 : cahier de textes rempli 16 semaines de classe sur 18 (89{NBSP_PERCENT})"
    )
    assert_sound(figure)


def test_cdt_finding_leaves_out_a_masked_term_and_says_so():
    _, terms = cdt_rows()
    terms.loc[1, ["teachers", "school_weeks", "weeks_with_entries", "regularity"]] = None
    terms.loc[1, "is_suppressed"] = True
    assert charts.cdt_finding(terms, "Année 2024-2025") == (
        f"Année 2024-2025 : cahier de textes rempli 9 semaines de classe sur 10 (90{NBSP_PERCENT}) ; "
        "un trimestre masqué n'est pas compté"
    )
    assert "masquée" in charts.cdt_finding(terms.iloc[1:], "T3 2024-2025")


def test_homework_load_figure_shows_weekdays_the_busiest_first_in_the_title_and_masked_days():
    load = pd.DataFrame({"weekday": range(1, 8), "homework_due": [1, 3, 0, 1, None, 0, 0]})
    figure = charts.homework_load_figure(load)
    assert list(figure.data[0].x) == ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"]
    assert list(figure.data[0].y) == [1, 3, 0, 1, None]
    assert [annotation.text for annotation in figure.layout.annotations] == ["masqué"]
    assert charts.title_text(figure) == (
        "Le mardi est le jour le plus chargé : 3 devoirs à rendre en ligne sur la période, toutes disciplines "
        "confondues"
    )
    assert_sound(figure)


def test_a_weekend_day_appears_only_when_homework_falls_due_then():
    load = pd.DataFrame({"weekday": range(1, 8), "homework_due": [1, 0, 0, 0, 0, 0, 2]})
    assert list(charts.homework_load_figure(load).data[0].x)[-1] == "Dimanche"


def reach_rows(rows: list[tuple]) -> pd.DataFrame:
    """(month, pupils, with_parent, active, band) → rows shaped like `data.parent_reach_monthly`."""
    return pd.DataFrame(
        [
            {
                "month_start": month,
                "pupils": pupils,
                "pupils_with_parent": linked,
                "pupils_with_parent_active": active,
                "reach": None if active is None else active / pupils,
                "reach_band": band,
                "is_suppressed": pupils is None,
            }
            for month, pupils, linked, active, band in rows
        ]
    )


MARCH, APRIL, MAY = dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)


def test_parent_reach_figure_gives_the_last_month_and_its_change():
    figure = charts.parent_reach_figure(reach_rows([(MARCH, 25, 25, 10, None), (APRIL, 25, 25, 12, None)]))
    assert list(figure.data[0].x) == ["Mars 2025", "Avril 2025"]
    assert list(figure.data[0].y) == [0.4, 0.48]
    assert charts.title_text(figure) == (
        f"Avril 2025 : 48{NBSP_PERCENT} des élèves de la classe ont un parent qui a utilisé l'ENT "
        "(+8 points par rapport à mars)"
    )
    assert_sound(figure)


def test_parent_reach_is_unknown_not_nil_without_parent_links_and_a_band_stays_a_band():
    unknown = charts.parent_reach_figure(reach_rows([(MAY, 22, 0, 0, None)]))
    assert list(unknown.data[0].y) == [None]
    assert [annotation.text for annotation in unknown.layout.annotations] == ["inconnu"]
    assert "inconnu" in charts.title_text(unknown)
    banded = charts.parent_reach_finding(
        reach_rows([(APRIL, 20, 20, 10, None), (MAY, 20, None, None, "≥ 95\u00a0%")])
    )
    assert banded == "Mai 2025 : ≥ 95\u00a0% des élèves de la classe ont un parent qui a utilisé l'ENT"
    masked = charts.parent_reach_figure(reach_rows([(MAY, None, None, None, None)]))
    assert [annotation.text for annotation in masked.layout.annotations] == ["masqué"]


# Référent ENT — Plan de formation ----------------------------------------------------------


def needs_rows(rows: list[tuple]) -> pd.DataFrame:
    """(school, service, teachers, using, priority) → rows shaped like `data.training_needs`."""
    return pd.DataFrame(
        [
            {
                "school_uai": school,
                "role": "enseignant",
                "service": service,
                "week_start": WEEK_3,
                "teachers": teachers,
                "teachers_using": using,
                "share": None if using is None else using / teachers,
                "priority": priority,
                "share_band": None,
                "is_suppressed": using is None,
            }
            for school, service, teachers, using, priority in rows
        ]
    )


NEEDS = [
    ("0920001B", "devoirs", 40, 20, 8),
    ("0921234S", "devoirs", 47, 25, 8),
    ("0920001B", "cahier_de_textes", 40, 30, 6),
    ("0921234S", "messagerie", 47, 35, 5),
    ("0920001B", "messagerie", 40, 36, 0),
    ("0921234S", "ressources", 4, None, None),
]


def test_training_needs_figure_sorts_by_priority_and_leaves_out_the_met_and_the_masked():
    figure = charts.training_needs_figure(needs_rows(NEEDS))
    bars = figure.data[0]
    assert list(bars.y) == [
        "Devoirs · 0920001B",
        "Devoirs · 0921234S",
        "Cahier de textes · 0920001B",
        "Messagerie · 0921234S",
    ]
    assert list(bars.x) == [8, 8, 6, 5]
    assert charts.title_text(figure) == (
        "À former en premier : les devoirs au 0920001B, 8 enseignants de plus pour atteindre la part du département"
    )
    assert_sound(figure)


def test_training_needs_finding_when_every_service_is_used_enough():
    assert "atteint déjà" in charts.training_needs_finding(needs_rows([("0920001B", "devoirs", 40, 39, 0)]))


def test_discipline_needs_name_a_team_never_a_person():
    frame = needs_rows([("x", "devoirs", 120, 70, 14), ("x", "espace_cours", 95, 21, 17)])
    frame = frame.drop(columns="school_uai").assign(discipline=["MATHEMATIQUES", "HISTOIRE-GEOGRAPHIE"])
    figure = charts.discipline_needs_figure(frame)
    assert list(figure.data[0].y) == ["Espace de cours · histoire-geographie", "Devoirs · mathematiques"]
    assert charts.title_text(figure) == (
        "Dans le département, les enseignants de histoire-geographie utilisent moins l'espace de cours : "
        "17 de plus pour rejoindre l'ensemble des enseignants"
    )


def effect_rows(rows: list[tuple]) -> pd.DataFrame:
    """(school, service, week, weeks_after, effect) → rows shaped like `data.workshop_effects`."""
    return pd.DataFrame(
        [
            {
                "school_uai": school,
                "role": "enseignant",
                "service": service,
                "week_start": week,
                "weeks_before_available": 4,
                "weeks_after_available": after,
                "control_schools": 40,
                "attendees": 12,
                "teachers": 40,
                "teachers_using_before": 20,
                "teachers_using_after": 30,
                "share_before": 0.5,
                "share_after": 0.75,
                "control_share_before": 0.55,
                "control_share_after": 0.6,
                "effect": effect,
                "is_suppressed": False,
            }
            for school, service, week, after, effect in rows
        ]
    )


def test_workshop_effects_figure_shows_measured_effects_in_points_and_counts_them():
    frame = effect_rows(
        [
            ("0920001B", "cahier_de_textes", WEEK_1, 4, 0.2),
            ("0921234S", "messagerie", WEEK_2, 4, -0.04),
            ("0920001B", "devoirs", WEEK_3, 2, None),
        ]
    )
    figure = charts.workshop_effects_figure(frame)
    bars = figure.data[0]
    assert list(bars.x) == [20.0, -4.0]
    assert list(bars.text) == ["+20 points", "\u22124 points"]
    assert list(bars.marker.color) == [charts.OKABE_ITO["blue"], charts.OKABE_ITO["vermillion"]]
    assert charts.title_text(figure) == (
        "2 ateliers mesurés : 1 a fait progresser l'usage plus que dans les établissements sans atelier "
        "(effet médian +8 points)"
    )
    assert_sound(figure)


def test_workshop_effects_finding_before_any_effect_is_measurable():
    frame = effect_rows([("0920001B", "devoirs", WEEK_3, 2, None)])
    assert charts.workshop_effects_finding(frame) == (
        "Aucun atelier n'a encore 4 semaines de classe de recul : effets à venir"
    )


def test_suggested_workshops_group_schools_by_service_most_teachers_to_win_first():
    workshops = charts.suggested_workshops(needs_rows(NEEDS))
    assert list(workshops.columns) == list(charts.SUGGESTED_WORKSHOP_COLUMNS)
    assert workshops.to_dict("records") == [
        {
            "Service": "Devoirs",
            "Public": "enseignants",
            "Établissements": "0920001B (8), 0921234S (8)",
            "Nombre d'établissements": 2,
            "Enseignants à gagner": 16,
        },
        {
            "Service": "Cahier de textes",
            "Public": "enseignants",
            "Établissements": "0920001B (6)",
            "Nombre d'établissements": 1,
            "Enseignants à gagner": 6,
        },
        {
            "Service": "Messagerie",
            "Public": "enseignants",
            "Établissements": "0921234S (5)",
            "Nombre d'établissements": 1,
            "Enseignants à gagner": 5,
        },
    ]
    assert charts.suggested_workshops(needs_rows([])).empty


# The reader's table --------------------------------------------------------------------------


def test_an_empty_cell_that_is_not_masked_says_why():
    frame = effect_rows([("0920001B", "devoirs", WEEK_3, 2, None)])
    table = labels.french_table(labels.explain_not_applicable(frame), "workshop_effects")
    assert table.loc[0, "Effet estimé de l'atelier"] == (
        "pas encore mesurable (4 semaines de classe avant et après l'atelier)"
    )
    masked = frame.assign(is_suppressed=True)
    table = labels.french_table(labels.explain_not_applicable(masked), "workshop_effects")
    assert table.loc[0, "Effet estimé de l'atelier"] == labels.SUPPRESSED_TEXT


def test_french_table_writes_months_weekdays_changes_and_week_shares():
    frame = pd.DataFrame(
        {
            "month_start": [MAY],
            "weekday": [2],
            "change": [0.04],
            "regularity": [1.0],
            "is_school_week": [False],
            "is_suppressed": [False],
        }
    )
    assert labels.french_table(frame).iloc[0].tolist() == [
        "mai 2025",
        "Mardi",
        "+4 points",
        f"100{NBSP_PERCENT}",
        "non",
    ]


def test_a_holiday_week_is_shaded_and_the_finding_reads_the_last_school_week():
    frame = adoption_rows([("eleve", WEEK_1, 0.80), ("eleve", WEEK_2, 0.84), ("eleve", WEEK_3, 0.20)])
    frame["school_week_number"] = [7, 8, None]  # the week of WEEK_3 is all holidays
    figure = charts.adoption_figure(frame)
    assert [(shape.type, shape.x0) for shape in figure.layout.shapes] == [
        ("rect", WEEK_3 - dt.timedelta(days=3.5))
    ]
    assert charts.title_text(figure) == (
        f"Semaine du 12 mai 2025 : 84{NBSP_PERCENT} des élèves se sont connectés à l'ENT (+4 points en une semaine)"
    )
    assert charts.school_weeks(frame) == [WEEK_1, WEEK_2] and charts.holiday_weeks(frame) == [WEEK_3]
    assert_sound(figure)
