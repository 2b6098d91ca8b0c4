"""Figures and findings: pure functions from a mart's rows to a plotly Figure or a sentence.

Masked cells (`is_suppressed`) become `None` in the traces, so plotly draws a gap, never a zero.
Each figure's title states what the reader should take away, in French.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from dashboards import labels

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour blindness.
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}
ROLE_COLOURS = {
    "eleve": OKABE_ITO["blue"],
    "parent": OKABE_ITO["orange"],
    "enseignant": OKABE_ITO["bluish_green"],
    "personnel": OKABE_ITO["reddish_purple"],
}
# A second cue besides colour, for print and for readers who cannot tell the lines apart.
ROLE_MARKERS = {
    "eleve": "circle",
    "parent": "square",
    "enseignant": "diamond",
    "personnel": "triangle-up",
}
HOMEWORK_STATUS_COLOURS = {
    "on_time": OKABE_ITO["bluish_green"],
    "late": OKABE_ITO["orange"],
    "missing": OKABE_ITO["vermillion"],
    "pending": OKABE_ITO["sky_blue"],
}
# One hue from light to dark: readable with every form of colour blindness, and darker
# simply means more used.
REACH_COLOUR_SCALE = plotly.colors.sequential.Blues
# The portal is every visit's entry point and "autre" is a catch-all: neither tells which
# service a community has taken up.
SERVICES_LEFT_OUT_OF_FINDINGS = {"portail", "autre"}
MAX_AXIS_TICKS = 12
DAYS_IN_WEEK = 7


def _value(value: object) -> float | None:
    """A plottable number, or None for a masked or absent cell (a gap, not a zero)."""
    return None if labels.is_missing(value) else float(value)


def _as_date(value: object) -> dt.date:
    return pd.Timestamp(value).date()


def complete_weeks(frame: pd.DataFrame, data_through: dt.date | None) -> pd.DataFrame:
    """Rows of the weeks that the release covers up to their Sunday.

    A week still in progress would read as a drop in use; it is left out of charts.
    """
    if data_through is None or frame.empty:
        return frame
    week_ends = [_as_date(week) + dt.timedelta(days=6) for week in frame["week_start"]]
    keep = [week_end <= data_through for week_end in week_ends]
    return frame.loc[keep].reset_index(drop=True)


def recent_weeks(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """Rows of the last `count` weeks present in the frame."""
    if frame.empty:
        return frame
    weeks = sorted({_as_date(week) for week in frame["week_start"]})[-count:]
    keep = [_as_date(week) in weeks for week in frame["week_start"]]
    return frame.loc[keep].reset_index(drop=True)


def _weeks(frame: pd.DataFrame) -> list[dt.date]:
    return sorted({_as_date(week) for week in frame["week_start"]})


def _french_week_axis(figure: go.Figure, weeks: list[dt.date]) -> None:
    """Tick labels written in French (plotly would print English month names)."""
    step = max(1, math.ceil(len(weeks) / MAX_AXIS_TICKS))
    shown = weeks[::step]
    figure.update_xaxes(
        tickmode="array",
        tickvals=shown,
        ticktext=[labels.format_short_date(week) for week in shown],
        title_text="Semaine du",
    )


def _base_layout(figure: go.Figure, title: str) -> None:
    figure.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=", ",
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        margin={"t": 60, "l": 10, "r": 10, "b": 10},
        hoverlabel={"namelength": -1},
    )


def _rate_change(current: float, previous: float | None) -> str:
    """`(+4 points en une semaine)`, unless a band hides the exact values."""
    if previous is None:
        return ""
    in_band = [value >= labels.HIGH_BAND or value <= labels.LOW_BAND for value in (current, previous)]
    if any(in_band):
        return ""
    points = round(current * 100) - round(previous * 100)
    if points == 0:
        return " (stable en une semaine)"
    sign = "+" if points > 0 else "−"
    plural = "s" if abs(points) > 1 else ""
    return f" ({sign}{abs(points)} point{plural} en une semaine)"


def _rate_and_text(row, rate: str) -> tuple[float | None, str]:
    """A rate as plotted and as written: a band is drawn at its bound and written as a band."""
    if row.is_suppressed:
        return None, labels.SUPPRESSED_TEXT
    band = getattr(row, rate + labels.BAND_SUFFIX, None)
    value = getattr(row, rate)
    if not labels.is_missing(band):
        return labels.band_bound(band), labels.format_rate(value, band)
    return _value(value), labels.format_rate(value)


def _rate_by_role_and_week(frame: pd.DataFrame) -> dict[tuple[str, dt.date], float | None]:
    return {
        (row.role, _as_date(row.week_start)): _rate_and_text(row, "adoption_rate")[0]
        for row in frame.itertuples(index=False)
    }


def _rate_text_by_role_and_week(frame: pd.DataFrame) -> dict[tuple[str, dt.date], str]:
    return {
        (row.role, _as_date(row.week_start)): _rate_and_text(row, "adoption_rate")[1]
        for row in frame.itertuples(index=False)
    }


def _banded(frame: pd.DataFrame, rate: str, key: str) -> set[tuple[str, dt.date]]:
    column = rate + labels.BAND_SUFFIX
    if column not in frame:
        return set()
    return {
        (getattr(row, key), _as_date(row.week_start))
        for row in frame.itertuples(index=False)
        if not labels.is_missing(getattr(row, column))
    }


def adoption_finding(frame: pd.DataFrame) -> str:
    """What the last week says: the share of pupils (or the first role shown) who logged in."""
    if frame.empty:
        return "Aucune donnée d'adoption pour cet établissement"
    weeks = _weeks(frame)
    latest = weeks[-1]
    previous_week = weeks[-2] if len(weeks) > 1 else None
    rates = _rate_by_role_and_week(frame)
    texts = _rate_text_by_role_and_week(frame)
    banded = _banded(frame, "adoption_rate", "role")
    week_text = labels.format_week(latest).capitalize()
    for role in labels.ROLES:
        rate = rates.get((role, latest))
        if rate is None:
            continue
        previous = rates.get((role, previous_week)) if previous_week else None
        if {(role, latest), (role, previous_week)} & banded:
            previous = None  # a band has no exact value to compare
        return (
            f"{week_text} : {texts[(role, latest)]} des "
            f"{labels.ROLE_IN_SENTENCE[role]} se sont connectés à l'ENT"
            f"{_rate_change(rate, previous)}"
        )
    return f"{week_text} : valeurs masquées (groupes de moins de 5 personnes)"


def adoption_figure(frame: pd.DataFrame) -> go.Figure:
    """One line per role: the share of enrolled users active in the ENT each week."""
    weeks = _weeks(frame) if not frame.empty else []
    rates = _rate_by_role_and_week(frame) if not frame.empty else {}
    texts = _rate_text_by_role_and_week(frame) if not frame.empty else {}
    roles_present = set(frame["role"]) if not frame.empty else set()
    figure = go.Figure()
    for role in labels.ROLES:
        if role not in roles_present:
            continue
        values = [rates.get((role, week)) for week in weeks]
        figure.add_trace(
            go.Scatter(
                x=weeks,
                y=values,
                name=labels.ROLE_TITLES[role],
                mode="lines+markers",
                connectgaps=False,
                line={"color": ROLE_COLOURS[role], "width": 3},
                marker={"symbol": ROLE_MARKERS[role], "size": 8},
                customdata=[
                    [labels.format_week(week).capitalize(), texts.get((role, week), labels.format_rate(None))]
                    for week in weeks
                ],
                hovertemplate=(
                    f"%{{customdata[0]}}<br>{labels.ROLE_TITLES[role]} : %{{customdata[1]}}<extra></extra>"
                ),
            )
        )
    _base_layout(figure, adoption_finding(frame))
    figure.update_yaxes(title_text="Utilisateurs actifs / inscrits", tickformat=".0%", range=[0, 1.05])
    _french_week_axis(figure, weeks)
    return figure


def _homework_counts(frame: pd.DataFrame) -> dict[dt.date, dict[str, float | None]]:
    counts = {}
    for row in frame.itertuples(index=False):
        counts[_as_date(row.week_start)] = {
            status: None if row.is_suppressed else _value(getattr(row, status))
            for status in (*labels.HOMEWORK_STATUSES, "expected")
        }
    return counts


def homework_finding(frame: pd.DataFrame) -> str:
    """The last week whose deadlines have all passed: how much came in on time, and late."""
    if frame.empty:
        return "Aucun devoir à rendre en ligne pour cette classe"
    counts = _homework_counts(frame)
    closed_weeks = [
        week
        for week, week_counts in sorted(counts.items())
        if week_counts["expected"] and week_counts["pending"] == 0
    ]
    if not closed_weeks:
        if all(week_counts["expected"] is None for week_counts in counts.values()):
            return "Devoirs de la classe : valeurs masquées (moins de 5 élèves concernés)"
        return "Aucune échéance passée pour l'instant : les rendus sont à venir"
    week = closed_weeks[-1]
    week_counts = counts[week]
    expected = week_counts["expected"]
    on_time = labels.format_rate(week_counts["on_time"] / expected)
    late = labels.format_rate(week_counts["late"] / expected)
    return (
        f"{labels.format_week(week).capitalize()} : {on_time} des devoirs attendus "
        f"ont été rendus à l'heure, {late} en retard"
    )


def homework_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars per week of the due date: on time, late, missing, still to come."""
    weeks = _weeks(frame) if not frame.empty else []
    counts = _homework_counts(frame) if not frame.empty else {}
    figure = go.Figure()
    for status in labels.HOMEWORK_STATUSES:
        values = [counts[week][status] for week in weeks]
        figure.add_trace(
            go.Bar(
                x=weeks,
                y=values,
                name=labels.HOMEWORK_STATUS_TITLES[status],
                marker={"color": HOMEWORK_STATUS_COLOURS[status]},
                customdata=[labels.format_week(week).capitalize() for week in weeks],
                hovertemplate=(
                    f"%{{customdata}}<br>{labels.HOMEWORK_STATUS_TITLES[status]} : %{{y}}<extra></extra>"
                ),
            )
        )
    for week in weeks:
        if counts[week]["expected"] is None:
            figure.add_annotation(
                x=week,
                y=0,
                yanchor="bottom",
                text="masqué",
                showarrow=False,
                font={"color": OKABE_ITO["grey"]},
            )
    _base_layout(figure, homework_finding(frame))
    figure.update_layout(barmode="stack", legend_traceorder="normal")
    figure.update_yaxes(title_text="Rendus attendus (élèves × devoirs)", rangemode="tozero")
    _french_week_axis(figure, weeks)
    return figure


def _reach_by_service_and_week(frame: pd.DataFrame) -> dict[tuple[str, dt.date], float | None]:
    return {
        (row.service, _as_date(row.week_start)): _rate_and_text(row, "reach")[0]
        for row in frame.itertuples(index=False)
    }


def _reach_text_by_service_and_week(frame: pd.DataFrame) -> dict[tuple[str, dt.date], str]:
    return {
        (row.service, _as_date(row.week_start)): _rate_and_text(row, "reach")[1]
        for row in frame.itertuples(index=False)
    }


def service_reach_finding(frame: pd.DataFrame, role: str) -> str:
    """The service that reached the largest share of the role in the last week."""
    audience = labels.ROLE_IN_SENTENCE[role]
    if frame.empty:
        return f"Aucune donnée d'usage des services pour les {audience}"
    latest = _weeks(frame)[-1]
    week_text = labels.format_week(latest).capitalize()
    reach = _reach_by_service_and_week(frame)
    candidates = [
        (value, service)
        for (service, week), value in reach.items()
        if week == latest and value is not None and service not in SERVICES_LEFT_OUT_OF_FINDINGS
    ]
    if not candidates:
        return f"{week_text} : usage des services masqué pour les {audience} (moins de 5 personnes)"
    value, service = max(candidates, key=lambda candidate: (candidate[0], candidate[1]))
    subject, plural = labels.SERVICE_AS_SUBJECT[service]
    verb = "ont" if plural else "a"
    text = _reach_text_by_service_and_week(frame)[(service, latest)]
    return f"{week_text} : {subject} {verb} touché {text} des {audience}, plus que tout autre service"


def service_reach_figure(frame: pd.DataFrame, role: str) -> go.Figure:
    """Heatmap service × week of the share of the role's enrolled users who used the service."""
    weeks = _weeks(frame) if not frame.empty else []
    services_present = set(frame["service"]) if not frame.empty else set()
    services = [service for service in labels.SERVICES if service in services_present]
    reach = _reach_by_service_and_week(frame) if not frame.empty else {}
    reach_text = _reach_text_by_service_and_week(frame) if not frame.empty else {}
    hidden = {key for key, value in reach.items() if value is None}  # suppressed, or withheld
    z = [[reach.get((service, week)) for week in weeks] for service in services]
    text = [
        ["masqué" if (service, week) in hidden else reach_text.get((service, week), "") for week in weeks]
        for service in services
    ]
    figure = go.Figure(
        go.Heatmap(
            x=weeks,
            y=[labels.SERVICE_TITLES[service] for service in services],
            z=z,
            text=text,
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorscale=REACH_COLOUR_SCALE,
            colorbar={"title": {"text": "Taux d'usage"}, "tickformat": ".0%"},
            hoverongaps=False,
            customdata=[[labels.format_week(week).capitalize() for week in weeks] for _ in services],
            hovertemplate="%{customdata}<br>%{y} : %{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    _base_layout(figure, service_reach_finding(frame, role))
    figure.update_yaxes(autorange="reversed", title_text="")
    _french_week_axis(figure, weeks)
    return figure
