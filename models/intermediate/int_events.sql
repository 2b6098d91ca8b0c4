-- int_events: one row per distinct event; a re-delivered event_id counts once (first delivery wins).
-- Grain: source event (event_key). Privacy: pseudonymized users, hour-truncated times.
-- Dates and weeks are Europe/Paris local: the warehouse session runs in that time zone.
with staged_events as (
    select * from staging.stg_events
),

first_deliveries as (
    select *
    from staged_events
    qualify row_number() over (
        partition by event_key
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
