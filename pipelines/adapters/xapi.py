"""xAPI 1.0.3 statements from a learning record store: a JSON array (or an LRS
StatementResult `{"statements": […]}`) in a `.json` file, or JSON Lines in `.jsonl`/`.ndjson`.

Read from each statement: `id`, `actor` (its one identifier: `account.name`, `mbox`,
`mbox_sha1sum` or `openid`), `verb.id`, `object.id`, `object.definition.type`, `timestamp`
and three context extensions (school, role, class) named in data_contracts/mappings/xapi.yaml.
Nothing else is read: names (`actor.name`), results, attachments and the rest never leave
DuckDB's reader. A `mbox` becomes the SHA-1 of its mailto IRI (what xAPI's
`mbox_sha1sum` is), so both forms of one mailbox are one person; that value is then
pseudonymized like any user id and never stored.

The statements are checked by hand-written SQL rules taken from the xAPI 1.0.3 statement
structure (the maintained Python models, ralph-malph, are not available from this
project's package index). Quarantined on purpose, each with its rule:
- a line or element that is not a JSON object;
- an actor that is a Group, or has no identifier, or a `mbox` that is not a mailto: IRI;
- a statement without `verb.id`, or without `timestamp` (never dated by `stored`, which is
  when the LRS received it, possibly days later);
- a verb, an activity (definition type and object id prefix) or a school (extension or
  host) missing from the mapping, with the value named.
A statement without `id` gets the SHA-256 of its text as id, so a re-export is a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.adapters.base import (
    Adapter,
    json_records,
    register_table,
    text,
    unmapped,
)
from pipelines.ingestion import sql_literal


def _path(*keys: str) -> str:
    """A JSON path whose keys may hold dots and slashes (extension IRIs)."""
    return sql_literal("$" + "".join('."' + key.replace('"', '\\"') + '"' for key in keys))


@dataclass(frozen=True)
class XapiAdapter(Adapter):
    def _register(self, connection: duckdb.DuckDBPyConnection) -> dict:
        mapping = self.mapping
        for table, key in (
            ("verbs", "verb_id"),
            ("activity_types", "definition_type"),
            ("activity_prefixes", "prefix"),
            ("hosts", "host"),
            ("roles", "role_value"),
        ):
            rows = [(name, value) for name, value in (mapping.get(table) or {}).items()]
            register_table(connection, f"map_xapi_{table}", (key, "value"), rows)
        return mapping

    def open_landed(self, connection: duckdb.DuckDBPyConnection, path: Path) -> None:
        mapping = self._register(connection)

        def get(*keys: str) -> str:
            return text(f"json_extract_string(statement, {_path(*keys)})")

        extension = {
            name: get("context", "extensions", str(mapping[f"{name}_extension"]))
            if mapping.get(f"{name}_extension")
            else "cast(null as varchar)"
            for name in ("school", "role", "class")
        }
        default_role = sql_literal(str(mapping.get("default_role") or "eleve"))
        default_service = sql_literal(str(mapping.get("default_service") or "")) + "::varchar"
        connection.execute(
            self.landed_view(
                f"""
                with statements as (select file_row, file_line, record as statement from ({json_records(path)})),

                parsed as (
                    select
                        file_row,
                        file_line,
                        statement,
                        {get("id")} as statement_id,
                        {get("actor", "objectType")} as actor_type,
                        {get("actor", "account", "name")} as account_name,
                        {get("actor", "mbox")} as mbox,
                        lower({get("actor", "mbox_sha1sum")}) as mbox_sha1sum,
                        {get("actor", "openid")} as openid,
                        {get("verb", "id")} as verb_id,
                        {get("object", "id")} as object_id,
                        {get("object", "definition", "type")} as definition_type,
                        {get("timestamp")} as timestamp_text,
                        {extension["school"]} as school_extension,
                        {extension["role"]} as role_extension,
                        {extension["class"]} as class_extension
                    from statements
                ),

                identified as (
                    select
                        *,
                        regexp_extract(object_id, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1) as host,
                        case
                            when account_name is not null then account_name
                            when mbox is not null then 'mbox_sha1sum:' || sha1(mbox)
                            when mbox_sha1sum is not null then 'mbox_sha1sum:' || mbox_sha1sum
                            when openid is not null then 'openid:' || openid
                        end as user_id
                    from parsed
                ),

                prefixed as (
                    select identified.file_row, arg_max(prefixes.value, length(prefixes.prefix)) as service
                    from identified
                    inner join map_xapi_activity_prefixes as prefixes
                        on starts_with(identified.object_id, prefixes.prefix)
                    group by identified.file_row
                ),

                mapped as (
                    select
                        identified.*,
                        verbs.value as action,
                        coalesce(types.value, prefixed.service, nullif({default_service}, '')) as service,
                        coalesce(identified.school_extension, hosts.value) as school_uai,
                        case
                            when identified.role_extension is null then {default_role}
                            else roles.value
                        end as role
                    from identified
                    left join map_xapi_verbs as verbs on identified.verb_id = verbs.verb_id
                    left join map_xapi_activity_types as types on identified.definition_type = types.definition_type
                    left join prefixed on identified.file_row = prefixed.file_row
                    left join map_xapi_hosts as hosts on identified.host = hosts.host
                    left join map_xapi_roles as roles on lower(identified.role_extension) = roles.role_value
                )

                select
                    file_row,
                    file_line,
                    coalesce(statement_id, 'sha256:' || sha256(statement::varchar)) as event_id,
                    timestamp_text as occurred_at,
                    user_id,
                    role,
                    school_uai,
                    service,
                    action,
                    class_extension as class_id,
                    cast(null as varchar) as discipline,
                    object_id,
                    cast(null as varchar) as due_at,
                    case
                        when statement is null then 'not a JSON object'
                        when actor_type = 'Group' then 'actor is a group, not a person'
                        when user_id is null
                            then 'actor has no identifier (account, mbox, mbox_sha1sum or openid)'
                        when account_name is null and mbox is not null and not starts_with(lower(mbox), 'mailto:')
                            then 'actor mbox is not a mailto: IRI'
                        when verb_id is null then 'statement without verb.id'
                        when timestamp_text is null then 'statement without timestamp'
                        when action is null then {unmapped("verb", "verb_id")}
                        when service is null
                            then {unmapped("activity", "coalesce(definition_type, host, '(no type, no host)')")}
                        when school_uai is null then {unmapped("school", "coalesce(host, '(no host)')")}
                        when role is null then {unmapped("role", "role_extension")}
                    end as record_error
                from mapped
                """
            )
        )


XAPI = XapiAdapter(
    source="xapi",
    mapping_name="xapi",
    suffixes=(".json", ".jsonl", ".ndjson"),
    description="xAPI 1.0.3 statements (JSON array or JSON Lines)",
)
