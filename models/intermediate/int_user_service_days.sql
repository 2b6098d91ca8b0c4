-- int_user_service_days: one row per user active in a school and a service on a day.
-- Grain: user × school × service × day. The smallest unit of "activity" every usage mart counts.
with events as (
    select * from intermediate.int_events
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
