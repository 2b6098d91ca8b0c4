"""Rule 9: the dashboard can only read the published release, and nothing else on disk."""

import duckdb
import pytest

from dashboards import data


def test_the_dashboard_connection_cannot_write_or_reach_other_files(published_db, tmp_path):
    release = data.current_release()
    connection = data._connect(release)
    with connection.cursor() as cursor:
        assert cursor.execute("select count(*) from published.main.adoption_weekly").fetchone()[0] > 0
        with pytest.raises(duckdb.Error, match="read-only|read only"):
            cursor.execute("create table published.main.stolen as select 1 as x")
        with pytest.raises(duckdb.Error):
            cursor.execute(f"copy (select 1) to '{tmp_path / 'out.csv'}'")
        with pytest.raises(duckdb.Error):
            cursor.execute(f"attach '{tmp_path / 'other.duckdb'}' as other")
        with pytest.raises(duckdb.Error):
            cursor.execute("set enable_external_access = true")
