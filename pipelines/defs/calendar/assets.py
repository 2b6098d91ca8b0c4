"""The school calendar of the installation's zone, as a table the models join on."""

from datetime import date

import dagster as dg
import pyarrow as pa

from pipelines.calendar_table import calendar_rows
from pipelines.defs.partitions import WAREHOUSE_POOL
from pipelines.defs.resources import WarehouseResource
from pipelines.settings import CALENDAR_FIRST_DAY, SCHOOL_ZONE


@dg.asset(group_name="staging", kinds={"duckdb"}, pool=WAREHOUSE_POOL)
def stg_school_calendar(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per day: its ISO week, school year, whether pupils have school, and the holiday's name (zone C by default)."""
    rows = calendar_rows(date.fromisoformat(CALENDAR_FIRST_DAY), SCHOOL_ZONE)
    # One Arrow table rather than executemany: a statement per day took about 0.9 s of every run.
    names = ("day", "week_start", "school_year", "is_school_day", "holiday_name")
    days = pa.table({name: [row[index] for row in rows] for index, name in enumerate(names)})
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
        connection.register("calendar_days", days)
        connection.execute("insert into staging.stg_school_calendar by name select * from calendar_days")
        connection.unregister("calendar_days")
        connection.execute("commit")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": len(rows), "zone": SCHOOL_ZONE, "last_day": str(rows[-1][0])}
    )
