"""Exports read back as a reader's software reads them: the CSV by pandas as French Excel would,
the workbook by openpyxl, the PDF by pypdf. A hidden cell must come back as the French text,
never as 0 nor as an empty cell that could be taken for one."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards import exports, labels

MART = "homework_class_weekly"
WEEKS = [dt.date(2025, 9, 1), dt.date(2025, 9, 8), dt.date(2025, 9, 15)]
HEADERS = [
    "Semaine du",
    "Rendus attendus",
    "À l'heure",
    "En retard",
    "Non rendus",
    "Taux de rendu",
    "Tranche de taux de rendu",
    "Masqué (secret statistique)",
]


@pytest.fixture
def homework() -> pd.DataFrame:
    """Week 1 published; week 2 masked (< k); week 3 a small group's 0 %, given as a band with
    its counts withheld. Counts come out of DuckDB as floats when a NULL is among them."""
    return pd.DataFrame(
        {
            "week_start": WEEKS,
            "expected": [25.0, None, 6.0],
            "on_time": [18.0, None, None],
            "late": [4.0, None, None],
            "missing": [3.0, None, None],
            "submission_rate": [0.88, None, None],
            "submission_rate_band": [None, None, "≤ 20\u00a0%"],
            "is_suppressed": [False, True, False],
        }
    )


def test_csv_is_for_french_excel_and_round_trips(homework):
    content = exports.csv_bytes(homework, MART)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(HEADERS)
    frame = pd.read_csv(
        io.BytesIO(content), sep=";", encoding="utf-8-sig", decimal=",", dtype=str, keep_default_na=False
    )
    assert list(frame.columns) == HEADERS
    assert frame.iloc[0].tolist() == ["2025-09-01", "25", "18", "4", "3", "0,88", "", "non"]
    masked = frame.iloc[1]
    assert masked["Rendus attendus"] == masked["Taux de rendu"] == labels.SUPPRESSED_TEXT
    assert masked["Masqué (secret statistique)"] == "oui"
    # A withheld count says so; the banded rate shows its band in its own cell.
    banded = frame.iloc[2]
    assert banded["Rendus attendus"] == "6" and banded["À l'heure"] == labels.SUPPRESSED_TEXT
    assert banded["Taux de rendu"] == banded["Tranche de taux de rendu"] == "≤ 20\u00a0%"
    assert "0" not in set(frame["À l'heure"])


def test_an_empty_attribute_is_not_a_hidden_figure():
    """school_week_number is empty in the holidays: that is no secret, it stays empty."""
    frame = pd.DataFrame(
        {
            "school_uai": ["0920001B"],
            "role": ["eleve"],
            "week_start": [dt.date(2025, 10, 20)],
            "school_year": ["2025-2026"],
            "school_week_number": [None],
            "enrolled": [400],
            "active_users": [None],
            "adoption_rate": [None],
            "adoption_rate_band": [None],
            "is_suppressed": [True],
        }
    )
    cells = exports.export_cells(frame, "adoption_weekly").iloc[0]
    assert cells["school_week_number"] is None
    assert cells["active_users"] == cells["adoption_rate"] == labels.SUPPRESSED_TEXT
    assert cells["enrolled"] == 400


def test_excel_has_bold_french_headers_numbers_and_hidden_cells_in_words(homework):
    workbook = load_workbook(io.BytesIO(exports.excel_bytes(homework, MART, "Devoirs: 3A [T1]")))
    sheet = workbook.worksheets[0]
    assert sheet.title == "Devoirs  3A  T1"  # Excel refuses : [ ] in a sheet title
    header = [cell.value for cell in sheet[1]]
    assert header == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    published, masked, banded = (list(row) for row in sheet.iter_rows(min_row=2, max_row=4))
    assert published[0].value == dt.datetime(2025, 9, 1) and published[0].number_format == "dd/mm/yyyy"
    assert [cell.value for cell in published[1:4]] == [25, 18, 4]
    assert published[5].value == 0.88 and published[5].number_format == "0%"
    assert [cell.value for cell in masked[1:6]] == [labels.SUPPRESSED_TEXT] * 5
    assert masked[7].value == "oui"
    assert [cell.value for cell in banded[1:6]] == [6, *[labels.SUPPRESSED_TEXT] * 3, "≤ 20\u00a0%"]
    values = [cell.value for row in sheet.iter_rows(min_row=3, max_row=3) for cell in row]
    assert 0 not in values
    definitions = workbook[exports.DEFINITIONS_SHEET]
    assert definitions["A2"].value == "Semaine du"
    assert "Lundi de la semaine" in definitions["B2"].value


def test_chart_config_saves_a_png_named_in_french_without_the_plotly_logo():
    config = exports.chart_config("Conseil de classe — 3ᵉ A (T1)")
    assert config["displaylogo"] is False and config["displayModeBar"] is True
    assert config["toImageButtonOptions"] == {
        "format": "png",
        "filename": "conseil-de-classe-3e-a-t1",
        "scale": 2,
    }


def test_pdf_text_says_in_latin_1_what_the_font_cannot_draw():
    assert exports.pdf_text("≥ 95\u00a0%") == "95\u00a0% ou plus"
    assert exports.pdf_text("≤ 5\u202f%") == "5\u00a0% ou moins"
    assert exports.pdf_text("1\u202f234 élèves — cœur’s") == "1\u00a0234 élèves - coeur's"
    assert exports.pdf_text("3ᵉ A") == "3e A"
    assert exports.pdf_text("été, à, ç, « »").encode("latin-1")


def test_weekday_load_masks_a_weekday_with_a_masked_day():
    daily = pd.DataFrame({"weekday": [1, 1, 2, 2, 3], "homework_due": [2, 3, 1, None, 4]})
    load = exports.weekday_load(daily)
    assert load["homework_due"].tolist() == [5, None, 4, 0, 0, 0, 0]


def summary(homework: pd.DataFrame, **changes) -> exports.ClassCouncilSummary:
    fields = {
        "school_uai": "0920001B",
        "class_id": "3e Bleue",
        "school_year": "2025-2026",
        "term": "T1",
        "data_through": dt.date(2025, 12, 19),
        "homework": homework,
        "regularity": pd.DataFrame(
            {
                "school_weeks": [11],
                "weeks_with_entries": [8],
                "regularity": [8 / 11],
                "is_suppressed": [False],
            }
        ),
        "homework_load": pd.DataFrame({"weekday": [1, 2, 3, 4, 5], "homework_due": [3, None, 2, 1, 0]}),
        "parent_reach": pd.DataFrame(
            {
                "month_start": [dt.date(2025, 9, 1), dt.date(2025, 10, 1)],
                "pupils": [25, 24],
                "reach": [None, 0.5],
                "reach_band": ["≥ 95\u00a0%", None],
                "is_suppressed": [False, False],
            }
        ),
        "school_name": "Collège Évariste-Galois",
    }
    return exports.ClassCouncilSummary(**{**fields, **changes})


def pdf_text_of(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(reader.pages[0].extract_text().split())


def test_class_council_pdf_is_one_french_page(homework):
    content = exports.class_council_pdf(summary(homework))
    assert content.startswith(b"%PDF")
    pages, text = pdf_text_of(content)
    assert pages == 1
    assert "Conseil de classe : 3e Bleue" in text
    assert "Collège Évariste-Galois (0920001B) · T1 2025-2026" in text
    plain = text.replace("\u00a0", " ")
    assert "1 septembre 2025 25 18 4 3 88 %" in plain
    # A masked week, and a small group's counts withheld beside its band, each share one cell.
    assert "8 septembre 2025 masqué (secret statistique) 15 septembre 2025" in plain
    assert "15 septembre 2025 6 masqué (secret statistique) 20 % ou moins" in plain
    assert "masqué (secret statistique)" in text
    assert "Régularité : 8 semaine(s) de classe sur 11" in text
    assert "95 % ou plus" in text.replace("\u00a0", " ")  # the band, said in Latin-1
    assert "moins de 5 personnes est masquée" in text
    assert "Données jusqu'au 19 décembre 2025" in text


def test_the_longest_term_still_fits_on_one_page():
    weeks = [dt.date(2025, 9, 1) + dt.timedelta(weeks=offset) for offset in range(20)]
    masked_weeks = pd.DataFrame(
        {
            "week_start": weeks,
            "expected": [None] * 20,
            "on_time": [None] * 20,
            "late": [None] * 20,
            "missing": [None] * 20,
            "submission_rate": [None] * 20,
            "is_suppressed": [True] * 20,
        }
    )
    months = pd.DataFrame(
        {
            "month_start": [dt.date(2025, month, 1) for month in range(1, 13)],
            "pupils": [None] * 12,
            "reach": [None] * 12,
            "is_suppressed": [True] * 12,
        }
    )
    seven_days = pd.DataFrame({"weekday": range(1, 8), "homework_due": [None] * 7})
    content = exports.class_council_pdf(
        summary(masked_weeks, parent_reach=months, homework_load=seven_days, regularity=pd.DataFrame())
    )
    pages, text = pdf_text_of(content)
    assert pages == 1
    assert "Dimanche" in text and "Règle de confidentialité" in text
