r"""Edifice / Open Digital Education ENT: its event store, from MongoDB (JSON Lines) or PostgreSQL (CSV).

MongoDB (landing/ode/):
One line per document of the MongoDB `events` collection: `_id`, `event-type`, `module`,
`date` (epoch milliseconds, or Mongo extended JSON `{"$date": …}`), `userId`, `profil`,
`structures[]`, `classes[]`, `groups[]`, and `referer`, `sessionId`, `ua`, which are never
read. Tables of data_contracts/mappings/ode.yaml turn event-type, module, profil and
structure ids into the contract's action, service, role and UAI.

Quarantined on purpose, with the value named: an event-type, module or profil missing from
the mapping, an event none of whose structures is mapped; and, by the contract's own rules,
a line that is not a JSON object, an event without `_id`, `date` or `userId`.
A user attached to several structures: the event counts once, in the first structure of its
`structures[]` list that the mapping knows.

PostgreSQL (landing/ode-postgres/): the `events.<type>_events` tables of ENT Core's
PostgresqlEventStore, each exported as CSV with a header (`\copy events.login_events to
'2025-09-03-login.csv' csv header`). Columns, as that store writes them: `id` (a UUID),
`event_type`, `date` (a local timestamp without offset, in the ENT server's time zone),
`platform_id`, `ua`, `user_id`, `profile`, `resource_type`, and the event's other attributes
(`module`, …); `events.unknown_events` has `module` and `payload` instead. This store drops
`structures`, `classes`, `groups`, `referer` and `sessionId` before writing, so the school
comes from a `structures` column when the export adds one (a join on the directory: a
PostgreSQL array `{a,b}`, a JSON array or one id), else from the platform (`postgres.platforms`
in ode.yaml, for a platform that serves one school). `ua` and `payload` are never read.
Quarantined on purpose, with the value named: an event_type, module or profile missing from
ode.yaml, a structure not mapped, a platform not mapped when the row has no structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.adapters.base import Adapter, csv_reader, json_records, register_table, text, unmapped
from pipelines.ingestion import sql_literal
from pipelines.settings import TIMEZONE


def _register(connection: duckdb.DuckDBPyConnection, mapping: dict) -> None:
    for table, key in (("event_types", "event_type"), ("modules", "module"), ("profiles", "profil")):
        rows = [(name, value) for name, value in (mapping.get(table) or {}).items()]
        register_table(connection, f"map_ode_{table}", (key, "value"), rows)
    structures = [(name, uai) for name, uai in (mapping.get("structures") or {}).items()]
    register_table(connection, "map_ode_structures", ("structure_id", "uai"), structures)


@dataclass(frozen=True)
class OdeAdapter(Adapter):
    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        _register(connection, self.mapping)
        field = "json_extract_string(record, '$.\"{}\"')".format
        date_text = (
            'coalesce(json_extract_string(record, \'$.date."$date"."$numberLong"\'), '
            "json_extract_string(record, '$.date.\"$date\"'), json_extract_string(record, '$.date'))"
        )
        event_id = text("coalesce(json_extract_string(record, '$._id.\"$oid\"'), " + field("_id") + ")")
        user_id, event_type, module, profil = (
            text(field(name)) for name in ("userId", "event-type", "module", "profil")
        )
        connection.execute(
            self.landed_view(
                f"""
                with lines as ({json_records(path)}),

                parsed as (
                    select
                        file_row,
                        file_line,
                        record,
                        {event_id} as event_id,
                        {text(date_text)} as date_text,
                        {user_id} as user_id,
                        {event_type} as event_type,
                        {module} as module,
                        {profil} as profil,
                        coalesce(json_extract_string(record, '$.structures[*]'), []) as structures
                    from lines
                ),

                first_mapped_structure as (
                    select file_row, arg_min(map.uai, listed.position) as uai
                    from (
                        select file_row, unnest(structures) as structure_id,
                            generate_subscripts(structures, 1) as position
                        from parsed
                    ) as listed
                    inner join map_ode_structures as map on listed.structure_id = map.structure_id
                    group by file_row
                )

                select
                    parsed.file_row,
                    parsed.file_line,
                    parsed.event_id,
                    case
                        when regexp_full_match(parsed.date_text, '[0-9]{{12,13}}')
                            then strftime(epoch_ms(cast(parsed.date_text as bigint)), '%Y-%m-%dT%H:%M:%S.%g') || 'Z'
                        else parsed.date_text
                    end as occurred_at,
                    parsed.user_id,
                    profiles.value as role,
                    first_mapped_structure.uai as school_uai,
                    modules.value as service,
                    event_types.value as action,
                    cast(null as varchar) as class_id,
                    cast(null as varchar) as discipline,
                    cast(null as varchar) as object_id,
                    cast(null as varchar) as due_at,
                    case
                        when parsed.record is null then 'not a JSON object'
                        when parsed.event_type is not null and event_types.value is null
                            then {unmapped("event-type", "parsed.event_type")}
                        when parsed.module is not null and modules.value is null
                            then {unmapped("module", "parsed.module")}
                        when parsed.profil is not null and profiles.value is null
                            then {unmapped("profil", "parsed.profil")}
                        when len(parsed.structures) > 0 and first_mapped_structure.uai is null
                            then {unmapped("structure", "parsed.structures[1]")}
                    end as record_error
                from parsed
                left join map_ode_event_types as event_types on parsed.event_type = event_types.event_type
                left join map_ode_modules as modules on parsed.module = modules.module
                left join map_ode_profiles as profiles on parsed.profil = profiles.profil
                left join first_mapped_structure on parsed.file_row = first_mapped_structure.file_row
                """
            )
        )


ODE = OdeAdapter(
    source="ode",
    mapping_name="ode",
    suffixes=(".jsonl", ".ndjson", ".json"),
    description="Edifice/ODE event store (JSON Lines of the MongoDB events collection)",
)


def _structure_list(value_sql: str) -> str:
    """A structures cell as a list of ids: PostgreSQL array text {a,b}, a JSON array, or one id."""
    return f"""(case
        when {value_sql} is null then []
        when json_valid({value_sql}) and json_type({value_sql}) = 'ARRAY'
            then cast(json_extract_string({value_sql}, '$[*]') as varchar[])
        else list_filter(
            list_transform(string_split(trim({value_sql}, '{{}}'), ','), lambda item: trim(item, ' "')),
            lambda item: item <> ''
        )
    end)"""


@dataclass(frozen=True)
class OdePostgresAdapter(Adapter):
    """ENT Core's PostgreSQL event store, one CSV per exported table (ode.yaml, section `postgres`)."""

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        mapping = self.mapping
        _register(connection, mapping)
        postgres = mapping.get("postgres") or {}
        platforms = [(name, uai) for name, uai in (postgres.get("platforms") or {}).items()]
        register_table(connection, "map_ode_platforms", ("platform_id", "uai"), platforms)
        time_zone = str(postgres.get("time_zone") or TIMEZONE)
        reader = csv_reader(path)
        present = {
            row[0].strip().lower(): row[0]
            for row in connection.execute(f"describe select * from {reader}").fetchall()
        }

        def column(name: str) -> str:
            if name not in present:
                return "cast(null as varchar)"
            return text('"' + present[name].replace('"', '""') + '"')

        # Naive Europe/Paris times go through as they are: the contract's own checks then
        # refuse the repeated and the skipped hour. Another server zone is converted to UTC.
        # Fractions of a second are cut first (LocalDateTime writes milliseconds): stored times
        # are hours anyway, and the contract's naive-time checks compare whole seconds.
        if time_zone == TIMEZONE:
            occurred_at = "regexp_replace(date_text, '\\.[0-9]+$', '')"
        else:
            occurred_at = (
                f"coalesce(strftime(timezone({sql_literal(time_zone)}, try_cast(date_text as timestamp)) "
                "at time zone 'UTC', '%Y-%m-%dT%H:%M:%S') || 'Z', date_text)"
            )
        connection.execute(
            self.landed_view(
                f"""
                with rows as (
                    select
                        ordinality as file_row,
                        {column("id")} as event_id,
                        {column("event_type")} as event_type,
                        {column("date")} as date_text,
                        {column("platform_id")} as platform_id,
                        {column("user_id")} as user_id,
                        {column("profile")} as profile,
                        {column("module")} as module,
                        {_structure_list(column("structures"))} as structures
                    from {reader} with ordinality
                ),

                first_mapped_structure as (
                    select file_row, arg_min(map.uai, listed.position) as uai
                    from (
                        select file_row, unnest(structures) as structure_id,
                            generate_subscripts(structures, 1) as position
                        from rows
                    ) as listed
                    inner join map_ode_structures as map on listed.structure_id = map.structure_id
                    group by file_row
                )

                select
                    rows.file_row,
                    cast(null as bigint) as file_line,
                    rows.event_id,
                    {occurred_at} as occurred_at,
                    rows.user_id,
                    profiles.value as role,
                    coalesce(first_mapped_structure.uai, case when len(rows.structures) = 0 then platforms.uai end)
                        as school_uai,
                    modules.value as service,
                    event_types.value as action,
                    cast(null as varchar) as class_id,
                    cast(null as varchar) as discipline,
                    cast(null as varchar) as object_id,
                    cast(null as varchar) as due_at,
                    case
                        when rows.event_type is not null and event_types.value is null
                            then {unmapped("event-type", "rows.event_type")}
                        when rows.module is not null and modules.value is null
                            then {unmapped("module", "rows.module")}
                        when rows.profile is not null and profiles.value is null
                            then {unmapped("profil", "rows.profile")}
                        when len(rows.structures) > 0 and first_mapped_structure.uai is null
                            then {unmapped("structure", "rows.structures[1]")}
                        when len(rows.structures) = 0 and platforms.uai is null
                            then {unmapped("platform", "coalesce(rows.platform_id, '(none)')")}
                    end as record_error
                from rows
                left join map_ode_event_types as event_types on rows.event_type = event_types.event_type
                left join map_ode_modules as modules on rows.module = modules.module
                left join map_ode_profiles as profiles on rows.profile = profiles.profil
                left join map_ode_platforms as platforms on rows.platform_id = platforms.platform_id
                left join first_mapped_structure on rows.file_row = first_mapped_structure.file_row
                """
            )
        )


ODE_POSTGRES = OdePostgresAdapter(
    source="ode-postgres",
    mapping_name="ode",
    suffixes=(".csv",),
    description="Edifice/ODE event store in PostgreSQL (events.<type>_events tables exported as CSV)",
)
