"""What every section of the pages shows the same way: a chart, its definition, its numbers.

A section is a heading whose `?` gives the indicator's definition from the metrics dictionary,
the chart (its finding as its title, a PNG from the modebar's camera), a caption, and under
"Voir les données" the same numbers as a table with the CSV and Excel downloads.

The downloads are built when clicked, not on every run (Streamlit's deferred `data=`): an Excel
workbook takes tens of milliseconds, and a page has several tables; building them all at each
change of filter would cost more than the rest of the page. The price (Streamlit 1.67): each run
gives the buttons new file ids, and the previous run's are dropped as soon as any session ends a
run; a click on a button still shown while its page reruns can then fail ("Failed to generate file
for download", under the button) and works again once the page has settled.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards import exports, labels


def heading(text: str, mart: str, *columns: str, note: str = "") -> None:
    """A section heading whose help is the dictionary's definition of the columns it shows, then `note`."""
    definitions = [
        f"**{labels.column_title(column, mart)}** : {labels.help_text(mart, column)}" for column in columns
    ]
    st.subheader(text, help="\n\n".join([*definitions, *([note] if note else [])]) or None)


def chart(figure: go.Figure, name: str) -> None:
    """The chart, full width, with the modebar that saves it as `<name>.png`."""
    st.plotly_chart(
        figure, width="stretch", config=exports.chart_config(name), key=f"chart-{exports.file_stem(name)}"
    )


def download_buttons(frame: pd.DataFrame, mart: str, name: str) -> None:
    """Two buttons under a table: its CSV and its Excel workbook, named after `name`, built only
    when clicked (the one way every page offers a table's files)."""
    stem = exports.file_stem(name)
    left, right = st.columns(2)
    with left:
        st.download_button(
            "Télécharger (CSV)",
            data=_deferred(exports.csv_bytes, frame, mart),
            file_name=f"{stem}.csv",
            mime=exports.CSV_MIME,
            key=f"csv-{stem}",
            icon=":material/download:",
            on_click="ignore",
        )
    with right:
        st.download_button(
            "Télécharger (Excel)",
            data=_deferred(exports.excel_bytes, frame, mart, name),
            file_name=f"{stem}.xlsx",
            mime=exports.EXCEL_MIME,
            key=f"xlsx-{stem}",
            icon=":material/download:",
            on_click="ignore",
        )


def _deferred(build: Callable[..., bytes], *arguments) -> Callable[[], bytes]:
    def deferred() -> bytes:
        return build(*arguments)

    return deferred


def data_view(frame: pd.DataFrame, mart: str, name: str, label: str = "Voir les données") -> None:
    """ "Voir les données": the numbers of the chart as a table, masked cells spelled out, and
    their downloads. Empty cells that are not masked say why they are empty (labels)."""
    explained = labels.explain_not_applicable(frame)
    with st.expander(label):
        st.dataframe(
            labels.french_table(explained, mart),
            column_config=labels.column_help(explained, mart),
            hide_index=True,
            width="stretch",
        )
        download_buttons(explained, mart, name)


def plain_table(frame: pd.DataFrame, name: str, mart: str) -> None:
    """A table already in French (its own headers), with its downloads, outside an expander."""
    st.dataframe(frame, hide_index=True, width="stretch")
    download_buttons(frame, mart, name)
