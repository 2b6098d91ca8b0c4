"""Rule 8: no published table has a grain at which one teacher can be singled out.

Teacher activity may be shown per class (all disciplines together) or for a team of at
least k teachers, never per discipline within a school, nor per person. The grains come from
models/marts/_privacy.yml, which the release refuses to publish without.
"""

from pipelines.models import discover_models
from pipelines.privacy.catalog import load_catalog

# Dimensions that never identify a teacher: a class holds many teachers, a role or service many users.
SAFE_DIMENSIONS = {
    "school_uai",
    "role",
    "service",
    "class_id",
    "week_start",
    "month_start",
    "due_on",
    "school_year",
    "term",
    # The data-quality tables: a delivery file holds a whole day of the ENT, a rule any row.
    "contract",
    "delivered_on",
    "file_name",
    "column_name",
    "rule",
}
PERSON_COLUMNS = {"user_key", "user_id", "teacher", "teacher_key", "author"}


def test_every_published_grain_is_above_the_person_and_the_school_discipline():
    catalog = load_catalog()
    published = {model.name for model in discover_models(("marts",))}
    assert published <= set(catalog.tables), "every mart declares its grain"
    for name, table in catalog.tables.items():
        grain = set(table.grain)
        assert not grain & PERSON_COLUMNS, f"{name} is published per person"
        if "discipline" in grain:
            # A discipline inside one school is often one teacher: only across schools, at k = 10.
            assert "school_uai" not in grain and table.audience == "department", name
        else:
            assert grain <= SAFE_DIMENSIONS, f"{name} has an unexpected dimension {grain - SAFE_DIMENSIONS}"


def test_no_mart_selects_a_discipline_or_person_column_at_school_level():
    catalog = load_catalog()
    for model in discover_models(("marts",)):
        if "school_uai" not in catalog.tables[model.name].grain:
            continue  # across schools, at k = 10: the first test checks the audience
        final_select = model.sql.split("final as (")[-1]
        for column in PERSON_COLUMNS | {"discipline"}:
            assert f" as {column}," not in final_select and f"        {column},\n" not in final_select, (
                model.name
            )
