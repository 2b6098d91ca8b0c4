"""Moodle: the `logstore_standard_log` table as CSV, and the "Journaux" report of a course.

`logstore_standard_log` (landing/moodle/): one row per event with `id`, `eventname`,
`component`, `action`, `target`, `crud`, `edulevel`, `contextlevel`, `contextinstanceid`,
`userid`, `courseid`, `relateduserid`, `realuserid`, `timecreated` (Unix seconds), `origin`,
`ip`, … Only the columns named below are read; `ip`, `relateduserid` and `other` never are.
The "Journaux" report (landing/moodle-report/): Heure / Time (day-first, Europe/Paris),
Nom complet de l'utilisateur / User full name, Utilisateur concerné, Contexte de l'événement,
Composant, Nom de l'événement / Event name, Description, Origine, Adresse IP. It has no user
id: the full name is the user id, pseudonymized at the door like one and never stored.

Quarantined on purpose (each a rule of its own, so that data_quality_rules counts them):
- origin `cli` or `restore`: scheduled tasks and course restores, not a person's action;
- a "log in as" row (`realuserid` set; in the report, "X en tant que Y" / "X as Y"): the
  action was done by an administrator in the user's name, it belongs to neither;
- `userid` 0 or empty (not logged in, or the guest page before log-in);
- `anonymous` = 1 (an anonymous forum post, an anonymous feedback or questionnaire answer):
  Moodle promised the person their action would not be tied to them. Kept without a user it
  would break the contract (user_id is required); kept under its pseudonym it would break
  that promise. So it is quarantined under its own rule, counted, never attributed;
- an eventname (or component) or a course missing from data_contracts/mappings/moodle.yaml;
- a user whose role in the role file (`users_file`) is a Moodle role the mapping does not know.

Roles: Moodle's log has none. The role comes, in this order, from `users` in moodle.yaml
(a few accounts by hand), from `users_file` (a CSV `userid,role`, e.g. an export of Moodle's
role assignments, the role a contract role or a Moodle role shortname mapped by
`role_names`), from Moodle's teaching level (edulevel 1), else `default_role`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.adapters.base import (
    Adapter,
    csv_reader,
    epoch_to_iso,
    mappings_dir,
    register_table,
    text,
    unmapped,
)
from pipelines.ingestion import sql_literal

SYSTEM_ORIGINS = ("cli", "restore")
LOGGED_AS_RULE = "'log in as' row: done by another account in the user's name"
NO_USER_RULE = "no user (userid 0: not logged in)"
ANONYMOUS_RULE = "anonymous row (anonymous = 1): never attributed to a user"
CONTRACT_ROLES = ("eleve", "parent", "enseignant", "personnel", "autre")


class MappingError(ValueError):
    """A mapping file that points to something missing: the run stops and says which."""


def users_file_reader(mapping: dict) -> str | None:
    """SQL reading the role file named by `users_file` (relative: to the mapping folder)."""
    name = mapping.get("users_file")
    if not name:
        return None
    path = Path(str(name))
    if not path.is_absolute():
        path = mappings_dir() / path
    if not path.is_file():
        raise MappingError(f"moodle.yaml users_file: {path} does not exist (a CSV with columns userid,role).")
    return (
        f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true, "
        "columns = {'userid': 'VARCHAR', 'role': 'VARCHAR'})"
    )


def _present_columns(connection: duckdb.DuckDBPyConnection, reader: str) -> dict[str, str]:
    """Lower-cased header -> the header as written in the file."""
    return {
        row[0].strip().lower(): row[0]
        for row in connection.execute(f"describe select * from {reader}").fetchall()
    }


def _column(present: dict[str, str], *names: str) -> str:
    """The first of `names` the file has, as trimmed text (SQL NULL exports as NULL or \\N), else null."""
    for name in names:
        if name.lower() in present:
            quoted = '"' + present[name.lower()].replace('"', '""') + '"'
            return f"nullif(nullif({text(quoted)}, 'NULL'), '\\N')"
    return "cast(null as varchar)"


@dataclass(frozen=True)
class MoodleLogstoreAdapter(Adapter):
    def _register(self, connection: duckdb.DuckDBPyConnection) -> dict:
        mapping = self.mapping
        events = [
            (name, spec.get("service"), spec.get("action"))
            for name, spec in (mapping.get("events") or {}).items()
        ]
        register_table(connection, "map_moodle_events", ("eventname", "service", "action"), events)
        components = list((mapping.get("components") or {}).items())
        register_table(connection, "map_moodle_components", ("component", "service"), components)
        register_table(
            connection, "map_moodle_crud", ("crud", "action"), list((mapping.get("crud") or {}).items())
        )
        courses = [
            (str(course), (spec or {}).get("school"), (spec or {}).get("class_id"))
            for course, spec in (mapping.get("courses") or {}).items()
        ]
        register_table(connection, "map_moodle_courses", ("courseid", "school_uai", "class_id"), courses)
        users = [(str(user), role) for user, role in (mapping.get("users") or {}).items()]
        register_table(connection, "map_moodle_users", ("userid", "role"), users)
        role_names = [(str(name).lower(), role) for name, role in (mapping.get("role_names") or {}).items()]
        role_names += [(role, role) for role in CONTRACT_ROLES]
        register_table(connection, "map_moodle_role_names", ("role_name", "role"), role_names)
        reader = users_file_reader(mapping)
        # A user listed several times keeps the first row of the file. The view reads the file
        # at each load: account ids stay inside DuckDB's reader, as for the log itself.
        connection.execute(
            "create or replace temp view moodle_users_file as "
            + (
                f"""
                select trim(userid) as userid, arg_min(lower(trim(role)), file_row) as role_name
                from (select *, ordinality as file_row from {reader} with ordinality)
                where nullif(trim(userid), '') is not null
                group by trim(userid)
                """
                if reader
                else "select cast(null as varchar) as userid, cast(null as varchar) as role_name limit 0"
            )
        )
        return mapping

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        mapping = self._register(connection)
        reader = csv_reader(path)
        present = _present_columns(connection, reader)
        column = {
            name: _column(present, name)
            for name in (
                "id",
                "eventname",
                "component",
                "crud",
                "edulevel",
                "contextlevel",
                "contextinstanceid",
                "userid",
                "courseid",
                "realuserid",
                "timecreated",
                "origin",
                "anonymous",
            )
        }
        site_school = sql_literal(str(mapping.get("site_school") or "")) + "::varchar"
        to_site = "true" if mapping.get("unmapped_course_to_site") else "false"
        default_role = sql_literal(str(mapping.get("default_role") or "eleve"))
        teaching_role = sql_literal(
            str(mapping.get("teaching_level_role") or mapping.get("default_role") or "eleve")
        )
        system = ", ".join(sql_literal(origin) for origin in SYSTEM_ORIGINS)
        connection.execute(
            self.landed_view(
                f"""
                with rows as (
                    select
                        ordinality as file_row,
                        {column["id"]} as id,
                        {column["eventname"]} as eventname,
                        {column["component"]} as component,
                        lower({column["crud"]}) as crud,
                        {column["edulevel"]} as edulevel,
                        {column["contextlevel"]} as contextlevel,
                        {column["contextinstanceid"]} as contextinstanceid,
                        {column["userid"]} as userid,
                        {column["courseid"]} as courseid,
                        {column["realuserid"]} as realuserid,
                        {column["timecreated"]} as timecreated,
                        lower({column["origin"]}) as origin,
                        {column["anonymous"]} as anonymous
                    from {reader} with ordinality
                ),

                mapped as (
                    select
                        rows.*,
                        coalesce(events.service, components.service) as service,
                        coalesce(events.action, case when components.service is not null then crud.action end)
                            as action,
                        case
                            when rows.courseid is null or rows.courseid in ('0', '1') then nullif({site_school}, '')
                            when courses.courseid is not null then courses.school_uai
                            when {to_site} then nullif({site_school}, '')
                        end as school_uai,
                        case when rows.courseid not in ('0', '1') then courses.class_id end as class_id,
                        courses.courseid is null and rows.courseid not in ('0', '1') and not {to_site}
                            as course_unmapped,
                        users_file.role_name as file_role_name,
                        case
                            when users.role is not null then users.role
                            when users_file.role_name is not null then file_roles.role
                            when rows.edulevel = '1' then {teaching_role}
                            else {default_role}
                        end as role
                    from rows
                    left join map_moodle_events as events on rows.eventname = events.eventname
                    left join map_moodle_components as components
                        on events.eventname is null and rows.component = components.component
                    left join map_moodle_crud as crud on rows.crud = crud.crud
                    left join map_moodle_courses as courses on rows.courseid = courses.courseid
                    left join map_moodle_users as users on rows.userid = users.userid
                    left join moodle_users_file as users_file on rows.userid = users_file.userid
                    left join map_moodle_role_names as file_roles on users_file.role_name = file_roles.role_name
                )

                select
                    file_row,
                    cast(null as bigint) as file_line,
                    id as event_id,
                    case
                        when regexp_full_match(timecreated, '[0-9]{{9,11}}') then {epoch_to_iso("timecreated")}
                        else timecreated
                    end as occurred_at,
                    userid as user_id,
                    role,
                    school_uai,
                    service,
                    action,
                    class_id,
                    cast(null as varchar) as discipline,
                    case when contextlevel = '70' then contextinstanceid end as object_id,
                    cast(null as varchar) as due_at,
                    case
                        when origin in ({system}) then 'system row (origin ' || origin || '): not a person''s action'
                        when realuserid is not null and realuserid <> '0' then {sql_literal(LOGGED_AS_RULE)}
                        when anonymous = '1' then {sql_literal(ANONYMOUS_RULE)}
                        when userid = '0' then {sql_literal(NO_USER_RULE)}
                        when service is null or action is null
                            then {unmapped("eventname", "coalesce(eventname, component, '(none)')")}
                        when course_unmapped then {unmapped("course", "courseid")}
                        when role is null then {unmapped("role", "file_role_name")}
                    end as record_error
                from mapped
                """
            )
        )


@dataclass(frozen=True)
class MoodleReportAdapter(Adapter):
    """The "Journaux" report: French or English headers, day-first local times."""

    @property
    def report(self) -> dict:
        return self.mapping.get("report") or {}

    @property
    def pseudonym_source(self) -> str:
        return str(self.report.get("pseudonym_source") or self.source)

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        report = self.report
        events = [
            (name, spec.get("service"), spec.get("action"), spec.get("role"))
            for name, spec in (report.get("events") or {}).items()
        ]
        register_table(
            connection, "map_moodle_report_events", ("event_name", "service", "action", "role"), events
        )
        reader = csv_reader(path)
        present = _present_columns(connection, reader)
        time = _column(present, "Heure", "Time", "Date")
        full_name = _column(present, "Nom complet de l'utilisateur", "User full name")
        context = _column(present, "Contexte de l'événement", "Event context")
        component = _column(present, "Composant", "Component")
        event_name = _column(present, "Nom de l'événement", "Event name")
        description = _column(present, "Description")
        origin = _column(present, "Origine", "Origin")
        formats = ", ".join(
            sql_literal(pattern)
            for pattern in (
                "%d/%m/%y, %H:%M:%S",
                "%d/%m/%y, %H:%M",
                "%d/%m/%Y, %H:%M:%S",
                "%d/%m/%Y, %H:%M",
                "%d/%m/%y %H:%M:%S",
                "%d/%m/%y %H:%M",
                "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M",
            )
        )
        school = sql_literal(str(report.get("school") or "")) + "::varchar"
        class_id = sql_literal(str(report.get("class_id") or "")) + "::varchar"
        default_role = sql_literal(str(report.get("default_role") or "eleve"))
        system = ", ".join(sql_literal(value) for value in SYSTEM_ORIGINS)
        connection.execute(
            self.landed_view(
                f"""
                with rows as (
                    select
                        ordinality as file_row,
                        {time} as time_text,
                        {full_name} as full_name,
                        {context} as context,
                        {component} as component,
                        {event_name} as event_name,
                        {description} as description,
                        lower({origin}) as origin
                    from {reader} with ordinality
                )

                select
                    rows.file_row,
                    cast(null as bigint) as file_line,
                    'report:' || sha256(concat_ws(chr(31), rows.time_text, rows.full_name, rows.context,
                        rows.component, rows.event_name, rows.description, rows.origin)) as event_id,
                    coalesce(
                        strftime(try_strptime(rows.time_text, [{formats}]), '%Y-%m-%dT%H:%M:%S'), rows.time_text
                    ) as occurred_at,
                    nullif(rows.full_name, '-') as user_id,
                    coalesce(events.role, {default_role}) as role,
                    nullif({school}, '') as school_uai,
                    events.service,
                    events.action,
                    nullif({class_id}, '') as class_id,
                    cast(null as varchar) as discipline,
                    cast(null as varchar) as object_id,
                    cast(null as varchar) as due_at,
                    case
                        when rows.origin in ({system}) then 'system row (origin ' || rows.origin || '): not a person''s action'
                        when regexp_matches(rows.full_name, ' (en tant que|as) ') then {sql_literal(LOGGED_AS_RULE)}
                        when events.event_name is null
                            then {unmapped("event name", "coalesce(rows.event_name, '(none)')")}
                    end as record_error
                from rows
                left join map_moodle_report_events as events on rows.event_name = events.event_name
                """
            )
        )


MOODLE = MoodleLogstoreAdapter(
    source="moodle",
    mapping_name="moodle",
    suffixes=(".csv",),
    description="Moodle logstore_standard_log table (CSV)",
)
MOODLE_REPORT = MoodleReportAdapter(
    source="moodle-report",
    mapping_name="moodle",
    suffixes=(".csv",),
    description='Moodle "Journaux" report of a course (CSV, French or English)',
)
