"""The landing sensor asks for one run over exactly the delivery days that changed."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.ingestion.sensors import landing_files_sensor
from pipelines.defs.resources import WarehouseResource


def evaluate(landing, cursor):
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={
            "warehouse": WarehouseResource(data_dir=str(landing.parent / "data"), landing_dir=str(landing))
        },
    )
    result = landing_files_sensor(context)
    return result, context.cursor


def day_range(result) -> tuple[str, str]:
    return (
        result.tags["dagster/asset_partition_range_start"],
        result.tags["dagster/asset_partition_range_end"],
    )


def test_new_files_request_their_days_and_nothing_twice(tmp_path):
    landing = tmp_path / "landing"
    (landing / "events").mkdir(parents=True)
    (landing / "roster").mkdir()
    for day in ("2025-09-01", "2025-09-02", "2025-09-04"):
        (landing / "events" / f"{day}.csv").write_text("event_id\n")
    (landing / "events" / "notes.txt").write_text("not a landing file")

    first, cursor = evaluate(landing, None)
    assert isinstance(first, dg.RunRequest)
    assert day_range(first) == ("2025-09-01", "2025-09-04")

    again, cursor = evaluate(landing, cursor)
    assert isinstance(again, dg.SkipReason)

    (landing / "events" / "2025-09-03_late.csv").write_text("event_id\n")  # a late day arrives
    late, cursor = evaluate(landing, cursor)
    assert day_range(late) == ("2025-09-03", "2025-09-03")

    (landing / "roster" / "roster.csv").write_text("user_id\n")  # a new roster alone
    roster_only, _ = evaluate(landing, cursor)
    assert day_range(roster_only) == ("2025-09-04", "2025-09-04")


def test_missing_landing_folder_is_a_skip_with_its_reason(tmp_path):
    result, _ = evaluate(tmp_path / "nowhere", None)
    assert isinstance(result, dg.SkipReason)
    assert "does not exist" in result.skip_message
