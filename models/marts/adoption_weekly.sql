-- adoption_weekly: one row per school, role and ISO week.
-- enrolled = users enrolled in the school with that role during the week; active_users = those
-- of them with at least one event in that school that week; adoption_rate = active / enrolled.
-- Exact figures: the release suppresses, bands and audits them (DESIGN.md §4 rules 5-7) from
-- the declarations in models/marts/_privacy.yml (population: enrolled; audience: one school).
-- Each week carries its school year and school week number (NULL in the holidays), so that
-- trends compare school weeks (models/release/adoption_trends.sql).
-- Incremental by week_start: a run rebuilds only the weeks of its window (pipelines/incremental.py).
with user_weeks as (
    select * from intermediate.int_enrolled_active_user_weeks
    where week_start >= getvariable('recompute_start') and week_start < getvariable('recompute_end')
),

counted as (
    select
        school_uai,
        role,
        week_start,
        count(*) as enrolled,
        count(*) filter (where is_active) as active_users,
    from user_weeks
    group by all
),

weeks as (
    select * from intermediate.int_weeks
),

final as (
    select
        counted.school_uai,
        counted.role,
        counted.week_start,
        weeks.school_year,
        weeks.school_week_number,
        counted.enrolled,
        counted.active_users,
        counted.active_users / counted.enrolled as adoption_rate,
    from counted
    inner join weeks on counted.week_start = weeks.week_start
)

select * from final
order by school_uai, role, week_start
