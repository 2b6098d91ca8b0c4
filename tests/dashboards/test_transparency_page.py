"""The "Données et confidentialité" page shows exactly the notice `reperes privacy-report` writes."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines.privacy_report import ReleaseFacts, render_privacy_report
from tests.dashboards.conftest import DATA_THROUGH

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def test_the_dashboard_page_shows_the_same_notice(published_db):
    app = AppTest.from_file(APP, default_timeout=30).run()
    app.switch_page("app_pages/confidentialite.py").run()
    assert not app.exception
    shown = "\n".join(block.value for block in app.markdown)
    expected = render_privacy_report(
        ReleaseFacts(data_through=DATA_THROUGH, k_school=5, cells_published=380, cells_suppressed=27)
    )
    assert expected.strip() in shown
