"""The school calendar of the installation's zone, as a table the models join on."""

from datetime import date

import dagster as dg

from pipelines.calendar_table import calendar_rows
from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.settings import CALENDAR_FIRST_DAY, SCHOOL_ZONE


@dg.asset(group_name="staging", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def stg_school_calendar(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per day: its ISO week, school year, whether pupils have school, and the holiday's name (zone C by default)."""
    rows = calendar_rows(date.fromisoformat(CALENDAR_FIRST_DAY), SCHOOL_ZONE)
    with warehouse.connect() as connection:
        connection.execute("begin transaction")
        connection.execute(
            """
            create or replace table staging.stg_school_calendar (
                day date primary key,
                week_start date,
                school_year varchar,
                is_school_day boolean,
                holiday_name varchar
            )
            """
        )
        connection.executemany("insert into staging.stg_school_calendar values (?, ?, ?, ?, ?)", rows)
        connection.execute("commit")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(rows), "zone": SCHOOL_ZONE, "last_day": str(rows[-1][0])}
    )
