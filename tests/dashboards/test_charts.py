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
    assert figure.layout.title.text == (
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
    assert charts.homework_figure(frame).layout.title.text == (
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
    assert figure.layout.title.text == (
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
