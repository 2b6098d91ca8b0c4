"""The benchmark's synthetic release has the release's tables and columns, so that what it
measures is what the pages do on a real one (dashboards/benchmark.py, `make bench-dashboard`)."""

import duckdb

from dashboards import benchmark
from pipelines import metrics
from pipelines.privacy.catalog import load_catalog


def test_the_synthetic_release_has_every_published_table_with_its_columns(tmp_path):
    published = benchmark.build_release(tmp_path / "published.duckdb", schools=6, years=1)
    catalog = load_catalog()
    with duckdb.connect(str(published), read_only=True) as connection:
        for mart in [*catalog.tables, *catalog.derived_tables]:
            columns = [
                row[0]
                for row in connection.execute(
                    "select column_name from information_schema.columns where table_name = ? "
                    "order by ordinal_position",
                    [mart],
                ).fetchall()
            ]
            assert sorted(columns) == sorted(metrics.published_columns(mart)), mart
        schools, masked, banded = connection.execute(
            "select count(distinct school_uai), count(*) filter (where is_suppressed), "
            "count(*) filter (where adoption_rate_band is not null) from adoption_weekly"
        ).fetchone()
        assert schools == 6 and masked + banded > 0
        # Rows in the order of their grain, as the pipeline writes them.
        first_schools = connection.execute("select school_uai from adoption_weekly limit 3").fetchall()
        assert len(set(first_schools)) == 1


def test_percentiles():
    assert benchmark.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert benchmark.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == 4.8
