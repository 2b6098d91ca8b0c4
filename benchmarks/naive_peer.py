"""The naive peer of `reperes bench`: the skeleton's three marts in plain pandas, as in a notebook.

    python benchmarks/naive_peer.py LANDING_DIR [--out DIR]

What an analyst would write from DESIGN.md §3 with the landing files at hand: load every event
file into one DataFrame, then group and merge. No pseudonyms, no contract checks beyond the
roles the pipeline would quarantine, no suppression, no publication: the pipeline does much
more, so being faster than this is the least it owes. The benchmark runs this file in its own
process so that its peak memory is measured apart from the pipeline's; it imports only pandas
(and pyarrow through it), as a notebook would.

The definitions follow the marts' SQL (models/marts/adoption_weekly.sql,
service_usage_weekly.sql, homework_class_weekly.sql), so that on the same files the counts are
the same: tests/test_benchmark.py checks it on a small département. With --out, the three
tables are written as Parquet files for that comparison.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROLES = ["eleve", "parent", "enseignant", "personnel", "autre"]
SERVICES = [
    "portail",
    "cahier_de_textes",
    "devoirs",
    "messagerie",
    "espace_cours",
    "calendrier",
    "actualites",
    "ressources",
    "autre",
]
PARIS = "Europe/Paris"
# An empty enrolment bound means the whole period (DESIGN.md §2): far enough either way.
OPEN_START, OPEN_END = "1900-01-01", "2200-12-31"


def load_events(events_dir: Path) -> pd.DataFrame:
    """Every day file, in delivery order, so that keeping the first copy of an event_id keeps its
    first delivery (a re-delivered event counts once). Times become Paris time, to the hour."""
    files = sorted(events_dir.glob("*.parquet"))
    events = pd.concat((pd.read_parquet(path) for path in files), ignore_index=True)
    events = events[events["role"].isin(ROLES)]  # what the pipeline quarantines
    events = events.drop_duplicates("event_id", keep="first")
    events["occurred_hour"] = events["occurred_at"].dt.tz_convert(PARIS).dt.floor("h")
    events["due_at"] = events["due_at"].dt.tz_convert(PARIS).dt.floor("min")
    local_day = events["occurred_hour"].dt.tz_localize(None).dt.normalize()
    events["week_start"] = local_day - pd.to_timedelta(local_day.dt.day_of_week, unit="D")
    return events


def load_roster(roster_file: Path) -> pd.DataFrame:
    roster = pd.read_csv(roster_file, dtype=str)
    roster = roster[roster["role"].isin(ROLES)]
    roster["start_date"] = pd.to_datetime(roster["start_date"]).fillna(pd.Timestamp(OPEN_START))
    roster["end_date"] = pd.to_datetime(roster["end_date"]).fillna(pd.Timestamp(OPEN_END))
    return roster


def enrolled_user_weeks(roster: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """(user, school, role, week) for every week from the first to the last with events in which
    the user's enrolment period overlaps the week."""
    weeks = pd.DataFrame(
        {"week_start": pd.date_range(events["week_start"].min(), events["week_start"].max(), freq="7D")}
    )
    members = roster[["user_id", "school_uai", "role", "start_date", "end_date"]].merge(weeks, how="cross")
    overlapping = (members["start_date"] <= members["week_start"] + pd.Timedelta(days=6)) & (
        members["end_date"] >= members["week_start"]
    )
    return members.loc[overlapping, ["user_id", "school_uai", "role", "week_start"]].drop_duplicates()


def adoption_weekly(enrolled: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    active = events[["user_id", "school_uai", "week_start"]].drop_duplicates()
    active["is_active"] = True
    users = enrolled.merge(active, on=["user_id", "school_uai", "week_start"], how="left")
    users["is_active"] = users["is_active"].fillna(False).astype(bool)
    table = (
        users.groupby(["school_uai", "role", "week_start"])
        .agg(enrolled=("user_id", "size"), active_users=("is_active", "sum"))
        .reset_index()
    )
    table["adoption_rate"] = table["active_users"] / table["enrolled"]
    return table


def service_usage_weekly(enrolled: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    by_service = events[["user_id", "school_uai", "service", "week_start"]].drop_duplicates()
    used = (
        enrolled.merge(by_service, on=["user_id", "school_uai", "week_start"])
        .groupby(["school_uai", "role", "service", "week_start"])
        .size()
        .rename("users")
        .reset_index()
    )
    groups = enrolled.groupby(["school_uai", "role", "week_start"]).size().rename("enrolled").reset_index()
    table = groups.merge(pd.DataFrame({"service": SERVICES}), how="cross").merge(
        used, on=["school_uai", "role", "service", "week_start"], how="left"
    )
    table["users"] = table["users"].fillna(0).astype("int64")
    table["reach"] = table["users"] / table["enrolled"]
    return table


def homework_class_weekly(roster: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Expected = pupils of the class enrolled on the due date; status from the first submit."""
    created = events[
        (events["service"] == "devoirs")
        & (events["action"] == "create")
        & events["due_at"].notna()
        & events["object_id"].notna()
        & events["class_id"].notna()
    ].sort_values("occurred_hour", kind="stable")
    # The class of the first posting; the deadline of the latest (a homework posted again).
    homework = created.groupby(["school_uai", "object_id"]).agg(
        class_id=("class_id", "first"), due_at=("due_at", "last")
    )
    homework = homework.reset_index()
    due_day = homework["due_at"].dt.tz_localize(None).dt.normalize()
    homework["week_start"] = due_day - pd.to_timedelta(due_day.dt.day_of_week, unit="D")
    homework["due_day"] = due_day

    pupils = roster.loc[
        roster["role"] == "eleve", ["user_id", "school_uai", "class_id", "start_date", "end_date"]
    ]
    expected = homework.merge(pupils, on=["school_uai", "class_id"])
    expected = expected[
        (expected["start_date"] <= expected["due_day"]) & (expected["end_date"] >= expected["due_day"])
    ].drop_duplicates(["school_uai", "object_id", "user_id"])

    submits = events[
        (events["service"] == "devoirs") & (events["action"] == "submit") & events["object_id"].notna()
    ]
    first_submits = (
        submits.groupby(["school_uai", "object_id", "user_id"])["occurred_hour"].min().rename("first_submit")
    )
    expected = expected.merge(
        first_submits.reset_index(), on=["school_uai", "object_id", "user_id"], how="left"
    )
    horizon = events["occurred_hour"].max()
    submitted = expected["first_submit"].notna()
    expected["on_time"] = submitted & (expected["first_submit"] <= expected["due_at"])
    expected["late"] = submitted & ~expected["on_time"]
    expected["missing"] = ~submitted & (expected["due_at"] < horizon)
    expected["pending"] = ~submitted & ~expected["missing"]

    keys = ["school_uai", "class_id", "week_start"]
    counts = expected.groupby(keys).agg(
        pupils=("user_id", "nunique"),
        expected=("user_id", "size"),
        on_time=("on_time", "sum"),
        late=("late", "sum"),
        missing=("missing", "sum"),
        pending=("pending", "sum"),
    )
    table = homework.groupby(keys).size().rename("homework_count").to_frame().join(counts).reset_index()
    for column in ("pupils", "expected", "on_time", "late", "missing", "pending"):
        table[column] = table[column].fillna(0).astype("int64")
    table["submission_rate"] = (table["on_time"] + table["late"]) / table["expected"].where(
        table["expected"] > 0
    )
    table["on_time_rate"] = table["on_time"] / table["expected"].where(table["expected"] > 0)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "landing", type=Path, help="the landing folder: events/*.parquet and roster/roster.csv"
    )
    parser.add_argument("--out", type=Path, help="write the three tables there as Parquet")
    arguments = parser.parse_args(argv)

    events = load_events(arguments.landing / "events")
    roster = load_roster(arguments.landing / "roster" / "roster.csv")
    enrolled = enrolled_user_weeks(roster, events)
    tables = {
        "adoption_weekly": adoption_weekly(enrolled, events),
        "service_usage_weekly": service_usage_weekly(enrolled, events),
        "homework_class_weekly": homework_class_weekly(roster, events),
    }
    if arguments.out:
        arguments.out.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            table.to_parquet(arguments.out / f"{name}.parquet", index=False)
    print(" ".join(f"{name}={len(table)}" for name, table in tables.items()))


if __name__ == "__main__":
    main()
