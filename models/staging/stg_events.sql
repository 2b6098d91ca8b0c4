-- stg_events: one row per valid event row of one landing file, as delivered (duplicates kept).
-- Grain: landing file × row. Privacy: user_id and event_id leave as keyed pseudonyms
-- (DESIGN.md §4 rule 2), occurred_at is truncated to the hour (rule 3), and no column
-- outside the contract exists here (rule 1).
-- Reads the temp view `landed_checked` opened by pipelines/ingestion.py for one file.
-- Every row of the file goes through, valid or not: ingestion stores the valid ones here and
-- the others, by their verdict (violation, observed_value, file_line), in the quarantine.
with landed as (
    select * from landed_checked
),

final as (
    select
        pseudonym($source, event_id) as event_key,
        pseudonym($source, user_id) as user_key,
        date_trunc('hour', try_cast(occurred_at as timestamptz)) as occurred_hour,
        role,
        school_uai,
        service,
        action,
        class_id,
        discipline,
        object_id,
        date_trunc('minute', try_cast(due_at as timestamptz)) as due_at,
        cast($delivered_on as date) as delivered_on,
        $file_name as file_name,
        file_row,
        file_line,
        violation,
        observed_value,
    from landed
)

select * from final
