"""Données et confidentialité: the transparency notice, the same text as `reperes privacy-report`."""

import streamlit as st

from dashboards import data
from pipelines.privacy_report import render_privacy_report

report = render_privacy_report(data.release_facts())
st.markdown(report)
st.download_button(
    "Télécharger cette notice (Markdown)",
    data=report,
    file_name="reperes-donnees-et-confidentialite.md",
    mime="text/markdown",
)
