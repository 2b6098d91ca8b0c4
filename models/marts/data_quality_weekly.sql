-- data_quality_weekly: one row per school and ISO week with events.
-- events = distinct events loaded; events_unmatched = those whose user is not enrolled in
-- that school that week (missing from the roster or outside their period): they are left
-- out of every rate, and counted here so the technical team can fix the roster.
-- Counts events, never persons, so no minimum group size applies: _privacy.yml declares no
-- population, and the release publishes every row with is_suppressed = false.
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with events as (
    select * from intermediate.int_events
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

enrolled_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start
    from intermediate.int_enrolled_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

final as (
    select
        events.school_uai,
        events.week_start,
        count(*) as events,
        count(*) filter (where enrolled_user_weeks.user_key is null) as events_unmatched,
    from events
    left join enrolled_user_weeks
        on
            events.user_key = enrolled_user_weeks.user_key
            and events.school_uai = enrolled_user_weeks.school_uai
            and events.week_start = enrolled_user_weeks.week_start
    group by all
)

select * from final
order by school_uai, week_start
