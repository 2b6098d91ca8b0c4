"""Figures and findings: pure functions from a mart's rows to a plotly Figure or a sentence.

Masked cells (`is_suppressed`) become `None` in the traces, so plotly draws a gap, never a zero.
Each figure's title states what the reader should take away, in French.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap

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
HOLIDAY_COLOUR = "rgba(153, 153, 153, 0.15)"  # Okabe-Ito grey, light
# The portal is every visit's entry point and "autre" is a catch-all: neither tells which
# service a community has taken up.
SERVICES_LEFT_OUT_OF_FINDINGS = {"portail", "autre"}
MAX_AXIS_TICKS = 12
DAYS_IN_WEEK = 7
# Characters per line of a chart's title: clear of the modebar on a laptop's screen.
TITLE_LINE_LENGTH = 75


def _value(value: object) -> float | None:
    """A plottable number, or None for a masked or absent cell (a gap, not a zero)."""
    return None if labels.is_missing(value) else float(value)


def _as_date(value: object) -> dt.date:
    if type(value) is dt.date:  # what dashboards.data gives: no conversion (a hot path)
        return value
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


def _week_axis(weeks: list[dt.date], **axis) -> dict:
    """A week axis with tick labels written in French (plotly would print English month names)."""
    step = max(1, math.ceil(len(weeks) / MAX_AXIS_TICKS))
    shown = weeks[::step]
    return {
        "tickmode": "array",
        "tickvals": shown,
        "ticktext": [labels.format_short_date(week) for week in shown],
        "title": {"text": "Semaine du"},
        **axis,
    }


def _axis(title: str = "", **axis) -> dict:
    return {"title": {"text": title}, **axis}


def _note(x, y, text: str = "masqué", **position) -> dict:
    """An annotation that says why a bar or a point is missing ("masqué", "vacances", …)."""
    return {
        "x": x,
        "y": y,
        "text": text,
        "showarrow": False,
        "font": {"color": "#555555", "size": 11},
        **position,
    }


def wrap_title(title: str, width: int = TITLE_LINE_LENGTH) -> str:
    """The finding on lines of at most `width` characters (plotly does not wrap titles), so that
    it stays clear of the modebar and inside the PNG."""
    return "<br>".join(textwrap.wrap(title, width=width, break_long_words=False)) or title


def title_text(figure: go.Figure) -> str:
    """The finding a figure's title states, on one line."""
    return (figure.layout.title.text or "").replace("<br>", " ")


def _figure(traces: list, title: str, **layout) -> go.Figure:
    """The figure built in one go: each of plotly's update_* and add_* calls validates the whole
    figure again, which made a chart cost tens of milliseconds instead of a few."""
    wrapped = wrap_title(title)
    lines = wrapped.count("<br>") + 1
    return go.Figure(
        data=traces,
        layout={
            "title": {
                "text": wrapped,
                "x": 0,
                "xanchor": "left",
                "y": 0.98,
                "yanchor": "top",
                "yref": "container",
            },
            "separators": ", ",
            "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
            "margin": {"t": 40 + 22 * lines, "l": 10, "r": 10, "b": 10},
            "hoverlabel": {"namelength": -1},
            **layout,
        },
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


def _rates_by_role_and_week(frame: pd.DataFrame) -> tuple[dict, dict]:
    """(role, week) → the adoption rate as plotted, and as written; one pass over the rows."""
    rates, texts = {}, {}
    for row in frame.itertuples(index=False):
        key = (row.role, _as_date(row.week_start))
        rates[key], texts[key] = _rate_and_text(row, "adoption_rate")
    return rates, texts


def _banded(frame: pd.DataFrame, rate: str, key: str) -> set[tuple[str, dt.date]]:
    column = rate + labels.BAND_SUFFIX
    if column not in frame:
        return set()
    return {
        (getattr(row, key), _as_date(row.week_start))
        for row in frame.itertuples(index=False)
        if not labels.is_missing(getattr(row, column))
    }


def school_weeks(frame: pd.DataFrame) -> list[dt.date]:
    """The weeks of the frame with school (a `school_week_number`), or every week without that column."""
    if frame.empty:
        return []
    if "school_week_number" not in frame:
        return _weeks(frame)
    return sorted(
        {
            _as_date(week)
            for week, number in zip(frame["week_start"], frame["school_week_number"], strict=True)
            if not labels.is_missing(number)
        }
    )


def holiday_weeks(frame: pd.DataFrame) -> list[dt.date]:
    """The weeks of the frame entirely of holidays (no `school_week_number`)."""
    if frame.empty or "school_week_number" not in frame:
        return []
    return sorted(set(_weeks(frame)) - set(school_weeks(frame)))


def adoption_finding(frame: pd.DataFrame, rates_and_texts: tuple[dict, dict] | None = None) -> str:
    """What the last school week says: the share of pupils (or the first role shown) who logged in.

    A holiday week would read as a fall in use: with `school_week_number`, the finding reads the
    last school week and compares it with the school week before.
    """
    if frame.empty:
        return "Aucune donnée d'adoption pour cet établissement"
    weeks = school_weeks(frame) or _weeks(frame)
    latest = weeks[-1]
    previous_week = weeks[-2] if len(weeks) > 1 else None
    rates, texts = rates_and_texts or _rates_by_role_and_week(frame)
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


def adoption_figure(frame: pd.DataFrame, start_week: dt.date | None = None) -> go.Figure:
    """One line per role: the share of enrolled users active in the ENT each week.

    With `start_week` (the school's start date, adoption_first_month), a dotted line marks it.
    """
    weeks = _weeks(frame) if not frame.empty else []
    rates, texts = _rates_by_role_and_week(frame)
    roles_present = set(frame["role"]) if not frame.empty else set()
    traces = [
        go.Scatter(
            x=weeks,
            y=[rates.get((role, week)) for week in weeks],
            name=labels.ROLE_TITLES[role],
            mode="lines+markers",
            connectgaps=False,
            line={"color": ROLE_COLOURS[role], "width": 3},
            marker={"symbol": ROLE_MARKERS[role], "size": 8},
            customdata=[
                [labels.format_week(week).capitalize(), texts.get((role, week), labels.format_rate(None))]
                for week in weeks
            ],
            hovertemplate=f"%{{customdata[0]}}<br>{labels.ROLE_TITLES[role]} : %{{customdata[1]}}<extra></extra>",
        )
        for role in labels.ROLES
        if role in roles_present
    ]
    marks = {"shapes": [_holiday_band(week) for week in holiday_weeks(frame)], "annotations": []}
    if start_week is not None and weeks and weeks[0] <= start_week <= weeks[-1]:
        start = _week_mark(start_week, "Démarrage")
        marks["shapes"] += start["shapes"]
        marks["annotations"] += start["annotations"]
    return _figure(
        traces,
        adoption_finding(frame, (rates, texts)),
        yaxis=_axis("Utilisateurs actifs / inscrits", tickformat=".0%", range=[0, 1.05]),
        xaxis=_week_axis(weeks),
        **marks,
    )


def _holiday_band(week: dt.date) -> dict:
    """A light grey band behind a week of school holidays."""
    return {
        "type": "rect",
        "x0": week - dt.timedelta(days=3.5),
        "x1": week + dt.timedelta(days=3.5),
        "y0": 0,
        "y1": 1,
        "yref": "paper",
        "fillcolor": HOLIDAY_COLOUR,
        "line": {"width": 0},
        "layer": "below",
    }


def _week_mark(week: dt.date, text: str) -> dict:
    """A dotted vertical line at `week`, labelled (add_vline's label fails on date axes)."""
    return {
        "shapes": [
            {
                "type": "line",
                "x0": week,
                "x1": week,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": OKABE_ITO["grey"], "dash": "dot", "width": 2},
            }
        ],
        "annotations": [_note(week, 1, text, yref="paper", yanchor="bottom")],
    }


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
    traces = [
        go.Bar(
            x=weeks,
            y=[counts[week][status] for week in weeks],
            name=labels.HOMEWORK_STATUS_TITLES[status],
            marker={"color": HOMEWORK_STATUS_COLOURS[status]},
            customdata=[labels.format_week(week).capitalize() for week in weeks],
            hovertemplate=f"%{{customdata}}<br>{labels.HOMEWORK_STATUS_TITLES[status]} : %{{y}}<extra></extra>",
        )
        for status in labels.HOMEWORK_STATUSES
    ]
    return _figure(
        traces,
        homework_finding(frame),
        annotations=[_note(week, 0, yanchor="bottom") for week in weeks if counts[week]["expected"] is None],
        barmode="stack",
        legend_traceorder="normal",
        yaxis=_axis("Rendus attendus (élèves × devoirs)", rangemode="tozero"),
        xaxis=_week_axis(weeks),
    )


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
    heatmap = go.Heatmap(
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
    return _figure(
        [heatmap],
        service_reach_finding(frame, role),
        yaxis=_axis(autorange="reversed"),
        xaxis=_week_axis(weeks),
    )


# Direction — Adoption après un mois --------------------------------------------------------

FIRST_MONTH_WEEKS = 4
SHARE_COLOURS = {"active_share": OKABE_ITO["blue"], "regular_share": OKABE_ITO["orange"]}
SHARE_TITLES = {
    "active_share": "Actifs au moins une fois",
    "regular_share": "Réguliers (au moins 3 semaines sur 4)",
}
# Where the school stands among the département's schools, by its quartile (adoption_position).
QUARTILE_TEXTS = {
    1: "dans le quart des établissements du département où ce taux est le plus bas",
    2: "sous la médiane du département",
    3: "au-dessus de la médiane du département",
    4: "dans le quart des établissements du département où ce taux est le plus haut",
}
DEPARTMENT_BAND_COLOUR = "rgba(86, 180, 233, 0.25)"  # Okabe-Ito sky blue, light


def _band_of(frame: pd.DataFrame, role: str, week: dt.date, rate: str = "adoption_rate") -> object:
    """The published band of a role's rate in a week (None without one), from adoption_weekly rows."""
    column = rate + labels.BAND_SUFFIX
    if frame is None or frame.empty or column not in frame:
        return None
    rows = frame[(frame["role"] == role) & (frame["week_start"].map(_as_date) == week)]
    return None if rows.empty else rows.iloc[0][column]


def change_sentence(trends: pd.DataFrame, weekly: pd.DataFrame | None = None) -> str:
    """What changed since the previous school week, in one sentence (adoption_trends).

    `weekly` (adoption_weekly rows) gives the band of a rate that trends leave empty; a role
    whose rate is not published is said to be masked, never given a zero.
    """
    school_weeks = trends[trends["school_week_number"].notna()] if not trends.empty else trends
    if school_weeks.empty:
        return "Pas encore de semaine de classe publiée à comparer à la précédente."
    latest = max(_as_date(week) for week in school_weeks["week_start"])
    rows = school_weeks[school_weeks["week_start"].map(_as_date) == latest]
    parts = []
    for row in rows.itertuples(index=False):
        audience = labels.ROLE_IN_SENTENCE.get(row.role, row.role)
        if labels.is_missing(row.adoption_rate):
            band = _band_of(weekly, row.role, latest)
            if labels.is_missing(band):
                parts.append(f"{audience} {labels.SUPPRESSED_TEXT}")
            else:
                parts.append(f"{audience} {band} (évolution non publiée)")
            continue
        change = labels.format_points(row.change) or "évolution non publiée"
        parts.append(f"{audience} {labels.format_rate(row.adoption_rate)} ({change})")
    return (
        f"{labels.format_week(latest).capitalize()}, par rapport à la semaine de classe précédente, "
        f"part des inscrits actifs : {', '.join(parts)}."
    )


def first_month_finding(first_month: pd.DataFrame) -> str:
    """The first month in one line: the share of pupils (or the first role shown) active once, and regular."""
    if first_month.empty:
        return "Aucun premier mois publié pour cet établissement"
    start = min(_as_date(week) for week in first_month["start_week"] if not labels.is_missing(week))
    observed = int(first_month["weeks_observed"].max())
    when = f"Premier mois (4 semaines de classe à partir du {labels.format_date(start)})"
    if observed < FIRST_MONTH_WEEKS:
        when = f"Premier mois en cours ({observed} semaine{'s' if observed > 1 else ''} de classe sur 4)"
    for row in first_month.itertuples(index=False):
        active, active_text = _rate_and_text(row, "active_share")
        if active is None:
            continue
        _, regular_text = _rate_and_text(row, "regular_share")
        return (
            f"{when} : {active_text} des {labels.ROLE_IN_SENTENCE[row.role]} actifs au moins une fois, "
            f"{regular_text} réguliers"
        )
    return f"{when} : valeurs masquées (groupes de moins de 5 personnes)"


def first_month_figure(first_month: pd.DataFrame) -> go.Figure:
    """Per role, the share active at least once and the share of regular users in the first month."""
    roles = [labels.ROLE_TITLES.get(role, role) for role in first_month.get("role", [])]
    traces = []
    for rate in ("active_share", "regular_share"):
        values, texts = [], []
        for row in first_month.itertuples(index=False):
            value, text = _rate_and_text(row, rate)
            values.append(value)
            texts.append(text)
        traces.append(
            go.Bar(
                y=roles,
                x=values,
                orientation="h",
                name=SHARE_TITLES[rate],
                marker={"color": SHARE_COLOURS[rate]},
                text=[text if value is not None else "" for value, text in zip(values, texts, strict=True)],
                textposition="outside",
                cliponaxis=False,
                customdata=texts,
                hovertemplate=f"%{{y}}<br>{SHARE_TITLES[rate]} : %{{customdata}}<extra></extra>",
            )
        )
    masked = [
        _note(0, role, xanchor="left")
        for row, role in zip(first_month.itertuples(index=False), roles, strict=True)
        if row.is_suppressed
    ]
    return _figure(
        traces,
        first_month_finding(first_month),
        annotations=masked,
        barmode="group",
        legend_traceorder="normal",
        xaxis=_axis("Part des inscrits", tickformat=".0%", range=[0, 1.12]),
        yaxis=_axis(autorange="reversed"),
    )


def services_by_role_figure(usage: pd.DataFrame, role: str) -> go.Figure:
    """Heatmap service × role of one week's reach: which services, used by whom."""
    present_roles = set(usage["role"]) if not usage.empty else set()
    present_services = set(usage["service"]) if not usage.empty else set()
    roles = [value for value in labels.ROLES if value in present_roles]
    services = [value for value in labels.SERVICES if value in present_services]
    cells = {(row.service, row.role): _rate_and_text(row, "reach") for row in usage.itertuples(index=False)}
    z = [[cells.get((service, value), (None, ""))[0] for value in roles] for service in services]
    text = [
        [
            "masqué"
            if (service, value) in cells and cells[(service, value)][0] is None
            else cells.get((service, value), (None, ""))[1]
            for value in roles
        ]
        for service in services
    ]
    heatmap = go.Heatmap(
        x=[labels.ROLE_TITLES[value] for value in roles],
        y=[labels.SERVICE_TITLES[service] for service in services],
        z=z,
        text=text,
        texttemplate="%{text}",
        zmin=0,
        zmax=1,
        colorscale=REACH_COLOUR_SCALE,
        colorbar={"title": {"text": "Taux d'usage"}, "tickformat": ".0%"},
        hoverongaps=False,
        hovertemplate="%{y}, %{x} : %{text}<extra></extra>",
        xgap=2,
        ygap=2,
    )
    chosen = usage[usage["role"] == role] if not usage.empty else usage
    title = (
        service_reach_finding(chosen, role)
        if not chosen.empty
        else "Usage des services par profil : aucune donnée pour cette semaine"
    )
    return _figure([heatmap], title, yaxis=_axis(autorange="reversed"), xaxis=_axis(side="top"))


def position_finding(position: pd.DataFrame, role: str) -> str:
    """Where the school stood among the département's schools in the last week compared."""
    audience = labels.ROLE_IN_SENTENCE[role]
    compared = position[position["department_median"].notna()] if not position.empty else position
    if compared.empty:
        return f"Pas assez d'établissements comparables pour situer les {audience}"
    row = compared.iloc[-1]
    week = labels.format_week(_as_date(row["week_start"])).capitalize()
    median = labels.format_rate(row["department_median"])
    schools = labels.format_count(row["schools"])
    if labels.is_missing(row["adoption_rate"]) or labels.is_missing(row["quartile"]):
        return (
            f"{week} : taux des {audience} de l'établissement non publié ; médiane du département "
            f"{median} ({schools} établissements comparés)"
        )
    return (
        f"{week} : {labels.format_rate(row['adoption_rate'])} des {audience} actifs, "
        f"{QUARTILE_TEXTS[int(row['quartile'])]} (médiane {median}, {schools} établissements comparés)"
    )


def position_figure(position: pd.DataFrame, role: str) -> go.Figure:
    """The school's weekly rate for one role over the département's quartile band and median."""
    weeks = [_as_date(week) for week in position.get("week_start", [])]

    def values(column: str) -> list[float | None]:
        return [_value(value) for value in position.get(column, [])]

    traces = [
        go.Scatter(
            x=weeks,
            y=values("department_q1"),
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
            connectgaps=False,
        ),
        go.Scatter(
            x=weeks,
            y=values("department_q3"),
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=DEPARTMENT_BAND_COLOUR,
            name="Moitié centrale des établissements (du 1er au 3e quartile)",
            customdata=[
                [labels.format_rate(low), labels.format_rate(high)]
                for low, high in zip(values("department_q1"), values("department_q3"), strict=True)
            ],
            hovertemplate="Du 1er au 3e quartile : %{customdata[0]} à %{customdata[1]}<extra></extra>",
            connectgaps=False,
        ),
        go.Scatter(
            x=weeks,
            y=values("department_median"),
            mode="lines",
            name="Médiane du département",
            line={"color": OKABE_ITO["grey"], "dash": "dash", "width": 2},
            customdata=[labels.format_rate(value) for value in values("department_median")],
            hovertemplate="Médiane du département : %{customdata}<extra></extra>",
            connectgaps=False,
        ),
        go.Scatter(
            x=weeks,
            y=values("adoption_rate"),
            mode="lines+markers",
            name="Votre établissement",
            line={"color": ROLE_COLOURS.get(role, OKABE_ITO["blue"]), "width": 3},
            marker={"symbol": ROLE_MARKERS.get(role, "circle"), "size": 8},
            customdata=[
                [labels.format_week(week).capitalize(), labels.format_rate(value)]
                for week, value in zip(weeks, values("adoption_rate"), strict=True)
            ],
            hovertemplate="%{customdata[0]}<br>Votre établissement : %{customdata[1]}<extra></extra>",
            connectgaps=False,
        ),
    ]
    return _figure(
        traces,
        position_finding(position, role),
        yaxis=_axis(f"Part des {labels.ROLE_IN_SENTENCE[role]} actifs", tickformat=".0%", range=[0, 1.05]),
        xaxis=_week_axis(weeks),
        hovermode="x unified",
    )


# Conseil de classe -------------------------------------------------------------------------

WEEKDAY_COLOUR = OKABE_ITO["blue"]
CDT_COLOUR = OKABE_ITO["bluish_green"]
PARENT_COLOUR = OKABE_ITO["orange"]


def cdt_finding(terms: pd.DataFrame, period_label: str) -> str:
    """The cahier de textes's regularity over the period: school weeks with at least one entry."""
    if terms.empty:
        return f"{period_label} : aucune semaine de classe publiée pour le cahier de textes"
    shown = terms[~terms["is_suppressed"].astype(bool)]
    if shown.empty:
        return f"{period_label} : régularité du cahier de textes masquée (moins de 5 enseignants)"
    weeks = int(shown["school_weeks"].sum())
    with_entries = int(shown["weeks_with_entries"].sum())
    share = f"{round(100 * with_entries / weeks)}{labels.PERCENT}" if weeks else "—"
    masked = " ; un trimestre masqué n'est pas compté" if len(shown) < len(terms) else ""
    return (
        f"{period_label} : cahier de textes rempli {with_entries} semaine{'s' if with_entries > 1 else ''} "
        f"de classe sur {weeks} ({share}){masked}"
    )


def cdt_figure(weekly: pd.DataFrame, terms: pd.DataFrame, period_label: str) -> go.Figure:
    """Entries of the class's cahier de textes per week; holidays and masked weeks said as such."""
    weeks = _weeks(weekly) if not weekly.empty else []
    entries, notes = {}, {}
    for row in weekly.itertuples(index=False):
        week = _as_date(row.week_start)
        entries[week] = None if row.is_suppressed else _value(row.entries)
        if row.is_suppressed:
            notes[week] = "masqué"
        elif not row.is_school_week:
            notes[week] = "vacances"
    bars = go.Bar(
        x=weeks,
        y=[entries.get(week) for week in weeks],
        name="Entrées du cahier de textes",
        marker={
            "color": [OKABE_ITO["grey"] if notes.get(week) == "vacances" else CDT_COLOUR for week in weeks]
        },
        customdata=[
            [labels.format_week(week).capitalize(), notes.get(week, "semaine de classe")] for week in weeks
        ],
        hovertemplate="%{customdata[0]} (%{customdata[1]})<br>Entrées : %{y}<extra></extra>",
    )
    return _figure(
        [bars],
        cdt_finding(terms, period_label),
        annotations=[_note(week, 0, text=note, yanchor="bottom") for week, note in notes.items()],
        yaxis=_axis("Entrées du cahier de textes", rangemode="tozero"),
        xaxis=_week_axis(weeks),
    )


def homework_load_finding(load: pd.DataFrame) -> str:
    """The busiest weekday of the period (exports.weekday_load rows: weekday, homework_due)."""
    shown = load[load["homework_due"].notna()] if not load.empty else load
    if shown.empty:
        return "Charge de devoirs masquée pour cette période (moins de 5 élèves concernés)"
    busiest = shown.sort_values(["homework_due", "weekday"], ascending=[False, True]).iloc[0]
    if busiest["homework_due"] == 0:
        return "Aucun devoir à rendre en ligne sur la période"
    day = labels.WEEKDAYS[int(busiest["weekday"]) - 1]
    count = int(busiest["homework_due"])
    return (
        f"Le {day} est le jour le plus chargé : {count} devoir{'s' if count > 1 else ''} à rendre en ligne "
        "sur la période, toutes disciplines confondues"
    )


def homework_load_figure(load: pd.DataFrame) -> go.Figure:
    """Homework due per weekday over the period; weekends only when something falls due then."""
    by_weekday = {int(row.weekday): _value(row.homework_due) for row in load.itertuples(index=False)}
    shown = [day for day in range(1, 8) if day <= 5 or (day in by_weekday and by_weekday[day] != 0.0)]
    names = [labels.WEEKDAYS[day - 1].capitalize() for day in shown]
    bars = go.Bar(
        x=names,
        y=[by_weekday.get(day) for day in shown],
        name="Devoirs à rendre",
        marker={"color": WEEKDAY_COLOUR},
        text=[
            labels.format_count(by_weekday[day]) if by_weekday.get(day) is not None else "" for day in shown
        ],
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{x} : %{y} devoirs à rendre<extra></extra>",
    )
    highest = max([value for value in by_weekday.values() if value is not None], default=0)
    return _figure(
        [bars],
        homework_load_finding(load),
        annotations=[
            _note(name, 0, yanchor="bottom")
            for day, name in zip(shown, names, strict=True)
            if day in by_weekday and by_weekday[day] is None
        ],
        yaxis=_axis(
            "Devoirs à rendre ce jour-là", rangemode="tozero", tick0=0, dtick=max(1, math.ceil(highest / 5))
        ),
        xaxis=_axis(),
    )


def _reach_value(row) -> tuple[float | None, str]:
    """A month's parent reach as plotted and written; unknown when the roster links no parent."""
    if row.is_suppressed:
        return None, labels.SUPPRESSED_TEXT
    if not labels.is_missing(row.pupils_with_parent) and row.pupils_with_parent == 0:
        return None, "inconnu (l'annuaire ne relie aucun parent)"
    return _rate_and_text(row, "reach")


def parent_reach_finding(monthly: pd.DataFrame) -> str:
    """The last month's share of pupils with an active parent, and its change since the month before."""
    values = [(row, *_reach_value(row)) for row in monthly.itertuples(index=False)]
    known = [(row, value, text) for row, value, text in values if value is not None]
    if not known:
        if values and all(text.startswith("inconnu") for _, _, text in values):
            return "Parents touchés : inconnu, l'annuaire ne relie pas les élèves à leurs parents"
        return "Parents touchés : aucune valeur publiée sur la période"
    row, value, text = known[-1]
    sentence = (
        f"{labels.format_month(_as_date(row.month_start)).capitalize()} : {text} des élèves de la classe "
        "ont un parent qui a utilisé l'ENT"
    )
    if len(known) > 1:
        previous_row, _, _ = known[-2]
        exact = labels.is_missing(getattr(row, "reach_band", None)) and labels.is_missing(
            getattr(previous_row, "reach_band", None)
        )
        if exact and not labels.is_missing(row.reach) and not labels.is_missing(previous_row.reach):
            month = labels.MONTHS[_as_date(previous_row.month_start).month - 1]
            sentence += f" ({labels.format_points(row.reach - previous_row.reach)} par rapport à {month})"
    return sentence


def parent_reach_figure(monthly: pd.DataFrame) -> go.Figure:
    """Per month, the share of the class's pupils with at least one active parent."""
    months = [labels.format_month(_as_date(month)).capitalize() for month in monthly.get("month_start", [])]
    values, texts = [], []
    for row in monthly.itertuples(index=False):
        value, text = _reach_value(row)
        values.append(value)
        texts.append(text)
    bars = go.Bar(
        x=months,
        y=values,
        name="Élèves dont un parent est actif",
        marker={"color": PARENT_COLOUR},
        text=[text if value is not None else "" for value, text in zip(values, texts, strict=True)],
        textposition="outside",
        cliponaxis=False,
        customdata=texts,
        hovertemplate="%{x} : %{customdata}<extra></extra>",
    )
    notes = [
        _note(month, 0, text="masqué" if text == labels.SUPPRESSED_TEXT else "inconnu", yanchor="bottom")
        for month, value, text in zip(months, values, texts, strict=True)
        if value is None
    ]
    return _figure(
        [bars],
        parent_reach_finding(monthly),
        annotations=notes,
        yaxis=_axis("Part des élèves de la classe", tickformat=".0%", range=[0, 1.1]),
        xaxis=_axis(),
    )


# Référent ENT — Plan de formation ----------------------------------------------------------

NEEDS_SHOWN = 12
NEED_COLOUR = OKABE_ITO["vermillion"]
EFFECT_COLOURS = {True: OKABE_ITO["blue"], False: OKABE_ITO["vermillion"]}


def _service_subject(service: str) -> str:
    return labels.SERVICE_AS_SUBJECT.get(service, (service, False))[0]


def _needs_to_show(needs: pd.DataFrame) -> pd.DataFrame:
    if needs.empty:
        return needs
    shown = needs[~needs["is_suppressed"].astype(bool) & needs["priority"].notna()]
    shown = shown[shown["priority"] > 0]
    return shown.sort_values("priority", ascending=False, kind="stable").head(NEEDS_SHOWN)


def training_needs_finding(needs: pd.DataFrame) -> str:
    """The one training that would help most: the service and school with the highest priority."""
    if needs.empty:
        return "Aucun besoin de formation publié pour vos établissements"
    shown = _needs_to_show(needs)
    if shown.empty:
        if needs["is_suppressed"].astype(bool).all():
            return "Besoins de formation masqués (moins de 5 enseignants)"
        return "Dans vos établissements, chaque service atteint déjà la part d'enseignants du département"
    top = shown.iloc[0]
    count = int(top["priority"])
    return (
        f"À former en premier : {_service_subject(top['service'])} au {top['school_uai']}, "
        f"{count} enseignant{'s' if count > 1 else ''} de plus pour atteindre la part du département"
    )


def _needs_figure(shown: pd.DataFrame, names: list[str], title: str) -> go.Figure:
    share_texts = [
        labels.format_rate(row.share, getattr(row, "share_band", None))
        for row in shown.itertuples(index=False)
    ]
    priorities = [_value(value) for value in shown.get("priority", [])]
    bars = go.Bar(
        y=names,
        x=priorities,
        orientation="h",
        name="Priorité de formation",
        marker={"color": NEED_COLOUR},
        text=[labels.format_count(value) for value in shown.get("priority", [])],
        textposition="outside",
        cliponaxis=False,
        customdata=[
            [text, labels.format_count(row.teachers_using), labels.format_count(row.teachers)]
            for text, row in zip(share_texts, shown.itertuples(index=False), strict=True)
        ],
        hovertemplate=(
            "%{y}<br>Priorité : %{x} enseignants de plus<br>"
            "Part d'enseignants utilisateurs : %{customdata[0]} (%{customdata[1]} sur %{customdata[2]})"
            "<extra></extra>"
        ),
    )
    highest = max([value for value in priorities if value is not None], default=1)
    return _figure(
        [bars],
        title,
        yaxis=_axis(autorange="reversed"),
        xaxis=_axis("Enseignants de plus pour atteindre la part du département", range=[0, highest * 1.12]),
        showlegend=False,
    )


def training_needs_figure(needs: pd.DataFrame) -> go.Figure:
    """The services and schools where teachers under-use the ENT most, by priority (training_needs)."""
    shown = _needs_to_show(needs)
    names = [
        f"{labels.SERVICE_TITLES.get(row.service, row.service)} · {row.school_uai}"
        for row in shown.itertuples(index=False)
    ]
    return _needs_figure(shown, names, training_needs_finding(needs))


def discipline_needs_finding(needs: pd.DataFrame) -> str:
    """The département's team (discipline) and service with the highest priority."""
    shown = _needs_to_show(needs)
    if shown.empty:
        return "Dans le département, aucune équipe disciplinaire n'est en retrait sur un service"
    top = shown.iloc[0]
    count = int(top["priority"])
    return (
        f"Dans le département, les enseignants de {top['discipline'].lower()} utilisent moins "
        f"{_service_subject(top['service'])} : {count} de plus pour rejoindre l'ensemble des enseignants"
    )


def discipline_needs_figure(needs: pd.DataFrame) -> go.Figure:
    """The département's teams (disciplines, k = 10) that under-use a service, by priority."""
    shown = _needs_to_show(needs)
    names = [
        f"{labels.SERVICE_TITLES.get(row.service, row.service)} · {row.discipline.lower()}"
        for row in shown.itertuples(index=False)
    ]
    return _needs_figure(shown, names, discipline_needs_finding(needs))


def _measured_workshops(effects: pd.DataFrame) -> pd.DataFrame:
    if effects.empty:
        return effects
    return effects[~effects["is_suppressed"].astype(bool) & effects["effect"].notna()]


def workshop_effects_finding(effects: pd.DataFrame) -> str:
    """How many measured workshops raised use more than in schools without one, and the median effect."""
    if effects.empty:
        return "Aucun atelier de formation enregistré pour vos établissements"
    measured = _measured_workshops(effects)
    if measured.empty:
        return "Aucun atelier n'a encore 4 semaines de classe de recul : effets à venir"
    count = len(measured)
    better = int((measured["effect"] > 0).sum())
    median = labels.format_points(float(measured["effect"].median()))
    workshops = f"{count} atelier{'s' if count > 1 else ''} mesuré{'s' if count > 1 else ''}"
    raised = {0: "aucun n'a fait", 1: "1 a fait"}.get(better, f"{better} ont fait")
    return (
        f"{workshops} : {raised} progresser l'usage plus que dans les établissements sans atelier "
        f"(effet médian {median})"
    )


def workshop_effects_figure(effects: pd.DataFrame) -> go.Figure:
    """Each measured workshop's effect (difference in differences), in points of teachers using the service."""
    measured = _measured_workshops(effects)
    names = [
        f"{labels.SERVICE_TITLES.get(row.service, row.service)} · {row.school_uai} · "
        f"{labels.format_short_date(_as_date(row.week_start))}"
        for row in measured.itertuples(index=False)
    ]
    effects_in_points = [round(float(value) * 100, 1) for value in measured.get("effect", [])]
    details = [
        [
            labels.format_rate(row.share_before, getattr(row, "share_before_band", None)),
            labels.format_rate(row.share_after, getattr(row, "share_after_band", None)),
            labels.format_rate(_value(row.control_share_before)),
            labels.format_rate(_value(row.control_share_after)),
            labels.format_points(row.effect),
        ]
        for row in measured.itertuples(index=False)
    ]
    bars = go.Bar(
        y=names,
        x=effects_in_points,
        orientation="h",
        name="Effet estimé",
        marker={"color": [EFFECT_COLOURS[value > 0] for value in effects_in_points]},
        text=[detail[4] for detail in details],
        textposition="outside",
        cliponaxis=False,
        customdata=details,
        hovertemplate=(
            "%{y}<br>Établissement : %{customdata[0]} → %{customdata[1]}<br>"
            "Comparaison : %{customdata[2]} → %{customdata[3]}<br>Effet : %{customdata[4]}<extra></extra>"
        ),
    )
    # Room beside the bars for their labels ("+20 points"), on whichever side they point.
    low, high = min([0.0, *effects_in_points]), max([0.0, *effects_in_points])
    margin = max(3.0, 0.3 * (high - low))
    return _figure(
        [bars],
        workshop_effects_finding(effects),
        yaxis=_axis(autorange="reversed"),
        xaxis=_axis(
            "Effet estimé (points d'enseignants utilisateurs)",
            zeroline=True,
            range=[low - (margin if low < 0 else 0), high + margin],
        ),
        showlegend=False,
    )


SUGGESTED_WORKSHOP_COLUMNS = (
    "Service",
    "Public",
    "Établissements",
    "Nombre d'établissements",
    "Enseignants à gagner",
)


def suggested_workshops(needs: pd.DataFrame) -> pd.DataFrame:
    """Short workshops to offer: one per service that teachers under-use somewhere (priority > 0).

    Each lists its schools, the most in need first with their priority in brackets, and the sum
    of their priorities (teachers to win over); services with the largest sum come first.
    """
    if needs.empty:
        return pd.DataFrame(columns=list(SUGGESTED_WORKSHOP_COLUMNS))
    rows = needs[~needs["is_suppressed"].astype(bool) & needs["priority"].notna()]
    rows = rows[rows["priority"] > 0]
    workshops = []
    for service, group in rows.groupby("service", sort=False):
        group = group.sort_values(["priority", "school_uai"], ascending=[False, True])
        workshops.append(
            {
                "Service": labels.SERVICE_TITLES.get(service, service),
                "Public": labels.WORKSHOP_AUDIENCE,
                "Établissements": ", ".join(
                    f"{row.school_uai} ({int(row.priority)})" for row in group.itertuples(index=False)
                ),
                "Nombre d'établissements": len(group),
                "Enseignants à gagner": int(group["priority"].sum()),
            }
        )
    frame = pd.DataFrame(workshops, columns=list(SUGGESTED_WORKSHOP_COLUMNS))
    return frame.sort_values(
        ["Enseignants à gagner", "Service"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)
