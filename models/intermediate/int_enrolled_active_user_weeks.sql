-- int_enrolled_active_user_weeks: one row per user enrolled in a school with a role during a
-- week, and whether they were active there that week.
-- Grain: user × school × role × week. Active = at least one event in that school that week
-- while enrolled there (DESIGN.md §3): events of users missing from the roster never make
-- anyone active. The one place every adoption mart counts enrolled and active users from.
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with enrolled_user_weeks as (
    select * from intermediate.int_enrolled_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

active_user_weeks as (
    select distinct
        user_key,
        school_uai,
        week_start,
    from intermediate.int_user_service_days
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

final as (
    select
        enrolled_user_weeks.user_key,
        enrolled_user_weeks.school_uai,
        enrolled_user_weeks.role,
        enrolled_user_weeks.week_start,
        active_user_weeks.user_key is not null as is_active,
    from enrolled_user_weeks
    left join active_user_weeks
        on
            enrolled_user_weeks.user_key = active_user_weeks.user_key
            and enrolled_user_weeks.school_uai = active_user_weeks.school_uai
            and enrolled_user_weeks.week_start = active_user_weeks.week_start
)

select * from final
