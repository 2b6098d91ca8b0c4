-- int_user_service_days: one row per user active in a school and a service on a day.
-- Grain: user × school × service × day. The smallest unit of "activity" every usage mart counts.
-- Incremental by occurred_on: a run rebuilds only the days of its window (pipelines/incremental.py).
with events as (
    select * from intermediate.int_events
    where occurred_on >= getvariable('recompute_start') and occurred_on < getvariable('recompute_end')
),

final as (
    select
        user_key,
        school_uai,
        service,
        occurred_on,
        week_start,
        count(*) as events,
    from events
    group by all
)

select * from final
