-- stg_events: one row per valid event row of one landing file, as delivered (duplicates kept).
-- Grain: landing file × row. Privacy: user_id and event_id leave as keyed pseudonyms
-- (DESIGN.md §4 rule 2), occurred_at is truncated to the hour (rule 3), and no column
-- outside the contract exists here (rule 1).
-- Reads the temp view `landed_checked` opened by pipelines/ingestion.py for one file, or for a
-- batch of native Parquet files: each row carries its file's name and delivery day.
-- Every row of the file goes through, valid or not: ingestion stores the valid ones here and
-- the others, by their verdict (violation, observed_value, file_line), in the quarantine.
with landed as (
    select * from landed_checked
),

-- One keyed hash per account of the file, not per event: an account acts many times a day,
-- and the hash is most of the cost of loading a row.
accounts as (
    select distinct landed.user_id
    from landed
    where landed.user_id is not null
),

user_keys as (
    select
        accounts.user_id,
        pseudonym($source, accounts.user_id) as user_key,
    from accounts
),

final as (
    select
        pseudonym($source, landed.event_id) as event_key,  -- noqa: RF02
        user_keys.user_key,
        date_trunc('hour', try_cast(landed.occurred_at as timestamptz)) as occurred_hour,
        landed.role,
        landed.school_uai,
        landed.service,
        landed.action,
        landed.class_id,
        landed.discipline,
        landed.object_id,
        date_trunc('minute', try_cast(landed.due_at as timestamptz)) as due_at,
        landed.delivered_on,
        landed.file_name,
        landed.file_row,
        landed.file_line,
        landed.violation,
        landed.observed_value,
    from landed
    left join user_keys on landed.user_id = user_keys.user_id
)

select * from final
