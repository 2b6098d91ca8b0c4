"""Identical figures whichever source: one scenario of activity, delivered as the native
contract, as ODE's event store (MongoDB JSON Lines and PostgreSQL CSV), as xAPI statements, as
Moodle's logstore and as Moodle's log report, goes through the whole pipeline (`run_pipeline`,
Dagster, every asset, one roster); the marts, the published tables and the events per hour,
role, service and action are the same for all of them. The same holds when the roster comes
from the académie directory (AAF XML files in landing/aaf/) instead of our roster CSV.

The scenario: 12 pupils of class 6A of 0920001B (roster ids 101 to 112) each open the course
space on 2025-09-03 at 10:00 (Paris) and again on 2025-09-04 at 10:00; pupils 101 to 106
also log in at 08:00 on 2025-09-04. The mappings are the shipped YAML files, through
REPERES_MAPPINGS_DIR, with what an installation whose LRS and Moodle know the ENT account ids
would set: `pseudonym_source: ent` for xAPI, Moodle and the AAF (their ids are the roster's), a Moodle
course without class, an xAPI activity type for log-ins. The log report has no ids, only
names, which no roster can match: for it the events are compared, not the roster-based marts.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml

from pipelines.adapters.base import DEFAULT_MAPPINGS_DIR, MAPPINGS_DIR_ENV_VAR
from pipelines.runner import run_pipeline
from tests.conftest import TEST_KEY_HEX

pytestmark = pytest.mark.slow

UAI = "0920001B"
STRUCTURE = "b3f8a1c2-0001-4c1e-9a10-000000000001"  # 0920001B in ode.yaml
PARIS = ZoneInfo("Europe/Paris")
DAYS = ("2025-09-03", "2025-09-04")
# (day, local time, pupil number, what): what is "course" (course space, view) or "login".
SCENARIO = [(day, "10:00", pupil, "course") for day in DAYS for pupil in range(1, 13)] + [
    ("2025-09-04", "08:00", pupil, "login") for pupil in range(1, 7)
]
# Tables whose rows depend on file names or on run times, not on the activity.
NOT_COMPARED = ("data_quality", "release_info", "calendar")
ROSTER = "user_id,role,school_uai,class_id\n" + "".join(f"{100 + n},eleve,{UAI},6A\n" for n in range(1, 13))
EVENTS_PER_HOUR = """
    select school_uai, role, service, action, occurred_hour, count(*) as events, count(distinct user_key) as users
    from intermediate.int_events group by all order by all
"""


def moment(day: str, time: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}:00").replace(tzinfo=PARIS)


def native(day: str) -> str:
    lines = ["event_id,occurred_at,user_id,role,school_uai,service,action"]
    for index, (when, time, pupil, what) in enumerate(SCENARIO):
        if when == day:
            service, action = ("espace_cours", "view") if what == "course" else ("portail", "login")
            lines.append(
                f"e{index},{moment(day, time).isoformat()},{100 + pupil},eleve,{UAI},{service},{action}"
            )
    return "\n".join(lines) + "\n"


def ode(day: str) -> str:
    lines = []
    for index, (when, time, pupil, what) in enumerate(SCENARIO):
        if when == day:
            event_type, module = ("ACCESS", "Pages") if what == "course" else ("LOGIN", "Auth")
            milliseconds = int(moment(day, time).timestamp() * 1000)
            lines.append(
                json.dumps(
                    {
                        "_id": f"ode-{index}",
                        "event-type": event_type,
                        "module": module,
                        "date": milliseconds,
                        "userId": f"{100 + pupil}",
                        "profil": "Student",
                        "structures": [STRUCTURE],
                        "ua": "Mozilla/5.0",
                    }
                )
            )
    return "\n".join(lines) + "\n"


def ode_postgres(day: str) -> str:
    """`\\copy events.<type>_events … csv header`: local Paris times, no structure (the platform's)."""
    lines = ["id,event_type,module,date,platform_id,ua,user_id,profile,resource_type"]
    for index, (when, time, pupil, what) in enumerate(SCENARIO):
        if when == day:
            event_type, module = ("ACCESS", "Pages") if what == "course" else ("LOGIN", "Auth")
            lines.append(
                f"pg-{index},{event_type},{module},{day} {time}:00.000,ent-college-demo,Mozilla/5.0,"
                f"{100 + pupil},Student,"
            )
    return "\n".join(lines) + "\n"


def aaf_directory() -> dict[str, str]:
    """The roster as an AAF export: a structure file (jointure 1234 = the school) and the pupils."""

    def request(category: str, identifier: str, attributes: dict[str, str]) -> str:
        values = "".join(
            f'<attr name="{name}"><value>{value}</value></attr>' for name, value in attributes.items()
        )
        return (
            f'<addRequest><operationalAttributes><attr name="categoriePersonne"><value>{category}</value>'
            f"</attr></operationalAttributes><identifier><id>{identifier}</id></identifier>"
            f"<attributes>{values}</attributes></addRequest>\n"
        )

    head = '<?xml version="1.0" encoding="UTF-8"?>\n<ficAlimMENESR>\n'
    structure = request("", "1234", {"ENTStructureJointure": "1234", "ENTStructureUAI": UAI})
    pupils = "".join(
        request(
            "Eleve",
            f"{100 + n}",
            {
                "ENTPersonJointure": f"{100 + n}",
                "sn": "NOM",
                "ENTPersonStructRattach": "1234",
                "ENTEleveClasses": "1234$6A",
            },
        )
        for n in range(1, 13)
    )
    return {
        "ENT_Complet_EtabEducNat_0000.xml": head + structure + "</ficAlimMENESR>\n",
        "ENT_Complet_Eleve_0000.xml": head + pupils + "</ficAlimMENESR>\n",
    }


def xapi(day: str) -> str:
    statements = []
    for index, (when, time, pupil, what) in enumerate(SCENARIO):
        if when == day:
            verb = (
                "http://adlnet.gov/expapi/verbs/launched"
                if what == "course"
                else "https://w3id.org/xapi/adl/verbs/logged-in"
            )
            activity_type = (
                "http://adlnet.gov/expapi/activities/course"
                if what == "course"
                else "http://activitystrea.ms/schema/1.0/application"
            )
            statements.append(
                {
                    "id": f"00000000-0000-4000-8000-{index:012d}",
                    "actor": {"account": {"homePage": "https://ent.example.fr", "name": f"{100 + pupil}"}},
                    "verb": {"id": verb},
                    "object": {
                        "id": "https://lms.example.fr/course/12",
                        "definition": {"type": activity_type},
                    },
                    "timestamp": moment(day, time).isoformat(),
                }
            )
    return json.dumps(statements, indent=1)


def moodle(day: str) -> str:
    lines = ["id,eventname,component,action,target,crud,edulevel,contextlevel,contextinstanceid,"
             "userid,courseid,relateduserid,timecreated,origin,ip,realuserid"]  # fmt: skip
    for index, (when, time, pupil, what) in enumerate(SCENARIO):
        if when == day:
            seconds = int(moment(day, time).timestamp())
            if what == "course":
                event = "\\core\\event\\course_viewed,core,viewed,course,r,2,50,2"
                course = 2
            else:
                event = "\\core\\event\\user_loggedin,core,loggedin,user,r,0,10,0"
                course = 0
            lines.append(f"{index + 1},{event},{100 + pupil},{course},NULL,{seconds},web,192.0.2.1,NULL")
    return "\n".join(lines) + "\n"


def moodle_report(day: str) -> str:
    lines = [
        "Heure,Nom complet de l'utilisateur,Utilisateur concerné,Contexte de l'événement,Composant,"
        "Nom de l'événement,Description,Origine,Adresse IP"
    ]
    for when, time, pupil, what in SCENARIO:
        if when == day:
            local = moment(day, time).strftime("%d/%m/%y, %H:%M")
            event = "Cours consulté" if what == "course" else "Utilisateur connecté"
            lines.append(f'"{local}",Élève {pupil:02d},-,Cours : 6A,Système,{event},-,web,192.0.2.1')
    return "\n".join(lines) + "\n"


SOURCES = {
    "events": (native, ".csv"),
    "ode": (ode, ".jsonl"),
    "ode-postgres": (ode_postgres, ".csv"),
    "xapi": (xapi, ".json"),
    "moodle": (moodle, ".csv"),
    "moodle-report": (moodle_report, ".csv"),
}


def mappings(root: Path) -> Path:
    """The shipped mapping files; Moodle course 2 without a class, and an xAPI type for log-ins."""
    directory = root / "mappings"
    shutil.copytree(DEFAULT_MAPPINGS_DIR, directory)
    moodle_mapping = yaml.safe_load((directory / "moodle.yaml").read_text(encoding="utf-8"))
    moodle_mapping["courses"] = {"2": {"school": UAI}}
    moodle_mapping["pseudonym_source"] = "ent"
    (directory / "moodle.yaml").write_text(
        yaml.safe_dump(moodle_mapping, allow_unicode=True), encoding="utf-8"
    )
    xapi_mapping = yaml.safe_load((directory / "xapi.yaml").read_text(encoding="utf-8"))
    xapi_mapping["activity_types"]["http://activitystrea.ms/schema/1.0/application"] = "portail"
    xapi_mapping["pseudonym_source"] = "ent"
    (directory / "xapi.yaml").write_text(yaml.safe_dump(xapi_mapping, allow_unicode=True), encoding="utf-8")
    aaf_mapping = yaml.safe_load((directory / "aaf.yaml").read_text(encoding="utf-8"))
    aaf_mapping["pseudonym_source"] = "ent"
    (directory / "aaf.yaml").write_text(yaml.safe_dump(aaf_mapping, allow_unicode=True), encoding="utf-8")
    return directory


def figures(data_dir: Path) -> dict[str, list[tuple]]:
    """Every mart (exact figures), every published table, and the events per hour."""
    tables = {}
    for file, schema in (("warehouse.duckdb", "marts"), ("published.duckdb", "main")):
        with duckdb.connect(str(data_dir / file), read_only=True) as connection:
            names = connection.execute(
                "select table_name from duckdb_tables() where schema_name = ? order by table_name", [schema]
            ).fetchall()
            for (name,) in names:
                if not name.startswith(NOT_COMPARED):
                    rows = connection.execute(f'select * from {schema}."{name}"').fetchall()
                    tables[f"{file}:{name}"] = sorted(rows, key=repr)
            if schema == "marts":
                tables["events_per_hour"] = connection.execute(EVENTS_PER_HOUR).fetchall()
    return tables


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[tuple]]]:
    root = tmp_path_factory.mktemp("same-figures")
    monkeypatch = pytest.MonkeyPatch()
    for name in ("REPERES_PSEUDONYM_KEY_FILE", "REPERES_DATA_DIR", "REPERES_LANDING_DIR", "DAGSTER_HOME"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("REPERES_PSEUDONYM_KEY", TEST_KEY_HEX)
    monkeypatch.setenv(MAPPINGS_DIR_ENV_VAR, str(mappings(root)))
    results = {}
    try:
        for source, (render, suffix) in [*SOURCES.items(), ("aaf", (native, ".csv"))]:
            landing = root / source / "landing"
            folder = "events" if source == "aaf" else source  # "aaf": native events, AAF roster
            (landing / folder).mkdir(parents=True)
            if source == "aaf":
                (landing / "aaf").mkdir()
                for name, text in aaf_directory().items():
                    (landing / "aaf" / name).write_text(text, encoding="utf-8")
            else:
                (landing / "roster").mkdir()
                (landing / "roster" / "roster.csv").write_text(ROSTER, encoding="utf-8")
            for day in DAYS:
                (landing / folder / f"{day}{suffix}").write_text(render(day), encoding="utf-8")
            outcome = run_pipeline(landing, root / source / "data", keep_landing=True)
            summary = outcome.summary
            assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (30, 30, 0), source
            assert (summary.roster_rows_loaded, summary.roster_rows_quarantined) == (12, 0), source
            results[source] = figures(root / source / "data")
    finally:
        monkeypatch.undo()
    return results


def test_the_native_run_counts_the_scenario(releases):
    tables = releases["events"]
    usage = tables["warehouse.duckdb:service_usage_weekly"]
    # school, role, service, week, enrolled, users: the week of Monday 2025-09-01.
    assert [row[:6] for row in usage if row[1] == "eleve" and row[2] in ("espace_cours", "portail")] == [
        (UAI, "eleve", "espace_cours", date(2025, 9, 1), 12, 12),
        (UAI, "eleve", "portail", date(2025, 9, 1), 12, 6),
    ]
    assert [row[-2:] for row in tables["events_per_hour"]] == [(12, 12), (12, 12), (6, 6)]


@pytest.mark.parametrize("source", ["ode", "ode-postgres", "xapi", "moodle", "aaf"])
def test_each_source_gives_the_same_marts_and_release_as_the_native_contract(releases, source):
    assert releases[source].keys() == releases["events"].keys()
    for table, rows in releases["events"].items():
        assert releases[source][table] == rows, table


def test_the_log_report_gives_the_same_events(releases):
    """Names are not roster ids: the report's events are the same, its persons match no roster."""
    assert releases["moodle-report"]["events_per_hour"] == releases["events"]["events_per_hour"]
