"""The "Données et confidentialité" page shows exactly the notice `reperes privacy-report` writes."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines.privacy_report import ReleaseFacts, render_privacy_report
from tests.dashboards.conftest import DATA_THROUGH, DEPARTEMENT, sign_in

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


def test_the_dashboard_page_shows_the_same_notice(published_db):
    app = sign_in(AppTest.from_file(APP, default_timeout=30).run(), DEPARTEMENT)
    app.switch_page("app_pages/confidentialite.py").run()
    assert not app.exception
    shown = "\n".join(block.value for block in app.markdown)
    expected = render_privacy_report(
        ReleaseFacts(data_through=DATA_THROUGH, k_school=5, cells_published=380, cells_suppressed=27)
    )
    assert expected.strip() in shown


def test_the_cli_writes_the_same_notice_to_a_file(published_db_file, tmp_path):
    import shutil

    from pipelines.cli import main

    shutil.copy(published_db_file, tmp_path / "published.duckdb")
    main(["privacy-report", "--data-dir", str(tmp_path)])
    written = (tmp_path / "donnees-et-confidentialite.md").read_text(encoding="utf-8")
    expected = render_privacy_report(
        ReleaseFacts(data_through=DATA_THROUGH, k_school=5, cells_published=380, cells_suppressed=27)
    )
    assert written == expected
