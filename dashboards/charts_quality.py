"""The "Qualité des données" page's figures and tables: pure functions of the published rows.

Everything here counts files, rows and events, never persons (the data-quality tables have no
minimum group size, see models/marts/_privacy.yml), so nothing is masked. Each figure's title
says what the reader should take away; each table is already in French, ready for st.dataframe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from dashboards import labels
from dashboards.charts import OKABE_ITO, complete_weeks
from pipelines.settings import TIMEZONE

# Events are delivered every day: older than this, a delivery is missing.
EVENTS_STALE_AFTER_DAYS = 3
# The roster changes with every arrival and departure: a month-old one misses some.
ROSTER_STALE_AFTER_DAYS = 35
STALE_AFTER_DAYS = {"events": EVENTS_STALE_AFTER_DAYS, "roster": ROSTER_STALE_AFTER_DAYS}
# Roster coverage is read on the last complete weeks: one week is noisy, a term is old news.
COVERAGE_WEEKS = 4
# A school where more than this share of events comes from accounts missing from its roster
# has a roster to fix: those events count in no rate.
COVERAGE_WARNING_SHARE = 0.05
DAYS_SHOWN = 30  # delivery days in the file balance figure

CONTRACT_COLOURS = {
    "events": OKABE_ITO["blue"],
    "roster": OKABE_ITO["orange"],
    "workshops": OKABE_ITO["bluish_green"],
}
BALANCE_PARTS = (
    ("rows_loaded", "Chargées", OKABE_ITO["bluish_green"]),
    ("rows_quarantined", "En quarantaine", OKABE_ITO["vermillion"]),
    ("rows_duplicate", "Doublons", OKABE_ITO["sky_blue"]),
)


def _layout(figure: go.Figure, title: str) -> None:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=", ",
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        margin={"t": 60, "l": 10, "r": 10, "b": 10},
        hoverlabel={"namelength": -1},
    )


def _date_text(day: dt.date | None) -> str:
    return labels.format_date(day) if day is not None else "—"


def share_text(share: float) -> str:
    """A share of rows or events, not of persons: no band is needed, one decimal under 10 %."""
    percent = share * 100
    text = f"{percent:.1f}" if 0 < percent < 10 else f"{round(percent)}"
    return text.replace(".", ",") + labels.PERCENT


def contract_title(contract: str) -> str:
    return labels.CONTRACT_TITLES.get(contract, contract)


# Freshness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How fresh one source is, and what the page should say about it."""

    contract: str
    last_delivered_on: dt.date | None
    age_days: int | None
    stale: bool
    message: str


def freshness(sources: pd.DataFrame, today: dt.date) -> list[Freshness]:
    """One verdict per source: stale when its last delivery is older than its limit."""
    verdicts = []
    for row in sources.itertuples(index=False):
        last = row.last_delivered_on
        limit = STALE_AFTER_DAYS.get(row.contract)
        title = contract_title(row.contract)
        if row.files == 0:
            optional = row.contract == "workshops"
            message = f"{title} : aucun fichier chargé" + (" (facultatif)." if optional else ".")
            verdicts.append(Freshness(row.contract, None, None, not optional, message))
            continue
        if last is None:
            message = (
                f"{title} : jour de livraison inconnu, le nom du fichier ne porte pas de date. Nommez-le "
                "AAAA-MM-JJ-… (par exemple 2025-09-01-annuaire.csv) pour suivre sa fraîcheur."
            )
            verdicts.append(Freshness(row.contract, None, None, False, message))
            continue
        age = (today - last).days
        stale = limit is not None and age > limit
        message = f"{title} : dernière livraison le {labels.format_date(last)}"
        message += f", il y a {age} jour{'s' if age > 1 else ''}." if age > 0 else ", aujourd'hui."
        if stale:
            message += (
                f" Plus de {limit} jours : vérifiez l'export de l'ENT et le dossier de dépôt, puis "
                "relancez `reperes run`."
            )
        verdicts.append(Freshness(row.contract, last, age, stale, message))
    return verdicts


def sources_table(sources: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Source": [contract_title(contract) for contract in sources["contract"]],
            "Dernière livraison": [_date_text(day) for day in sources["last_delivered_on"]],
            "Dernier jour d'activité": [_date_text(day) for day in sources["last_event_on"]],
            "Fichiers": [labels.format_count(value) for value in sources["files"]],
            "Fichiers illisibles": [labels.format_count(value) for value in sources["files_unreadable"]],
            "Lignes lues": [labels.format_count(value) for value in sources["rows_read"]],
            "Chargées": [labels.format_count(value) for value in sources["rows_loaded"]],
            "En quarantaine": [labels.format_count(value) for value in sources["rows_quarantined"]],
            "Doublons": [labels.format_count(value) for value in sources["rows_duplicate"]],
        }
    )


# Files --------------------------------------------------------------------------------------


def unreadable_files(files: pd.DataFrame) -> pd.DataFrame:
    """Files no reader could open (an empty file is not one of them)."""
    if files.empty:
        return files
    keep = [not labels.is_missing(error) and error != "empty file" for error in files["error"]]
    return files.loc[keep].reset_index(drop=True)


def files_table(files: pd.DataFrame) -> pd.DataFrame:
    balanced = [
        row.rows_read == row.rows_loaded + row.rows_quarantined + row.rows_duplicate
        for row in files.itertuples(index=False)
    ]
    return pd.DataFrame(
        {
            "Source": [contract_title(contract) for contract in files["contract"]],
            "Jour de livraison": [_date_text(day) for day in files["delivered_on"]],
            "Fichier": list(files["file_name"]),
            "Lignes lues": [labels.format_count(value) for value in files["rows_read"]],
            "Chargées": [labels.format_count(value) for value in files["rows_loaded"]],
            "En quarantaine": [labels.format_count(value) for value in files["rows_quarantined"]],
            "Doublons": [labels.format_count(value) for value in files["rows_duplicate"]],
            "Équilibre": ["oui" if ok else "non" for ok in balanced],
            "Erreur de lecture": [
                "" if labels.is_missing(error) else labels.rule_text(str(error)) for error in files["error"]
            ],
        }
    )


def balance_finding(files: pd.DataFrame) -> str:
    events = files[files["contract"] == "events"] if not files.empty else files
    if events.empty:
        return "Aucun fichier d'événements chargé"
    read = int(events["rows_read"].sum())
    if read == 0:
        return "Aucune ligne lue dans les fichiers d'événements"
    quarantined = int(events["rows_quarantined"].sum())
    duplicates = int(events["rows_duplicate"].sum())
    return (
        f"{labels.format_count(read)} lignes d'événements lues : {share_text(quarantined / read)} en "
        f"quarantaine, {share_text(duplicates / read)} de doublons"
    )


def file_balance_figure(files: pd.DataFrame, days: int = DAYS_SHOWN) -> go.Figure:
    """Stacked bars per delivery day of the event files: rows loaded, quarantined, duplicated."""
    events = (
        files[(files["contract"] == "events") & files["delivered_on"].notna()] if not files.empty else files
    )
    by_day = (
        events.groupby("delivered_on")[[part for part, _, _ in BALANCE_PARTS]].sum().sort_index().tail(days)
        if not events.empty
        else pd.DataFrame(columns=[part for part, _, _ in BALANCE_PARTS])
    )
    shown_days = list(by_day.index)
    figure = go.Figure()
    for part, title, colour in BALANCE_PARTS:
        figure.add_trace(
            go.Bar(
                x=shown_days,
                y=[int(value) for value in by_day[part]],
                name=title,
                marker={"color": colour},
                customdata=[labels.format_date(day) for day in shown_days],
                hovertemplate=f"Livraison du %{{customdata}}<br>{title} : %{{y}}<extra></extra>",
            )
        )
    _layout(figure, balance_finding(events if not events.empty else files))
    figure.update_layout(barmode="stack")
    figure.update_yaxes(title_text="Lignes lues", rangemode="tozero")
    figure.update_xaxes(
        title_text="Jour de livraison",
        tickmode="array",
        tickvals=shown_days,
        ticktext=[labels.format_short_date(day) for day in shown_days],
    )
    return figure


# Quarantine ---------------------------------------------------------------------------------


def _position(row) -> str:
    parts = []
    if not labels.is_missing(row.first_file_line):
        parts.append(f"ligne {int(row.first_file_line)}")
    elif not labels.is_missing(row.first_file_row):
        parts.append(f"enregistrement {int(row.first_file_row)}")
    return f"{row.first_file_name}, {parts[0]}" if parts else str(row.first_file_name)


def rules_table(rules: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Source": [contract_title(contract) for contract in rules["contract"]],
            "Colonne": [column or labels.WHOLE_RECORD_TITLE for column in rules["column_name"]],
            "Règle enfreinte": [labels.rule_text(rule) for rule in rules["rule"]],
            "Lignes en quarantaine": [labels.format_count(value) for value in rules["rows_quarantined"]],
            "Fichiers concernés": [labels.format_count(value) for value in rules["files"]],
            "Première occurrence": [_position(row) for row in rules.itertuples(index=False)],
            "Dernière livraison concernée": [_date_text(day) for day in rules["last_delivered_on"]],
        }
    )


def quarantine_finding(rules: pd.DataFrame) -> str:
    if rules.empty:
        return "Aucune ligne mise en quarantaine"
    total = int(rules["rows_quarantined"].sum())
    top = rules.sort_values("rows_quarantined", ascending=False).iloc[0]
    column = top["column_name"] or labels.WHOLE_RECORD_TITLE
    return (
        f"{labels.format_count(total)} ligne{'s' if total > 1 else ''} en quarantaine ; la plus fréquente "
        f"({labels.format_count(top['rows_quarantined'])}) : colonne « {column} », "
        f"{labels.rule_text(top['rule']).rstrip('.').lower()}"
    )


def quarantine_figure(rules: pd.DataFrame) -> go.Figure:
    """Horizontal bars: quarantined rows per rule, the most frequent at the top, one colour per source."""
    ordered = rules.sort_values("rows_quarantined") if not rules.empty else rules
    figure = go.Figure()
    for contract in labels.CONTRACT_TITLES:
        part = ordered[ordered["contract"] == contract] if not ordered.empty else ordered
        if part.empty:
            continue
        names = [
            f"{column or labels.WHOLE_RECORD_TITLE} : {labels.rule_text(rule)}"
            for column, rule in zip(part["column_name"], part["rule"], strict=True)
        ]
        figure.add_trace(
            go.Bar(
                x=[int(value) for value in part["rows_quarantined"]],
                y=names,
                orientation="h",
                name=contract_title(contract),
                marker={"color": CONTRACT_COLOURS[contract]},
                hovertemplate="%{y}<br>%{x} lignes<extra></extra>",
            )
        )
    _layout(figure, quarantine_finding(rules))
    figure.update_xaxes(title_text="Lignes en quarantaine", rangemode="tozero")
    figure.update_yaxes(automargin=True)
    return figure


# Roster coverage ----------------------------------------------------------------------------


def roster_coverage(
    weekly: pd.DataFrame, data_through: dt.date | None, weeks: int = COVERAGE_WEEKS
) -> pd.DataFrame:
    """Per school, over its last `weeks` complete weeks: events, events from accounts missing
    from the roster (or outside their enrolment) and their share."""
    complete = complete_weeks(weekly, data_through)
    columns = ["school_uai", "first_week", "last_week", "events", "events_unmatched", "unmatched_share"]
    if complete.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for school, school_weeks in complete.groupby("school_uai", sort=True):
        shown = school_weeks.sort_values("week_start").tail(weeks)
        events, unmatched = int(shown["events"].sum()), int(shown["events_unmatched"].sum())
        rows.append(
            {
                "school_uai": school,
                "first_week": shown["week_start"].iloc[0],
                "last_week": shown["week_start"].iloc[-1],
                "events": events,
                "events_unmatched": unmatched,
                "unmatched_share": unmatched / events if events else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=columns)


def coverage_table(coverage: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Établissement (UAI)": list(coverage["school_uai"]),
            "Semaines": [
                f"du {labels.format_date(first)} au {labels.format_date(last + dt.timedelta(days=6))}"
                for first, last in zip(coverage["first_week"], coverage["last_week"], strict=True)
            ],
            "Événements": [labels.format_count(value) for value in coverage["events"]],
            "Événements hors annuaire": [
                labels.format_count(value) for value in coverage["events_unmatched"]
            ],
            "Part hors annuaire": [share_text(share) for share in coverage["unmatched_share"]],
        }
    )


def coverage_finding(coverage: pd.DataFrame) -> str:
    if coverage.empty:
        return "Aucune semaine complète publiée"
    worst = coverage.sort_values("unmatched_share", ascending=False).iloc[0]
    if worst["unmatched_share"] == 0:
        return "Tous les événements viennent de comptes inscrits dans l'annuaire"
    if len(coverage) == 1:
        return (
            f"{share_text(worst['unmatched_share'])} des événements viennent de comptes absents de "
            "l'annuaire de l'établissement"
        )
    return (
        f"Jusqu'à {share_text(worst['unmatched_share'])} des événements viennent de comptes absents de "
        f"l'annuaire ({worst['school_uai']})"
    )


def coverage_figure(coverage: pd.DataFrame) -> go.Figure:
    """One bar per school: the share of its events from accounts missing from its roster."""
    figure = go.Figure()
    if not coverage.empty:
        figure.add_trace(
            go.Bar(
                x=list(coverage["school_uai"]),
                y=list(coverage["unmatched_share"]),
                marker={
                    "color": [
                        OKABE_ITO["vermillion"] if share > COVERAGE_WARNING_SHARE else OKABE_ITO["blue"]
                        for share in coverage["unmatched_share"]
                    ]
                },
                customdata=[
                    [labels.format_count(unmatched), labels.format_count(events)]
                    for unmatched, events in zip(
                        coverage["events_unmatched"], coverage["events"], strict=True
                    )
                ],
                hovertemplate="%{x}<br>%{customdata[0]} événements hors annuaire sur %{customdata[1]}<extra></extra>",
                showlegend=False,
            )
        )
        figure.add_hline(
            y=COVERAGE_WARNING_SHARE,
            line={"dash": "dot", "color": OKABE_ITO["grey"]},
            annotation_text=f"seuil d'alerte : {share_text(COVERAGE_WARNING_SHARE)}",
        )
    _layout(figure, coverage_finding(coverage))
    figure.update_yaxes(title_text="Part des événements hors annuaire", tickformat=".0%", rangemode="tozero")
    figure.update_xaxes(title_text="Établissement (UAI)", type="category")
    return figure


# Runs ---------------------------------------------------------------------------------------


def run_time(iso: str | None) -> str:
    """A UTC time of the run history, in Paris time: `3 décembre 2025 à 06:02`."""
    if not iso:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(TIMEZONE))
    except ValueError:
        return iso
    return f"{labels.format_date(moment.date())} à {moment:%H:%M}"


def run_problem(run: dict) -> str:
    kind = run.get("kind")
    title = labels.RUN_KIND_TITLES.get(kind, kind or "")
    checks = [f"« {check.get('check')} » ({check.get('asset')})" for check in run.get("failed_checks") or []]
    if checks:
        title += " : " + ", ".join(checks)
    return title


def runs_table(runs: Sequence[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Début": [run_time(run.get("started_at")) for run in runs],
            "Fin": [run_time(run.get("ended_at")) for run in runs],
            "Statut": [labels.RUN_STATUS_TITLES.get(run.get("status"), run.get("status")) for run in runs],
            "Jours livrés": [
                f"du {run['first_day']} au {run['last_day']}" if run.get("first_day") else "—" for run in runs
            ],
            "Problème": [run_problem(run) for run in runs],
            "Étapes en échec": [
                "; ".join(
                    f"{step.get('step') or 'avant le démarrage'} : {step.get('reason')}" for step in steps
                )
                if (steps := run.get("failed_steps"))
                else ""
                for run in runs
            ],
            "Que faire": [run.get("next_action") or "" for run in runs],
            "Run Dagster": [run.get("run_id") or "—" for run in runs],
        }
    )
