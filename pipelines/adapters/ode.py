"""Edifice / Open Digital Education ENT: the event store exported as JSON Lines.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.adapters.base import Adapter, json_records, register_table, text, unmapped


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
