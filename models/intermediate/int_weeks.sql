-- int_weeks: one row per ISO week (Monday) from the first to the last week with events.
-- Grain: week. Weeks without any event still appear, so that a quiet week shows as a drop.
with events as (
    select * from intermediate.int_events
),

bounds as (
    select
        min(week_start) as first_week,
        max(week_start) as last_week,
    from events
),

final as (
    select cast(unnest(generate_series(first_week, last_week, interval 7 day)) as date) as week_start,
    from bounds
    where first_week is not null
)

select * from final
