"""xAPI 1.0.3 statements from a learning record store: a JSON array (or an LRS
StatementResult `{"statements": […]}`) in a `.json` file, or JSON Lines in `.jsonl`/`.ndjson`.

Read from each statement: `id`, `actor` (its one identifier: `account.name`, `mbox`,
`mbox_sha1sum` or `openid`), `verb.id`, `object.id`, `object.definition.type`, `timestamp`
and three context extensions (school, role, class) named in data_contracts/mappings/xapi.yaml.
Nothing else is read: names (`actor.name`), results, attachments and the rest never leave
DuckDB's reader. A `mbox` becomes the SHA-1 of its mailto IRI (what xAPI's
`mbox_sha1sum` is), so both forms of one mailbox are one person; that value is then
pseudonymized like any user id and never stored.

Each statement is validated against xAPI 1.0.3 by the maintained pydantic models of Ralph
(ralph-malph, `BaseXapiStatement`): an id that is not a UUID, an IRI that is not one, a
malformed timestamp, a missing object… is quarantined with the field and the kind of error
(never the value, which may be personal). Before that model, a few rules of our own, with
clearer words, for what the product must refuse even when xAPI allows it. Quarantined on
purpose, each with its rule:
- a line or element that is not a JSON object;
- an actor that is a Group, or has no identifier, or a `mbox` that is not a mailto: IRI;
- a statement without `verb.id`, or without `timestamp` (never dated by `stored`, which is
  when the LRS received it, possibly days later);
- a statement the xAPI model refuses ("not a valid xAPI 1.0.3 statement: verb.id: …");
- a verb, an activity (definition type and object id prefix) or a school (extension or
  host) missing from the mapping, with the value named.
A statement without `id` gets the SHA-256 of its text as id, so a re-export is a duplicate.

Voiding (xAPI 1.0.3, "Voided"): a statement with verb `http://adlnet.gov/expapi/verbs/voided`
and an object `{"objectType": "StatementRef", "id": <statement id>}` cancels that statement.
Neither counts: the voiding statement is quarantined ("voiding statement: …": it is not an
activity), and so is the statement it voids ("voided statement: …"), whenever each arrives:
- in the same file: the landed view sees both, so a dry run (--check) says it too;
- in another file or day, before or after: each load records the voided statements' keys
  (pseudonyms of their ids, like event_key) in staging.xapi_voided_statements, tagged with
  the voiding file, then moves every loaded row of those keys from stg_events to the
  quarantine (its own file's counts follow: rows_loaded - 1, rows_quarantined + 1).
It is idempotent: re-running the voiding file's day deletes its keys and records them again;
re-running the voided file's day loads the row again and moves it again; a voiding file
archived since still voids, its keys staying in staging like rows of archived files.
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
from pipelines.ingestion import sql_literal, utf8_readable

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
VOIDING_RULE = "voiding statement: cancels another statement, not an activity"
VOIDED_RULE = "voided statement: cancelled by a voiding statement"
VOIDING_WITHOUT_REFERENCE_RULE = "voiding statement whose object is not a StatementRef with an id"
VOIDED_TABLE = "staging.xapi_voided_statements"


def _path(*keys: str) -> str:
    """A JSON path whose keys may hold dots and slashes (extension IRIs)."""
    return sql_literal("$" + "".join('."' + key.replace('"', '\\"') + '"' for key in keys))


MODEL_ERROR_RULE = "not a valid xAPI 1.0.3 statement"
MODEL_ERRORS_TABLE = "xapi_model_errors"
VALIDATION_BATCH = 10_000


def model_error(failure) -> str:
    """Ralph's error as '<rule>: <field>: <kind>', without the value. An actor is a union of
    agent shapes, and pydantic reports every shape's complaint: the first that is not a field
    missing or unexpected for that shape names what is wrong; the shapes' class names
    (BaseXapiAgentWithMbox…) are left out of the field's path."""
    errors = failure.errors()
    first = next(
        (error for error in errors if error["type"] not in ("missing", "extra_forbidden")), errors[0]
    )
    path = ".".join(str(part) for part in first["loc"] if not (isinstance(part, str) and part[:1].isupper()))
    return f"{MODEL_ERROR_RULE}: {path or 'statement'}: {first['type'].replace('_', ' ')}"


def model_errors(connection: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[int, str]]:
    """(file_row, rule) of every JSON object of the file that xAPI 1.0.3's model refuses,
    validated in batches so that a large export never sits in memory whole."""
    from pydantic import ValidationError
    from ralph.models.xapi.base.statements import BaseXapiStatement

    errors: list[tuple[int, str]] = []
    result = connection.execute(
        f"select file_row, record::varchar from ({json_records(path)}) where record is not null"
    )
    while batch := result.fetchmany(VALIDATION_BATCH):
        for file_row, record in batch:
            try:
                BaseXapiStatement.model_validate_json(record)
            except ValidationError as failure:
                errors.append((file_row, model_error(failure)))
    return errors


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
        register_table(connection, MODEL_ERRORS_TABLE, ("file_row", "rule"), model_errors(connection, path))

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
                        {get("object", "objectType")} as object_type,
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

                voided_here as (
                    select distinct object_id as statement_id from parsed
                    where verb_id = {sql_literal(VOIDED_VERB)} and object_type = 'StatementRef'
                        and object_id is not null
                ),

                mapped as (
                    select
                        identified.*,
                        voided_here.statement_id is not null as voided,
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
                    left join voided_here on identified.statement_id = voided_here.statement_id
                )

                select
                    mapped.file_row,
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
                        when verb_id = {sql_literal(VOIDED_VERB)} and object_type = 'StatementRef'
                            and object_id is not null then {sql_literal(VOIDING_RULE)}
                        when verb_id = {sql_literal(VOIDED_VERB)} then {sql_literal(VOIDING_WITHOUT_REFERENCE_RULE)}
                        when voided then {sql_literal(VOIDED_RULE)}
                        when actor_type = 'Group' then 'actor is a group, not a person'
                        when user_id is null
                            then 'actor has no identifier (account, mbox, mbox_sha1sum or openid)'
                        when account_name is null and mbox is not null and not starts_with(lower(mbox), 'mailto:')
                            then 'actor mbox is not a mailto: IRI'
                        when verb_id is null then 'statement without verb.id'
                        when timestamp_text is null then 'statement without timestamp'
                        when model_errors.rule is not null then model_errors.rule
                        when action is null then {unmapped("verb", "verb_id")}
                        when service is null
                            then {unmapped("activity", "coalesce(definition_type, host, '(no type, no host)')")}
                        when school_uai is null then {unmapped("school", "coalesce(host, '(no host)')")}
                        when role is null then {unmapped("role", "role_extension")}
                    end as record_error
                from mapped
                left join {MODEL_ERRORS_TABLE} as model_errors
                    on mapped.file_row = cast(model_errors.file_row as bigint)
                """
            )
        )

    def forget_file(self, connection: duckdb.DuckDBPyConnection, delivered_on, file_name: str) -> None:
        _ensure_voided_table(connection)
        connection.execute(
            f"delete from {VOIDED_TABLE} where delivered_on = ? and file_name = ?", [delivered_on, file_name]
        )

    def after_load(
        self, connection: duckdb.DuckDBPyConnection, path: Path, file_name: str, delivered_on
    ) -> None:
        """Record the statements this file voids, then take every voided statement loaded so
        far, from any xAPI file, out of stg_events into the quarantine."""
        _ensure_voided_table(connection)
        with utf8_readable(path) as readable:
            connection.execute(
                f"""
                insert into {VOIDED_TABLE}
                select distinct pseudonym(?, target), ?, ?
                from (
                    select json_extract_string(record, '$.object.id') as target
                    from ({json_records(readable)})
                    where json_extract_string(record, '$.verb.id') = ?
                        and json_extract_string(record, '$.object.objectType') = 'StatementRef'
                )
                where target is not null
                """,
                [self.pseudonym_source, file_name, delivered_on, VOIDED_VERB],
            )
        quarantine_voided(connection, self.source)


def _ensure_voided_table(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists staging")
    connection.execute(
        f"create table if not exists {VOIDED_TABLE} (event_key varchar, file_name varchar, delivered_on date)"
    )


def quarantine_voided(connection: duckdb.DuckDBPyConnection, source: str) -> int:
    """Move the loaded rows of voided statements to the quarantine, each under its own file,
    and move their count from rows_loaded to rows_quarantined there: the balance holds."""
    condition = f"file_name like ? and event_key in (select event_key from {VOIDED_TABLE})"
    pattern = source + "/%"
    connection.execute(
        f"""
        create or replace temp table voided_rows as
        select delivered_on, file_name, file_row from staging.stg_events where {condition}
        """,
        [pattern],
    )
    moved = connection.execute("select count(*) from voided_rows").fetchone()[0]
    if moved:
        connection.execute(
            """
            insert into staging.quarantine
            select 'events', delivered_on, file_name, file_row, null, null, ?, null from voided_rows
            """,
            [VOIDED_RULE],
        )
        connection.execute(
            """
            update staging.file_loads
            set rows_loaded = file_loads.rows_loaded - moved.rows,
                rows_quarantined = file_loads.rows_quarantined + moved.rows
            from (select file_name, count(*) as rows from voided_rows group by file_name) as moved
            where file_loads.contract = 'events' and file_loads.file_name = moved.file_name
            """
        )
        connection.execute(f"delete from staging.stg_events where {condition}", [pattern])
    connection.execute("drop table voided_rows")
    return int(moved)


XAPI = XapiAdapter(
    source="xapi",
    mapping_name="xapi",
    suffixes=(".json", ".jsonl", ".ndjson"),
    description="xAPI 1.0.3 statements (JSON array or JSON Lines)",
)
