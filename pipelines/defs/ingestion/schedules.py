"""The daily run: each morning, yesterday's delivery day (files arrive during the day)."""

import dagster as dg

from pipelines.defs.jobs import refresh_all

daily_refresh = dg.build_schedule_from_partitioned_job(
    refresh_all,
    hour_of_day=6,
    description="Every morning at 06:00 Paris time: load yesterday's delivery and publish.",
)
