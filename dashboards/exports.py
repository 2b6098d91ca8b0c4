"""Exports: a CSV and an Excel file of every table, a PNG of every chart, the conseil de classe PDF.

Pure functions that return bytes, so that they are tested without a browser, plus two small
helpers for the pages: `file_stem` (the files' names) and `chart_config` (the PNG, drawn by
Plotly in the reader's browser from the modebar: no image server needed). The buttons that offer
the CSV and Excel files are `sections.download_buttons`, built only when clicked.

Every export says what the dashboard says: French headers from the metrics dictionary
(models/marts/_metrics.yml, through `labels.export_frame`), and a hidden cell written as
`labels.SUPPRESSED_TEXT`, never as 0 nor left blank, so that a figure taken out of the
dashboard cannot be read as "nobody" (DESIGN.md §4 rules 5 to 7).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from dashboards import labels
from pipelines import metrics
from pipelines.privacy.catalog import BAND_SUFFIX, IS_SUPPRESSED, load_catalog
from pipelines.settings import K_SCHOOL

CSV_SEPARATOR = ";"
CSV_DECIMAL = ","
# UTF-8 with a byte order mark: without it, Excel reads a CSV as the machine's ANSI code page.
CSV_ENCODING = "utf-8-sig"
CSV_MIME = "text/csv"
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MIME = "application/pdf"
YES, NO = "oui", "non"

EXCEL_DATE_FORMAT = "dd/mm/yyyy"
EXCEL_RATE_FORMAT = "0%"
EXCEL_CHANGE_FORMAT = "+0%;-0%;0%"
EXCEL_SHEET_TITLE_LENGTH = 31  # Excel's own limit
EXCEL_FORBIDDEN_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")
EXCEL_MAX_COLUMN_WIDTH = 50
DEFINITIONS_SHEET = "Définitions"


# Which cells are figures --------------------------------------------------------------------


def measure_columns(frame: pd.DataFrame, mart: str) -> list[str]:
    """The frame's columns that hold a figure (a count, a rate, a derived value): an empty one
    is a hidden one. Others (grain, attributes: a week, a school, a holiday week's empty rank)
    are written as they are."""
    catalog = load_catalog()
    spec = catalog.tables.get(mart)
    if spec is not None:
        figures = {*spec.counts, *(rate.name for rate in spec.rates), *spec.derived}
    else:
        # A table the release derives (trends, positions): every number beside its grain.
        derived = catalog.derived_tables.get(mart)
        grain = set(derived.grain) if derived else set()
        figures = {
            column
            for column in frame.columns
            if column not in grain
            and column != IS_SUPPRESSED
            and pd.api.types.is_numeric_dtype(frame[column])
        }
    return [column for column in frame.columns if column in figures]


def _unit(mart: str, column: str) -> str | None:
    item = metrics.find_indicator(mart, column)
    return item.unit if item else None


def _plain(value: object) -> object:
    """numpy and pandas scalars as Python values; NaN, NaT and NA as None; midnight as a date."""
    if labels.is_missing(value) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def export_cells(frame: pd.DataFrame, mart: str) -> pd.DataFrame:
    """The values an export writes, with the frame's own column names: a hidden figure is
    SUPPRESSED_TEXT (or its published band, for a banded rate), is_suppressed is oui/non,
    numbers stay numbers."""
    figures = set(measure_columns(frame, mart))
    cells = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = [_plain(value) for value in frame[column]]
        if column in figures:
            band_column = column + BAND_SUFFIX
            bands = (
                [_plain(band) for band in frame[band_column]]
                if band_column in frame
                else [None] * len(values)
            )
            values = [
                value if value is not None else (band or labels.SUPPRESSED_TEXT)
                for value, band in zip(values, bands, strict=True)
            ]
        elif column == IS_SUPPRESSED:
            values = [None if value is None else (YES if value else NO) for value in values]
        cells[column] = pd.Series(values, index=frame.index, dtype=object)
    return cells.reset_index(drop=True)


# CSV ----------------------------------------------------------------------------------------


def _csv_value(value: object) -> object:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace(".", CSV_DECIMAL)
    return value


def csv_bytes(frame: pd.DataFrame, mart: str) -> bytes:
    """The table as a CSV for French Excel: headers in French, `;` between values, a decimal
    comma, UTF-8 with a BOM.

    Why: French Excel (and LibreOffice set to French) opens a double-clicked CSV with the
    list separator of the French locale, `;`, because `,` is the decimal separator there; a
    file separated by commas lands in one column and `0.5` is read as text. Without a byte
    order mark it decodes the file as Windows-1252, and « Élèves » turns into « Ã‰lÃ¨ves ».
    """
    cells = export_cells(frame, mart).map(_csv_value)
    return (
        labels.export_frame(cells, mart)
        .to_csv(sep=CSV_SEPARATOR, index=False, lineterminator="\r\n", date_format="%Y-%m-%d")
        .encode(CSV_ENCODING)
    )


# Excel --------------------------------------------------------------------------------------


def sheet_title(title: str) -> str:
    """A title Excel accepts: 31 characters at most, none of [ ] : * ? / \\."""
    cleaned = EXCEL_FORBIDDEN_IN_SHEET_TITLE.sub(" ", title).strip() or "Données"
    return cleaned[:EXCEL_SHEET_TITLE_LENGTH]


def excel_bytes(frame: pd.DataFrame, mart: str, sheet_title_text: str) -> bytes:
    """The table as an .xlsx workbook: French headers in bold, numbers as numbers (rates as
    percentages, dates as dates), a hidden figure as SUPPRESSED_TEXT, never 0; a second sheet
    gives each column's definition from the metrics dictionary."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    cells = export_cells(frame, mart)
    headers = [labels.column_title(column, mart) for column in cells.columns]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(sheet_title_text)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in cells.itertuples(index=False):
        sheet.append(list(row))
    for index, column in enumerate(cells.columns, start=1):
        unit = _unit(mart, column)
        number_format = {
            metrics.RATE_UNIT: EXCEL_RATE_FORMAT,
            "écart de part": EXCEL_CHANGE_FORMAT,
        }.get(unit)
        letter = get_column_letter(index)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, dt.date):
                cell.number_format = EXCEL_DATE_FORMAT
            elif number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
            elif isinstance(cell.value, str) and cell.value == labels.SUPPRESSED_TEXT:
                cell.alignment = Alignment(horizontal="right")
        longest = max(
            [len(headers[index - 1])] + [len(str(value)) for value in cells[column] if value is not None]
        )
        sheet.column_dimensions[letter].width = min(max(longest + 2, 10), EXCEL_MAX_COLUMN_WIDTH)
    sheet.freeze_panes = "A2"

    definitions = workbook.create_sheet(DEFINITIONS_SHEET)
    definitions.append(["Colonne", "Définition", "Unité"])
    for cell in definitions[1]:
        cell.font = Font(bold=True)
    for column in cells.columns:
        item = metrics.find_indicator(mart, column)
        if item is not None:
            definitions.append([item.label, item.definition, item.unit])
    definitions.append([])
    definitions.append([labels.SUPPRESSED_TEXT, labels.SUPPRESSED_GAP_CAPTION, ""])
    definitions.column_dimensions["A"].width = 35
    definitions.column_dimensions["B"].width = 100
    for (cell,) in definitions.iter_rows(min_col=2, max_col=2):
        cell.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The pages' helpers -------------------------------------------------------------------------


def file_stem(name: str) -> str:
    """`Conseil de classe — 3ᵉ A` → `conseil-de-classe-3e-a`: a file name every system accepts."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "reperes"


def chart_config(name: str) -> dict:
    """The `config=` of every st.plotly_chart: the modebar always shown, its camera button
    saving the chart as a PNG named after it (drawn by Plotly in the browser), no Plotly logo."""
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        "toImageButtonOptions": {"format": "png", "filename": file_stem(name), "scale": 2},
    }


# The conseil de classe summary (PDF) --------------------------------------------------------

WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
PDF_FONT = "helvetica"
PDF_MAX_WEEKS = 16  # a term has at most 15 school weeks: the table fits on the page
PDF_MAX_MONTHS = 6
PDF_SUPPRESSED_TEXT = "masqué (secret statistique)"
# fpdf2's core fonts (Helvetica) cover Latin-1: é, è, à, ç, « » and the no-break space, not
# the typography the dashboard uses elsewhere. Those characters are said another way here,
# rather than shipping a font file: the document stays small and identical on every machine.
_BAND = re.compile(r"^(≥|≤)\s*(\d+)[\s\u00a0\u202f]*%$")
PDF_REPLACEMENTS = {
    "\u202f": "\u00a0",  # narrow no-break space (thousands, before %) → no-break space
    "\u2009": " ",
    "\u2014": "-",
    "\u2013": "-",
    "\u2019": "'",
    "\u2018": "'",
    "\u201c": "«",
    "\u201d": "»",
    "\u2026": "...",
    "\u0153": "oe",
    "\u0152": "OE",
    "≥": ">=",
    "≤": "<=",
    "×": "x",
    "\u20ac": "EUR",
}


def pdf_text(text: object) -> str:
    """Text the PDF's Latin-1 font can draw: a band "≥ 95 %" reads "95 % ou plus"."""
    value = "" if text is None else str(text)
    band = _BAND.match(value.strip())
    if band:
        bound = f"{band.group(2)}\u00a0%"
        return f"{bound} ou plus" if band.group(1) == "≥" else f"{bound} ou moins"
    for character, replacement in PDF_REPLACEMENTS.items():
        value = value.replace(character, replacement)
    return "".join(_latin1(character) for character in unicodedata.normalize("NFC", value))


def _latin1(character: str) -> str:
    """The character, or its plain letters ("3ᵉ" → "3e"), or "?"."""
    if ord(character) < 256:
        return character
    plain = "".join(
        part for part in unicodedata.normalize("NFKD", character) if not unicodedata.combining(part)
    )
    return plain if plain and all(ord(part) < 256 for part in plain) else "?"


@dataclass(frozen=True)
class ClassCouncilSummary:
    """What the conseil de classe PDF shows for one class and one term, already computed.

    Each table holds the published rows, masked cells as None (they print as "masqué (secret
    statistique)"), `is_suppressed` where the mart has it:
    - homework: homework_class_weekly rows of the term (week_start, expected, on_time, late,
      missing, submission_rate and its band);
    - regularity: the class's cdt_class_term row (school_weeks, weeks_with_entries,
      regularity), or an empty frame;
    - homework_load: homework due per weekday over the term (weekday 1-7, homework_due),
      e.g. `weekday_load(homework_load_class_daily rows)`;
    - parent_reach: parent_reach_monthly rows of the term (month_start, pupils, reach and
      its band).
    """

    school_uai: str
    class_id: str
    school_year: str
    term: str
    data_through: dt.date | None
    homework: pd.DataFrame
    regularity: pd.DataFrame = field(default_factory=pd.DataFrame)
    homework_load: pd.DataFrame = field(default_factory=pd.DataFrame)
    parent_reach: pd.DataFrame = field(default_factory=pd.DataFrame)
    school_name: str = ""
    k: int = K_SCHOOL


def weekday_load(daily: pd.DataFrame) -> pd.DataFrame:
    """homework_load_class_daily rows → homework due per weekday; a weekday with a masked day
    is masked whole (adding the others up would show a figure that is not the total)."""
    rows = []
    for weekday in range(1, 8):
        days = daily[daily["weekday"] == weekday] if not daily.empty else daily
        values = [_plain(value) for value in days.get("homework_due", [])]
        masked = any(value is None for value in values)
        rows.append({"weekday": weekday, "homework_due": None if masked else int(sum(values))})
    return pd.DataFrame(rows, dtype=object)


def _count_text(value: object) -> str:
    return PDF_SUPPRESSED_TEXT if labels.is_missing(value) else pdf_text(labels.format_count(value))


def _rate_text(value: object, band: object = None) -> str:
    shown = labels.format_rate(None if labels.is_missing(value) else float(value), band)
    return PDF_SUPPRESSED_TEXT if shown == labels.SUPPRESSED_TEXT else pdf_text(shown)


def _row_value(row: pd.Series, column: str) -> object:
    return row[column] if column in row.index else None


class _SummaryPdf:
    """One A4 page, drawn top to bottom; the methods name the blocks of the page."""

    MARGIN = 15
    LINE = 5

    def __init__(self) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margins(self.MARGIN, self.MARGIN, self.MARGIN)
        self.pdf.add_page()
        self.pdf.set_title(pdf_text("Repères : synthèse pour le conseil de classe"))
        self.pdf.set_creator("Repères")

    @property
    def width(self) -> float:
        return self.pdf.w - 2 * self.MARGIN

    def text(self, text: str, size: float = 9, style: str = "", height: float | None = None) -> None:
        self.pdf.set_font(PDF_FONT, style=style, size=size)
        self.pdf.multi_cell(self.width, height or self.LINE, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.text(text, size=11, style="B", height=6)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        self.pdf.set_font(PDF_FONT, size=8)
        with self.pdf.table(
            col_widths=tuple(widths),
            width=self.width,
            line_height=4.2,
            text_align="RIGHT",
            first_row_as_headings=True,
            headings_style=_headings_style(),
        ) as table:
            heading = table.row()
            for text in header:
                heading.cell(pdf_text(text))
            for values in rows:
                row = table.row()
                # Masked cells side by side share one cell: the row stays one line high.
                position = 0
                while position < len(values):
                    span = 1
                    if values[position] == PDF_SUPPRESSED_TEXT:
                        while (
                            position + span < len(values) and values[position + span] == PDF_SUPPRESSED_TEXT
                        ):
                            span += 1
                    row.cell(pdf_text(values[position]), colspan=span)
                    position += span

    FOOTER_HEIGHT = 14

    def footer(self, text: str) -> None:
        top = self.pdf.h - self.MARGIN - self.FOOTER_HEIGHT
        if self.pdf.get_y() > top:
            # PDF_MAX_WEEKS and PDF_MAX_MONTHS keep the worst case on one page (tests/test_exports.py):
            # better no document than a footer printed over the figures.
            raise ValueError("the conseil de classe summary does not fit on one A4 page")
        self.pdf.set_y(top)
        self.pdf.set_draw_color(150, 150, 150)
        self.pdf.line(self.MARGIN, self.pdf.get_y(), self.pdf.w - self.MARGIN, self.pdf.get_y())
        self.pdf.ln(1)
        self.text(text, size=7, height=3.5)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _headings_style():
    from fpdf.fonts import FontFace

    return FontFace(emphasis="BOLD", fill_color=(230, 230, 230))


def _homework_rows(homework: pd.DataFrame) -> list[list[str]]:
    rows = []
    for _, row in homework.tail(PDF_MAX_WEEKS).iterrows():
        rows.append(
            [
                labels.format_date(pd.Timestamp(row["week_start"])),
                _count_text(_row_value(row, "expected")),
                _count_text(_row_value(row, "on_time")),
                _count_text(_row_value(row, "late")),
                _count_text(_row_value(row, "missing")),
                _rate_text(_row_value(row, "submission_rate"), _row_value(row, "submission_rate_band")),
            ]
        )
    return rows


def _regularity_sentence(regularity: pd.DataFrame) -> str:
    if regularity.empty:
        return "Aucune semaine de classe publiée pour ce trimestre."
    row = regularity.iloc[0]
    weeks, with_entries = _row_value(row, "school_weeks"), _row_value(row, "weeks_with_entries")
    if labels.is_missing(weeks) or labels.is_missing(with_entries):
        return f"Régularité : {PDF_SUPPRESSED_TEXT}."
    share = _rate_text(_row_value(row, "regularity"))
    return (
        f"Régularité : {labels.format_count(with_entries)} semaine(s) de classe sur "
        f"{labels.format_count(weeks)} avec au moins une entrée du cahier de textes ({share})."
    )


def _load_rows(load: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    by_weekday = {int(row["weekday"]): row["homework_due"] for _, row in load.iterrows()}
    shown = [weekday for weekday in range(1, 8) if weekday <= 5 or weekday in by_weekday]
    header = [WEEKDAYS[weekday - 1] for weekday in shown]
    return header, [[_count_text(by_weekday.get(weekday, 0)) for weekday in shown]]


def _reach_rows(reach: pd.DataFrame) -> list[list[str]]:
    rows = []
    for _, row in reach.tail(PDF_MAX_MONTHS).iterrows():
        month = pd.Timestamp(row["month_start"])
        rows.append(
            [
                f"{labels.MONTHS[month.month - 1]} {month.year}",
                _count_text(_row_value(row, "pupils")),
                _rate_text(_row_value(row, "reach"), _row_value(row, "reach_band")),
            ]
        )
    return rows


def class_council_pdf(summary: ClassCouncilSummary) -> bytes:
    """A one-page A4 summary, in French, for one class and one term."""
    page = _SummaryPdf()
    page.text(f"Conseil de classe : {summary.class_id}", size=16, style="B", height=8)
    school = f"{summary.school_name} ({summary.school_uai})" if summary.school_name else summary.school_uai
    page.text(f"Établissement {school} · {summary.term} {summary.school_year}", size=10, height=5)
    if summary.data_through is not None:
        page.text(f"Données jusqu'au {labels.format_date(summary.data_through)}.", size=9)

    page.heading("Devoirs rendus en ligne, par semaine d'échéance")
    if summary.homework.empty:
        page.text("Aucun devoir à rendre en ligne publié pour ce trimestre.")
    else:
        page.table(
            ("Semaine du", "Rendus attendus", "À l'heure", "En retard", "Non rendus", "Taux de rendu"),
            _homework_rows(summary.homework),
            (30, 20, 20, 20, 20, 30),
        )
        page.text(
            "À l'heure : premier dépôt au plus tard à l'échéance ; en retard : après ; non rendu : "
            "aucun dépôt une fois l'échéance passée.",
            size=7,
            height=3.5,
        )

    page.heading("Cahier de textes")
    page.text(_regularity_sentence(summary.regularity))

    page.heading("Charge de devoirs par jour de la semaine (devoirs à rendre ce jour-là)")
    if summary.homework_load.empty:
        page.text("Aucun devoir à rendre en ligne publié pour ce trimestre.")
    else:
        header, rows = _load_rows(summary.homework_load)
        page.table(header, rows, [1] * len(header))

    page.heading("Parents touchés (au moins un parent a utilisé l'ENT dans le mois)")
    if summary.parent_reach.empty:
        page.text("Aucun mois publié pour ce trimestre.")
    else:
        page.table(
            ("Mois", "Élèves de la classe", "Part des élèves dont un parent est actif"),
            _reach_rows(summary.parent_reach),
            (30, 30, 50),
        )

    through = labels.format_date(summary.data_through) if summary.data_through else "inconnue"
    page.footer(
        "Règle de confidentialité (RGPD) : aucun résultat individuel ; une case qui compte moins de "
        f"{summary.k} personnes est masquée (« {PDF_SUPPRESSED_TEXT} »), de même que celles qui "
        "permettraient de la retrouver par soustraction, et le taux d'un petit groupe proche de 0 ou de 100 % est "
        "donné en tranche. Un enseignant n'est jamais nommé : le cahier de textes est compté pour "
        f"la classe, toutes disciplines confondues. Données jusqu'au {through} ; document produit "
        f"par Repères le {labels.format_date(dt.date.today())}."
    )
    return page.output()
