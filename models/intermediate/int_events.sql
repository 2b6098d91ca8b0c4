-- int_events: one row per distinct event; a re-delivered event_id counts once (first delivery wins)
-- within the day it claims: a copy dated another day is another day's evidence, so that a
-- day can be rebuilt from its own rows.
-- Grain: source event (event_key). Privacy: pseudonymized users, hour-truncated times.
-- Dates and weeks are Europe/Paris local: the warehouse session runs in that time zone.
-- Incremental by occurred_on: a run rebuilds only the days of its window (pipelines/incremental.py).
with staged_events as (
    select * from staging.stg_events
    where occurred_hour >= getvariable('recompute_start') and occurred_hour < getvariable('recompute_end')
),

first_deliveries as (
    select *
    from staged_events
    qualify row_number() over (
        partition by event_key, cast(occurred_hour as date)
        order by delivered_on, file_name, file_row
    ) = 1
),

final as (
    select
        user_key,
        role,
        school_uai,
        service,
        action,
        class_id,
        discipline,
        object_id,
        due_at,
        occurred_hour,
        cast(occurred_hour as date) as occurred_on,
        cast(date_trunc('week', cast(occurred_hour as date)) as date) as week_start,
        delivered_on,
        file_name,
    from first_deliveries
)

select * from final
